// Card forms (add card, the cashier's new card): group the number as it is typed, show the
// scheme's logo, and check number (Luhn), expiry and CVC as the buyer types, in the page's
// words (data-messages). The server decides everything again; this only helps the buyer.
//
// A form with data-keep-form (add card) is also sent with fetch: after a refusal (a wrong
// payment password, a decline) the page's new content replaces the old, and what the
// buyer typed, card number included, is put back from the old fields. The number thus
// never travels back in the server's HTML nor sits in any storage: it stays in this page's
// memory. The payment password is never put back. Without JavaScript the form posts as
// usual and the secrets are typed again.
(function () {
  "use strict";
  var KEPT = ["number", "expiry", "cvc", "holder_name", "label"];

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
  function luhn(digits) {
    var sum = 0;
    for (var i = 0; i < digits.length; i++) {
      var d = +digits[digits.length - 1 - i];
      if (i % 2 === 1) { d *= 2; if (d > 9) d -= 9; }
      sum += d;
    }
    return sum % 10 === 0;
  }

  // The check of each field: the message code of what is wrong, or "".
  var checks = {
    number: function (v) {
      var d = v.replace(/\D/g, "");
      if (!d) return "number_required";
      if (d.length < 12 || d.length > 19) return "number_length";
      return luhn(d) ? "" : "number_checksum";
    },
    expiry: function (v, form, field) {
      var m = /^(\d{2})\s*\/\s*(\d{2})$/.exec(v.trim());
      if (!m || +m[1] < 1 || +m[1] > 12) return "expiry_format";
      // The server's month (data-month, "2026-06"), not the device's clock.
      var now = /^(\d{4})-(\d{2})$/.exec(field.getAttribute("data-month") || "");
      if (!now) return "";
      var card = (2000 + +m[2]) * 12 + +m[1], today = +now[1] * 12 + +now[2];
      return card < today ? "expiry_past" : "";
    },
    cvc: function (v, form) {
      var want = form.getAttribute("data-scheme") === "amex" ? 4 : 3;
      return new RegExp("^\\d{" + want + "}$").test(v.trim()) ? "" : "cvc_format";
    },
    holder_name: function (v) { return v.trim() ? "" : "name_required"; },
  };

  function errorOf(input) {
    return document.getElementById(input.id + "_error");
  }
  function show(input, message) {
    var error = errorOf(input);
    if (!error) return;
    error.textContent = message;
    error.hidden = !message;
    if (message) {
      input.setAttribute("aria-invalid", "true");
      input.setAttribute("aria-describedby", error.id);
    } else {
      input.removeAttribute("aria-invalid");
    }
  }

  function setup(form) {
    var input = form.querySelector("input.card-number-input");
    if (!input) return;
    var logo = form.querySelector("img.live-logo");
    var base = form.getAttribute("data-logo-base");
    var table = JSON.parse(input.getAttribute("data-schemes") || "[]");
    var messages = JSON.parse(input.getAttribute("data-messages") || "{}");
    var cvc = form.querySelector("input[autocomplete='cc-csc']");
    var expiry = form.querySelector("input[autocomplete='cc-exp']");

    function check(name, quiet) {
      var field = form.elements[name];
      if (!field || !checks[name]) return true;
      var code = checks[name](field.value, form, field);
      // While typing, only a finished value is judged (a half-typed number is not wrong).
      if (!quiet || !code) show(field, code ? messages[code] || "" : "");
      return !code;
    }
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
    input.addEventListener("input", function () { update(); check("number", true); });
    if (expiry) {
      expiry.addEventListener("input", function (e) {
        var d = expiry.value.replace(/\D/g, "").slice(0, 4);
        if (!(e.inputType && e.inputType.indexOf("delete") === 0)) {
          if (d.length === 1 && d > "1") d = "0" + d;
          expiry.value = d.length >= 2 ? d.slice(0, 2) + "/" + d.slice(2) : d;
        }
        check("expiry", true);
      });
    }
    if (cvc) cvc.addEventListener("input", function () { check("cvc", true); });
    Object.keys(checks).forEach(function (name) {
      var field = form.elements[name];
      if (field) field.addEventListener("blur", function () { if (field.value) check(name, false); });
    });
    update();

    form.addEventListener("submit", function (e) {
      var bad = Object.keys(checks).filter(function (name) { return !check(name, false); });
      if (bad.length) {
        e.preventDefault();
        form.elements[bad[0]].focus();
        return;
      }
      if (form.hasAttribute("data-keep-form") && window.fetch && window.DOMParser) {
        e.preventDefault();
        send(form);
      }
    });
  }

  function send(form) {
    var button = form.querySelector("button[type='submit']");
    var typed = {};
    KEPT.forEach(function (name) { if (form.elements[name]) typed[name] = form.elements[name].value; });
    if (button) button.disabled = true;
    fetch(form.action || window.location.href, {
      method: "POST",
      body: new FormData(form),
      credentials: "same-origin",
      headers: { "X-Zhifu-Keep-Form": "1" },
    }).then(function (response) {
      var next = response.headers.get("X-Zhifu-Location");
      if (response.status === 204 && next) {
        window.location.assign(next);
        return null;
      }
      return response.text().then(function (html) { replace(html, typed); });
    }).catch(function () {
      // The network or the server failed: post the form the ordinary way.
      form.removeAttribute("data-keep-form");
      form.submit();
    });
  }

  function replace(html, typed) {
    var page = new DOMParser().parseFromString(html, "text/html");
    var main = document.querySelector("main");
    var fresh = page.querySelector("main");
    if (!main || !fresh) { document.open(); document.write(html); document.close(); return; }
    main.replaceWith(document.adoptNode(fresh));
    var form = document.querySelector("form.add-card");
    if (!form) return;
    Object.keys(typed).forEach(function (name) {
      if (form.elements[name]) form.elements[name].value = typed[name];
    });
    setup(form);
    var summary = document.querySelector(".error-summary");
    if (summary) summary.focus();
  }

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll("form.add-card"), setup);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
