// "Can A reach B?": htmx leaves 4xx answers unswapped, but the reach page's are meant to be
// read (bad input 400, a fix AWS refused, a fix the network outgrew 409, a refused change
// 403), so they go into the answer panel like any answer. A 401 (the sign-in ended) reloads
// the page, which leads to the sign-in page.
document.addEventListener("htmx:beforeSwap", (event) => {
  const status = event.detail.xhr.status;
  if (!event.detail.target || event.detail.target.id !== "answer") return;
  if (status === 401) {
    event.detail.shouldSwap = false;
    window.location.reload();
  } else if (status >= 400 && status < 500) {
    event.detail.shouldSwap = true;
    event.detail.isError = false;
  }
});
