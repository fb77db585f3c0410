// The buyer's time zone, remembered in the zhifu_tz cookie so the server shows times in it
// (zhifu.web.timezone). A static file: the CSP allows no inline script.
(function () {
  "use strict";
  var zone;
  try {
    zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  } catch (e) {
    return;
  }
  // IANA names ("Europe/Moscow") need no escaping in a cookie; anything else is not sent.
  if (!zone || !/^[A-Za-z0-9_+\-\/]{1,64}$/.test(zone)) {
    return;
  }
  var value = "zhifu_tz=" + zone;
  if (document.cookie.split("; ").indexOf(value) !== -1) {
    return;
  }
  document.cookie = value + "; path=/; max-age=31536000; samesite=lax" +
    (location.protocol === "https:" ? "; secure" : "");
})();
