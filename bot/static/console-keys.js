/* Keyboard shortcuts of the console, listed in the dialog "Tastenkürzel" (also opened with
   "?"). Single letters act only outside text fields and can be switched off there (WCAG
   2.1.4), remembered on this device; Ctrl+Enter sends a reply from its field. */
(function () {
  "use strict";
  var KEY = "anlaufstelle.console.shortcuts";
  var dialog = document.getElementById("shortcuts");
  var opener = document.getElementById("shortcuts-open");
  var toggle = document.getElementById("shortcuts-enabled");
  if (!dialog || !opener || !toggle || typeof dialog.showModal !== "function") { return; }

  function enabled() {
    try { return window.localStorage.getItem(KEY) !== "off"; } catch (e) { return true; }
  }
  function open() { if (!dialog.open) { dialog.showModal(); } }
  function go(url) { window.location.assign(url); }
  function focusField(id) {
    var field = document.getElementById(id);
    if (!field) { return; }
    field.scrollIntoView({ block: "center" });
    field.focus();
  }
  function claim() {
    var button = document.querySelector('form[action$="/claim"] button[type="submit"]');
    if (button) { button.click(); }
  }

  opener.hidden = false;
  opener.addEventListener("click", open);
  toggle.checked = enabled();
  toggle.addEventListener("change", function () {
    try { window.localStorage.setItem(KEY, toggle.checked ? "on" : "off"); } catch (e) { /* private mode */ }
  });

  var letters = {
    "?": open,
    "n": function () { go("/console/next"); },
    "q": function () { go("/console"); },
    "c": claim,
    "r": function () { focusField("reply-text"); },
    "i": function () { focusField("note-text"); }
  };

  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey) && target && target.id === "reply-text") {
      event.preventDefault();
      if (target.form && target.form.reportValidity()) { target.form.submit(); }
      return;
    }
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey || dialog.open) { return; }
    if (target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName))) { return; }
    var act = letters[event.key];
    if (act && enabled()) {
      event.preventDefault();
      act();
    }
  });
})();
