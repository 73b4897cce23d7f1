/* Rule forms (group and network ACL pages): htmx swaps a refused edit's answer too.
 *
 * A refused edit is answered with AWS's status (400) and the page again, the error beside
 * the form; htmx leaves 4xx answers unswapped by default, so a form marked
 * data-swap-errors has its answer swapped when the page marks it as a form's answer
 * (data-form-answer). Any other 4xx (a 403 for a missing CSRF token) is left alone. */
document.addEventListener("htmx:beforeSwap", (event) => {
  const detail = event.detail;
  const status = detail.xhr.status;
  const form = detail.requestConfig && detail.requestConfig.elt;  // what sent the request
  const marked = form && form.closest && form.closest("[data-swap-errors]");
  if (marked && status >= 400 && status < 500 && detail.serverResponse.includes("data-form-answer")) {
    detail.shouldSwap = true;
    detail.isError = false;
  }
});
