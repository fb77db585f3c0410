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
  if (!zone) {
    return;
  }
  var value = "zhifu_tz=" + encodeURIComponent(zone);
  if (document.cookie.split("; ").indexOf(value) !== -1) {
    return;
  }
  document.cookie = value + "; path=/; max-age=31536000; samesite=lax" +
    (location.protocol === "https:" ? "; secure" : "");
})();
