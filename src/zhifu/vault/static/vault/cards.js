// Add-card form: group the number as it is typed and show the scheme's logo.
// The IIN table comes from the server (data-schemes, generated from vault/domain.py);
// the server decides, this only helps the buyer see what they type. No network calls.
(function () {
  "use strict";
  function detect(table, digits) {
    for (var i = 0; i < table.length; i++) {
      var lo = table[i][0], hi = table[i][1], n = lo.length;
      if (digits.length < n) continue;
      var head = digits.slice(0, n);
      if (head >= lo && head <= hi) return table[i][2];
    }
    return null;
  }
  function group(digits, scheme) {
    if (scheme === "amex" || (scheme === "diners" && digits.length <= 14)) {
      return [digits.slice(0, 4), digits.slice(4, 10), digits.slice(10, 15)]
        .filter(Boolean).join(" ");
    }
    return (digits.match(/.{1,4}/g) || []).join(" ");
  }
  function setup() {
    var form = document.querySelector("form.add-card");
    if (!form) return;
    var input = form.querySelector("input.card-number-input");
    var logo = form.querySelector("img.live-logo");
    var base = form.getAttribute("data-logo-base");
    var table = JSON.parse(input.getAttribute("data-schemes") || "[]");
    var cvc = form.querySelector("input[autocomplete='cc-csc']");
    var expiry = form.querySelector("input[autocomplete='cc-exp']");
    function update() {
      var digits = input.value.replace(/\D/g, "").slice(0, 19);
      var scheme = detect(table, digits);
      var caret = input.selectionStart === input.value.length;
      var grouped = group(digits, scheme);
      if (input.value !== grouped) {
        input.value = grouped;
        if (caret) input.setSelectionRange(grouped.length, grouped.length);
      }
      logo.src = base + (scheme || "unknown") + ".svg";
      logo.alt = scheme || "";
      form.setAttribute("data-scheme", scheme || "");
      if (cvc) cvc.setAttribute("maxlength", scheme === "amex" ? "4" : "3");
    }
    input.addEventListener("input", update);
    if (expiry) {
      expiry.addEventListener("input", function (e) {
        var d = expiry.value.replace(/\D/g, "").slice(0, 4);
        if (e.inputType && e.inputType.indexOf("delete") === 0) return;
        if (d.length === 1 && d > "1") d = "0" + d;
        expiry.value = d.length >= 2 ? d.slice(0, 2) + "/" + d.slice(2) : d;
      });
    }
    update();
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", setup);
  else setup();
})();
