// Move focus to the error summary after a failed submit, so screen-reader and keyboard
// users land on the list of errors (the summary links to each field).
document.addEventListener("DOMContentLoaded", function () {
  var summary = document.querySelector(".error-summary");
  if (summary) {
    summary.focus();
    // A form without an action posts back to the page's URL including any fragment (such
    // as #innehall after the skip link); Chromium then focuses the fragment's target on
    // load and the summary loses focus. Drop the fragment and focus the summary again.
    if (window.location.hash) {
      history.replaceState(null, "", window.location.pathname + window.location.search);
    }
    window.addEventListener("load", function () {
      if (document.activeElement !== summary) {
        summary.focus();
      }
    });
  }
  // The skip link moves focus to the main content without leaving #innehall in the URL.
  var skip = document.querySelector(".skip-link");
  var main = document.getElementById("innehall");
  if (skip && main) {
    skip.addEventListener("click", function (event) {
      event.preventDefault();
      main.focus();
      main.scrollIntoView();
    });
  }
});
