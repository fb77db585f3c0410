// "Send again" after the confirmation e-mail: disabled while the server's cooldown runs
// (data-wait, in seconds), counting down in its label, «Отправить ещё раз (0:42)». The
// server refuses an early send anyway; this only shows the buyer when to try.
(function () {
  "use strict";
  function setup() {
    var button = document.querySelector("button[data-wait]");
    if (!button) return;
    var left = parseInt(button.getAttribute("data-wait"), 10) || 0;
    var label = button.getAttribute("data-label");
    var pattern = button.getAttribute("data-countdown");
    var end = Date.now() + left * 1000;
    function tick() {
      left = Math.max(0, Math.ceil((end - Date.now()) / 1000));
      if (!left) {
        button.disabled = false;
        button.textContent = label;
        return;
      }
      var time = Math.floor(left / 60) + ":" + String(left % 60).padStart(2, "0");
      button.disabled = true;
      button.textContent = pattern.replace("{time}", time);
      window.setTimeout(tick, 1000);
    }
    tick();
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", setup);
  else setup();
})();
