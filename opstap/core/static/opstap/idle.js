// The idle timeout's warning. The server ends a session after OPSTAP_IDLE_MINUTES without a
// request (opstap/core/signin.py); two minutes before, this asks whether to stay signed in.
// "Stay signed in" makes one request, which counts as activity. No inline script: CSP-safe.
(function () {
  "use strict";
  var meta = function (name) {
    var element = document.querySelector('meta[name="' + name + '"]');
    return element ? element.getAttribute("content") : null;
  };
  var seconds = parseInt(meta("opstap-idle-seconds"), 10);
  if (!seconds) {
    return;
  }
  var warnBefore = Math.min(120, Math.floor(seconds / 2));
  var dialog = null;
  var warnTimer = null;
  var endTimer = null;

  function schedule() {
    window.clearTimeout(warnTimer);
    window.clearTimeout(endTimer);
    warnTimer = window.setTimeout(warn, (seconds - warnBefore) * 1000);
    endTimer = window.setTimeout(function () {
      window.location.assign(meta("opstap-login-url") + "?next=" + encodeURIComponent(window.location.pathname));
    }, seconds * 1000);
  }

  function warn() {
    dialog = document.getElementById("opstap-idle-dialog");
    if (!dialog) {
      return;
    }
    dialog.showModal();
  }

  document.addEventListener("DOMContentLoaded", function () {
    dialog = document.getElementById("opstap-idle-dialog");
    var stay = document.getElementById("opstap-idle-stay");
    if (stay) {
      stay.addEventListener("click", function () {
        fetch(meta("opstap-keepalive-url"), { credentials: "same-origin" }).then(function () {
          dialog.close();
          schedule();
        });
      });
    }
    // htmx requests are activity too.
    document.body.addEventListener("htmx:afterRequest", schedule);
    schedule();
  });
})();
