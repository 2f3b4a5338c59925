// Idle-timeout warning (WCAG 2.2.1 Timing Adjustable). The session ends after a period
// without requests; shortly before that, show a warning with a "Fortsätt" button that
// POSTs to the keep-alive endpoint (renewing the session cookie). When the time is up,
// go to the login page, since the next request would be refused anyway.
document.addEventListener("DOMContentLoaded", function () {
  var body = document.body;
  var box = document.getElementById("idle-warning");
  var button = document.getElementById("idle-warning-continue");
  var minutesText = document.getElementById("idle-warning-minutes");
  if (!box || !button || !body.dataset.idleSeconds) {
    return;
  }
  var idleMs = parseInt(body.dataset.idleSeconds, 10) * 1000;
  var warnBeforeMs = parseInt(body.dataset.idleWarningSeconds, 10) * 1000;
  var warnTimer = null;
  var endTimer = null;

  function showWarning() {
    minutesText.textContent = String(Math.max(1, Math.round(warnBeforeMs / 60000)));
    box.hidden = false;
    button.focus();
  }

  function start() {
    window.clearTimeout(warnTimer);
    window.clearTimeout(endTimer);
    box.hidden = true;
    warnTimer = window.setTimeout(showWarning, Math.max(0, idleMs - warnBeforeMs));
    endTimer = window.setTimeout(function () {
      window.location.assign(body.dataset.loginUrl);
    }, idleMs);
  }

  button.addEventListener("click", function () {
    fetch(body.dataset.keepaliveUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": body.dataset.csrfToken },
    }).then(function (response) {
      if (response.status === 204) {
        start();
      } else {
        window.location.assign(body.dataset.loginUrl);
      }
    }).catch(function () {
      window.location.assign(body.dataset.loginUrl);
    });
  });

  start();
});
