// Move focus to the error summary after a failed submit, so screen-reader and keyboard
// users land on the list of errors (the summary links to each field).
document.addEventListener("DOMContentLoaded", function () {
  var summary = document.querySelector(".error-summary");
  if (summary) {
    summary.focus();
  }
});
