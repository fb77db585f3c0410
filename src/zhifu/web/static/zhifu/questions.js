// Security questions: a phone's closed <select> cuts a long question off mid-word, so the
// chosen question is also written out in full under it (aria-hidden: the select says it).
(function () {
  "use strict";
  function setup() {
    var selects = document.querySelectorAll(".question-group select");
    Array.prototype.forEach.call(selects, function (select) {
      var full = document.createElement("small");
      full.className = "chosen-question";
      full.setAttribute("aria-hidden", "true");
      select.insertAdjacentElement("afterend", full);
      function update() {
        var option = select.options[select.selectedIndex];
        full.textContent = option && option.value ? option.text : "";
      }
      select.addEventListener("change", update);
      update();
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", setup);
  else setup();
})();
