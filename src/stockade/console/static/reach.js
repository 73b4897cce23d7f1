// "Can A reach B?": htmx leaves 4xx answers unswapped, but the reach page's are meant to be
// read (bad input 400, a fix AWS refused, a fix the network outgrew 409, a refused change
// 403), so they go into the answer panel like any answer.
document.addEventListener("htmx:beforeSwap", (event) => {
  const status = event.detail.xhr.status;
  if (event.detail.target && event.detail.target.id === "answer" && status >= 400 && status < 500) {
    event.detail.shouldSwap = true;
    event.detail.isError = false;
  }
});
