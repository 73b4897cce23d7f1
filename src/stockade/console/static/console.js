/* Every console page: htmx answers that are refusals but meant to be read.
 *
 * htmx leaves 4xx answers unswapped by default. The console's are meant to be read -- bad
 * input (400), a change AWS refused with its code and message (400), a fix the network
 * outgrew (409), a probe without the data plane (409) -- so a target marked
 * data-swap-errors (or a request sent from inside one) gets its 4xx answer swapped like any
 * answer. When the request picks part of the answer (hx-select), only if that part is in it:
 * a whole error page (a 403 for a lost CSRF token) is not a form's answer. A 401 means the
 * sign-in ended: the page reloads, which leads to the sign-in page. */
document.addEventListener("htmx:beforeSwap", (event) => {
  const detail = event.detail;
  const status = detail.xhr.status;
  if (status < 400 || status >= 500) return;
  const sender = detail.requestConfig && detail.requestConfig.elt;
  const marked = (detail.target && detail.target.closest("[data-swap-errors]"))
    || (sender && sender.closest && sender.closest("[data-swap-errors]"));
  if (!marked) return;
  if (status === 401) {
    detail.shouldSwap = false;
    window.location.reload();
    return;
  }
  const select = marked.getAttribute("hx-select");
  if (select) {
    const answer = new DOMParser().parseFromString(detail.serverResponse, "text/html");
    if (!answer.querySelector(select)) return;
  }
  detail.shouldSwap = true;
  detail.isError = false;
});
