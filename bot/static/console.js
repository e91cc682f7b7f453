/* Counsellors' console: polls for news every few seconds and offers a reload through a polite
   live region. It never replaces content under the reader's focus or cursor; without
   JavaScript the pages work the same, only without the hint. */
(function () {
  "use strict";
  var INTERVAL_MS = 8000;
  var live = document.getElementById("live");
  if (!live) { return; }
  var source = live.getAttribute("data-poll") ? live : document.getElementById("queue");
  var url = source && source.getAttribute("data-poll");
  if (!url) { return; }
  var baseline = null;

  function fingerprint(data) {
    return JSON.stringify(data);
  }

  function poll() {
    fetch(url, { credentials: "same-origin", cache: "no-store", headers: { "Accept": "application/json" } })
      .then(function (resp) {
        var type = resp.headers.get("Content-Type") || "";
        if (!resp.ok || type.indexOf("application/json") !== 0) { throw new Error("no data"); }
        return resp.json();
      })
      .then(function (data) {
        var now = fingerprint(data);
        if (baseline === null) { baseline = now; }
        if (now !== baseline && live.hidden) { live.hidden = false; }
        if (live.hidden) { window.setTimeout(poll, INTERVAL_MS); }
      })
      .catch(function () { window.setTimeout(poll, INTERVAL_MS * 2); });
  }
  window.setTimeout(poll, 0);
})();
