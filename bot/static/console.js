/* Counsellors' console, live without reloading: the queue table is swapped for the server's
   newly rendered one, a case page appends the person's new messages as they come (fetched at
   once when the server's event stream nudges, polled slowly as a safety net, and polled often
   only while the stream is down), and text
   snippets go into the reply box at the cursor. Announcements go through polite live regions;
   nothing under the reader's focus is replaced (a hint offers a reload instead). Without
   JavaScript the pages work the same, only without live news. */
(function () {
  "use strict";

  // A setup link carries its token after "#", which never reaches the server or its logs:
  // put it into the form, take it out of the address bar, and go on.
  (function setupFromFragment() {
    var form = document.getElementById("setup-start-form");
    var token = window.location.hash.slice(1);
    if (!form || !token) { return; }
    form.elements.namedItem("token").value = decodeURIComponent(token);
    window.history.replaceState(null, "", window.location.pathname);
    form.submit();
  })();

  // A status message belongs to the action that caused it: not shown again on a reload (the
  // address loses its "notice"), gone once another action is tried (a form the browser
  // refuses, or one sent), and "Die Nachricht ist unterwegs." gone once the person answers.
  var statusNotice = document.getElementById("status");
  var noticeKey = "";
  (function statusBelongsToItsAction() {
    var address = new URL(window.location.href);
    noticeKey = address.searchParams.get("notice") || "";
    if (noticeKey) {
      address.searchParams.delete("notice");
      window.history.replaceState(null, "", address.pathname + address.search + address.hash);
    }
    if (!statusNotice) { return; }
    function clear() { statusNotice.hidden = true; }
    document.addEventListener("invalid", clear, true);  // "invalid" does not bubble
    document.addEventListener("submit", clear, true);
  })();

  function answered() {
    if (statusNotice && noticeKey === "sent") { statusNotice.hidden = true; }
  }

  function getJSON(url) {
    return fetch(url, { credentials: "same-origin", cache: "no-store", headers: { "Accept": "application/json" } })
      .then(function (resp) {
        var type = resp.headers.get("Content-Type") || "";
        if (!resp.ok || type.indexOf("application/json") !== 0) { throw new Error("no data"); }
        return resp.json();
      });
  }

  // The event stream (/console/events) says "something changed"; while it is up, the pages
  // fetch on each nudge and poll only rarely.
  var pokes = [];
  var streaming = false;
  var SLOW = 30000;

  function every(interval, step) {
    var timer = null;
    var busy = false;
    var missed = false;  // a nudge came during a fetch that may have started before its news
    function later(ms) {
      window.clearTimeout(timer);
      timer = window.setTimeout(run, ms);
    }
    function run() {
      if (busy) { missed = true; return; }
      busy = true;
      missed = false;
      step().then(function (again) {
        busy = false;
        if (again !== false) { later(missed ? 0 : (streaming ? SLOW : interval)); }
      }, function () { busy = false; later(interval * 2); });
    }
    later(interval);
    pokes.push(run);
  }

  function liveEvents() {
    if (!window.EventSource || pokes.length === 0) { return; }
    var source = new EventSource("/console/events");
    function poke() { pokes.forEach(function (run) { run(); }); }
    source.onopen = function () { streaming = true; poke(); };
    source.onerror = function () { streaming = false; };  // it reconnects by itself
    source.addEventListener("nudge", poke);
    source.addEventListener("typing", poke);
  }

  function announce(text) {
    var news = document.getElementById("news");
    if (!news) { return; }
    news.textContent = "";
    window.setTimeout(function () { news.textContent = text; }, 50);
  }

  var baseTitle = document.title;

  function liveQueue(box) {
    var url = box.getAttribute("data-poll");
    var interval = parseInt(box.getAttribute("data-interval"), 10) || 3000;
    var hint = document.getElementById("live");
    // What the page shows now, as rendered by the server: the first poll compares against it,
    // so a case that arrived between the page load and that poll is not missed.
    var shown = JSON.stringify(JSON.parse(box.getAttribute("data-shown") || "[]"));
    var known = JSON.parse(shown).map(function (c) { return c[0]; });
    every(interval, function () {
      return getJSON(url).then(function (data) {
        var ids = data.cases.map(function (c) { return c[0]; });
        var fingerprint = JSON.stringify(data.cases);
        if (known) {
          var fresh = ids.filter(function (id) { return known.indexOf(id) < 0; });
          if (fresh.length === 1) { announce("Ein neuer Fall ist in der Warteschlange."); }
          if (fresh.length > 1) { announce(fresh.length + " neue Fälle sind in der Warteschlange."); }
        }
        known = ids;
        document.title = (data.waiting > 0 ? "(" + data.waiting + ") " : "") + baseTitle;
        if (fingerprint !== shown) {
          if (box.contains(document.activeElement)) {
            if (hint) { hint.hidden = false; }
          } else {
            box.innerHTML = data.html;  // rendered and escaped by the server's templates
            shown = fingerprint;
            if (hint) { hint.hidden = true; }
          }
        }
        return true;
      });
    });
  }

  function appendLine(list, line) {
    var item = document.createElement("li");
    item.className = "line " + line.sender;
    var meta = document.createElement("p");
    meta.className = "meta";
    var who = document.createElement("span");
    who.className = "sender";
    who.textContent = line.sender_label;
    var when = document.createElement("time");
    when.textContent = line.at;
    meta.appendChild(who);
    meta.appendChild(document.createTextNode(" · "));
    meta.appendChild(when);
    var text = document.createElement("p");
    text.className = "text";
    text.textContent = line.text;
    item.appendChild(meta);
    item.appendChild(text);
    if (line.file) {
      var file = document.createElement("p");
      file.className = "file";
      if (line.file.image) {
        var img = document.createElement("img");
        img.className = "file-preview";
        img.src = line.file.href + "/preview.png";
        img.alt = "Vorschau: " + line.file.kind + " der Person";
        img.width = 160;
        file.appendChild(img);
      }
      var link = document.createElement("a");
      link.className = "file-download";
      link.href = line.file.href;
      link.setAttribute("download", "");
      link.textContent = line.file.kind + " herunterladen (" + line.file.size + ")";
      file.appendChild(link);
      item.appendChild(file);
    }
    list.appendChild(item);
    keepAtEnd();
  }

  // The conversation box follows new lines, unless the counsellor scrolled up to read.
  var following = true;
  function keepAtEnd() {
    var box = document.getElementById("transcript-box");
    if (box && following) { box.scrollTop = box.scrollHeight; }
  }

  function liveCase(hint) {
    var url = hint.getAttribute("data-poll");
    var interval = parseInt(hint.getAttribute("data-interval"), 10) || 3000;
    var seq = parseInt(hint.getAttribute("data-seq"), 10) || 0;
    var state = hint.getAttribute("data-state") + "/" + hint.getAttribute("data-mine");
    var list = document.getElementById("transcript");
    every(interval, function () {
      return getJSON(url + "?after=" + seq).then(function (data) {
        data.lines.forEach(function (line) {
          if (line.seq <= seq) { return; }
          appendLine(list, line);
          if (line.sender === "person") {
            answered();
            announce("Neue Nachricht der Person: " + line.text);
          }
        });
        seq = Math.max(seq, data.last_seq);
        var typing = document.getElementById("typing");
        if (typing) { typing.hidden = !data.typing; keepAtEnd(); }
        if (data.status + "/" + String(data.mine) !== state) { hint.hidden = false; }
        return true;
      });
    });
  }

  function snippets(box) {
    var reply = document.getElementById("reply-text");
    if (!reply) { return; }
    box.addEventListener("click", function (event) {
      var link = event.target.closest("[data-snippet]");
      if (!link) { return; }
      event.preventDefault();
      var text = link.getAttribute("data-snippet");
      var start = reply.selectionStart || 0;
      var end = reply.selectionEnd || 0;
      reply.value = reply.value.slice(0, start) + text + reply.value.slice(end);
      reply.focus();
      reply.setSelectionRange(start + text.length, start + text.length);
    });
  }

  var queue = document.getElementById("queue");
  if (queue && queue.getAttribute("data-poll")) { liveQueue(queue); }
  var hint = document.getElementById("live");
  if (hint && hint.getAttribute("data-poll")) { liveCase(hint); }
  // The case opens on the newest lines of its conversation.
  var transcriptBox = document.getElementById("transcript-box");
  if (transcriptBox) {
    keepAtEnd();
    transcriptBox.addEventListener("scroll", function () {
      var b = transcriptBox;
      following = b.scrollHeight - b.scrollTop - b.clientHeight < 40;
    });
  }
  // Tell the person the counsellor is typing: at most every 4 s, never the text itself.
  var replyBox = document.getElementById("reply-text");
  var csrfField = document.querySelector("input[name=csrf]");
  if (replyBox && csrfField && hint && hint.getAttribute("data-poll")) {
    var typingUrl = hint.getAttribute("data-poll").replace(/status\.json$/, "typing");
    var typingSent = 0;
    replyBox.addEventListener("input", function () {
      if (Date.now() - typingSent < 4000) { return; }
      typingSent = Date.now();
      fetch(typingUrl, { method: "POST", credentials: "same-origin", headers: { "X-CSRF-Token": csrfField.value } })
        .catch(function () { /* a lost hint harms nobody */ });
    });
  }
  var snippetList = document.getElementById("snippets");
  if (snippetList) { snippets(snippetList); }
  liveEvents();
})();
