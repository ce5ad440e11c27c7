// mock-bankid console: copy buttons and the live request log. Everything works without this file.
(function () {
  "use strict";
  function copyButtons(root) {
    root.querySelectorAll("button.copy[data-copy]").forEach(function (button) {
      if (!navigator.clipboard) { return; }
      button.hidden = false;
      if (button.dataset.bound) { return; }
      button.dataset.bound = "1";
      var label = button.textContent;
      button.addEventListener("click", function () {
        navigator.clipboard.writeText(button.dataset.copy).then(function () {
          button.textContent = "✓ " + label;
          setTimeout(function () { button.textContent = label; }, 1500);
        });
      });
    });
  }
  function liveLog() {
    var log = document.getElementById("request-log");
    var toggle = document.getElementById("live");
    if (!log || !toggle || !window.fetch) { return; }
    toggle.closest("label").hidden = false;
    setInterval(function () {
      if (!toggle.checked || document.hidden) { return; }
      var open = Array.prototype.map.call(log.querySelectorAll("details[open] summary"), function (s) { return s.textContent; });
      fetch(log.dataset.src, { credentials: "same-origin" }).then(function (r) {
        return r.ok ? r.text() : null;
      }).then(function (html) {
        if (html === null) { return; }
        var fresh = new DOMParser().parseFromString(html, "text/html").body;
        fresh.querySelectorAll("details").forEach(function (d) {
          if (open.indexOf(d.querySelector("summary").textContent) >= 0) { d.open = true; }
        });
        log.replaceChildren.apply(log, Array.prototype.slice.call(fresh.childNodes));
        copyButtons(log);
      });
    }, 2000);
  }
  document.addEventListener("DOMContentLoaded", function () { copyButtons(document); liveLog(); });
})();
