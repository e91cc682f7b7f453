/* Anlaufstelle web chat: takes over the server-rendered page and speaks the WebSocket
   protocol of docs/webchat-protocol.md. No framework, no build step, no innerHTML: every
   text from the server or the person is set with textContent. Without JavaScript the page
   works as plain forms; if the WebSocket never connects, this script steps back to them. */
(function () {
  'use strict';

  var body = document.body;
  if (!body || !body.hasAttribute('data-chat') || !window.WebSocket) return;

  var PREFIX = 'anlaufstelle.chat.';
  // The console's preview keeps its own session: an admin's device may hold a real chat too.
  var preview = body.getAttribute('data-preview') === '1';
  var KEY = PREFIX + (preview ? 'preview-session' : 'session');
  var REMEMBER = PREFIX + 'remember';
  var SIZE = PREFIX + 'textsize';
  var cfg = {
    exitUrl: body.getAttribute('data-exit-url') || 'about:blank',
    lang: body.getAttribute('data-lang') || 'de',
    flowLang: body.getAttribute('data-flow-lang') || null,
    langChosen: body.getAttribute('data-lang-chosen') === '1',
    langGuess: body.getAttribute('data-lang-guess') || null,
    office: body.getAttribute('data-office') || '',
    embed: body.getAttribute('data-embed') === '1',
    source: body.getAttribute('data-source') || null
  };
  var T = JSON.parse(document.getElementById('chat-texts').textContent);
  var P = JSON.parse(document.getElementById('chat-plurals').textContent);

  var $ = function (id) { return document.getElementById(id); };
  var list = $('chat-messages');
  var logBox = $('chat-log');
  var composerBody = $('composer-body');
  var statusEl = $('connection-status');
  var noticeEl = $('notice');
  var dialog = $('delete-dialog');
  var original = composerBody.cloneNode(true);
  var attachForm = $('attach-form');
  // Files only once the person agreed to the storing (the welcome says; a consent given
  // here opens it too) and while the conversation is open. The server checks again.
  var filesAllowed = false;

  var ws = null;
  var welcomed = false;
  var everWelcomed = false;
  var stopped = false;
  var enhanced = true;
  var attempt = 0;
  var failures = 0;
  var timer = null;
  var owner = body.getAttribute('data-owner') || null;
  // The office closed this person's case: the composer stays, and writing reopens it.
  var caseClosed = body.getAttribute('data-case-closed') === '1';
  // The case was opened with its code on another device: nothing written here would reach
  // it. The page offers the code (to bring it back here) or a new conversation, no text box.
  var movedAway = false;
  var prompt = null;
  var answered = null;
  var shown = {};
  var unread = 0;  // counsellor answers that arrived while the tab was in the background
  var repliedAt = 0;  // when the last counsellor reply arrived live (a typing hint ends there)
  var TYPING_AFTER_REPLY = 3000;
  var following = null;  // the language the page is switching to because the chat chose it
  var replaying = false;  // a history is being redrawn
  function showUnread() {
    var base = document.title.replace(/^\(\d+\) /, '');
    document.title = unread > 0 ? '(' + unread + ') ' + base : base;
  }
  var pending = [];
  var renderTimer = null;
  var focusComposer = false;
  var firstNew = null;

  // ---------------------------------------------------------------- storage
  function store(kind) {
    try { return window[kind]; } catch (e) { return null; }
  }
  function get(kind, key) {
    var s = store(kind);
    try { return s ? s.getItem(key) : null; } catch (e) { return null; }
  }
  function put(kind, key, value) {
    var s = store(kind);
    try { if (s) { if (value === null) s.removeItem(key); else s.setItem(key, value); } } catch (e) { /* full or denied */ }
  }
  function remembered() { return get('localStorage', REMEMBER) === '1'; }
  function saveSession(value) {
    put('sessionStorage', KEY, value);
    put('localStorage', KEY, remembered() ? value : null);
    var fields = document.querySelectorAll('input[name="session"]');
    for (var i = 0; i < fields.length; i++) if (value) fields[i].value = value;
  }
  function clearAll() {
    ['sessionStorage', 'localStorage'].forEach(function (kind) {
      var s = store(kind);
      try {
        for (var i = s ? s.length - 1 : -1; i >= 0; i--) {
          var k = s.key(i);
          if (k && k.indexOf(PREFIX) === 0) s.removeItem(k);
        }
      } catch (e) { /* denied */ }
    });
  }
  if (preview) {
    // A preview's session belongs to the draft it was started on: once the draft is
    // changed, discarded or started anew, the preview starts the dialog again.
    var DRAFT = PREFIX + 'preview-draft';
    var draft = body.getAttribute('data-preview-draft') || '';
    if (get('sessionStorage', DRAFT) !== draft) {
      put('sessionStorage', KEY, null);
      put('localStorage', KEY, null);
      put('sessionStorage', DRAFT, draft);
    }
  }
  var sessionField = document.querySelector('input[name="session"]');
  var session = (remembered() && get('localStorage', KEY)) || get('sessionStorage', KEY) ||
    (sessionField ? sessionField.value : null);

  // ---------------------------------------------------------------- small helpers
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (attrs[k] === null || attrs[k] === undefined || attrs[k] === false) return;
      if (k === 'text') node.textContent = attrs[k];
      else node.setAttribute(k, attrs[k] === true ? '' : attrs[k]);
    });
    (children || []).forEach(function (c) { if (c) node.appendChild(c); });
    return node;
  }
  function fmt(key, values) {
    return (T[key] || '').replace(/\{(\w+)\}/g, function (m, name) {
      return values && values[name] !== undefined ? String(values[name]) : m;
    });
  }
  // the form for a count by the language's CLDR plural rules, as the server's no-JS errors
  // pick it (Babel on the server, Intl.PluralRules here: the same CLDR data)
  function countText(key, n, values) {
    var forms = P[key] || {};
    var category = 'other';
    try { category = new Intl.PluralRules(document.documentElement.lang || 'de').select(n); } catch (e) { /* old browser: 'other' */ }
    var said = forms[category] || forms.other || '';
    var all = values || { n: n };
    return said.replace(/\{(\w+)\}/g, function (m, name) {
      return all[name] !== undefined ? String(all[name]) : m;
    });
  }
  function newId() {
    var bytes = new Uint8Array(12);
    window.crypto.getRandomValues(bytes);
    return 'j-' + Array.prototype.map.call(bytes, function (b) { return ('0' + b.toString(16)).slice(-2); }).join('');
  }
  function contentLang(lang) { return lang === 'ls' ? 'de' : lang || null; }
  var statusTimer = null;
  function setStatus(text, keep) {
    clearTimeout(statusTimer);
    statusEl.textContent = text || '';
    if (text && !keep) statusTimer = setTimeout(function () { statusEl.textContent = ''; }, 4000);
  }
  function notice(text) { noticeEl.textContent = text || ''; }

  // ---------------------------------------------------------------- the conversation log
  function personText(f) {
    if (f.attachment) return fileLine(f.attachment);
    if (f.text) return f.text;
    // Said as done, "(übersprungen)", not as the button's label: the same line as shown
    // while sending, also after a reload.
    if (f.choice === 'skip') return T.skipped;
    if (f.label) return f.label;
    if (f.labels && f.labels.length) return f.labels.join(', ');
    if (f.choice) return f.choice;
    if (f.choices && f.choices.length) return f.choices.join(', ');
    return '';
  }
  function senderKey(sender) {
    return sender === 'person' || sender === 'counsellor' ? sender : 'bot';
  }
  function messageItem(f, text) {
    var sender = senderKey(f.sender);
    var kind = sender === 'person' ? '' : (f.kind || 'info');
    var li = el('li', { 'class': 'msg msg--' + sender + (kind ? ' msg--' + kind : '') });
    if (f.seq !== null && f.seq !== undefined) li.setAttribute('data-seq', f.seq);
    li.appendChild(el('span', {
      'class': 'msg-sender' + (sender === 'person' ? ' visually-hidden' : ''),
      'data-t': 'sender_' + sender, text: T['sender_' + sender]
    }));
    if (kind === 'crisis') {
      li.appendChild(el('strong', { 'class': 'crisis-label', 'data-t': 'crisis_label', text: T.crisis_label }));
    }
    var links = sender === 'bot' && f.links && f.links.length ? f.links : null;
    var para = el('p', {
      'class': 'msg-text', dir: 'auto', id: f.seq != null ? 'text-' + f.seq : null,
      lang: sender === 'person' ? null : contentLang(f.language),
      text: kind === 'crisis' || links ? null : text
    });
    if (kind === 'crisis') {
      telLinks(text).forEach(function (n) { para.appendChild(n); });
      li.setAttribute('tabindex', '-1');
    } else if (links) {
      linked(text, links).forEach(function (n) { para.appendChild(n); });
    }
    li.appendChild(para);
    if (f.more) {
      // The fine print (e.g. the legal detail of the consent) one tap away.
      li.appendChild(el('details', { 'class': 'more' }, [
        el('summary', { 'data-t': 'more', text: T.more }),
        el('p', { dir: 'auto', lang: contentLang(f.language), text: f.more })
      ]));
    }
    if (f.case_code) li.appendChild(caseCodeBox(f.case_code));
    return li;
  }
  // Phone numbers in the crisis resources become tap-to-call links that never break across
  // lines: three or more digits, single spaces allowed between groups ("0800 111 0 111").
  var PHONE = /(^|[^\d])(\+?\d(?:\d| (?=\d)){2,19})(?!\d)/g;
  function telLinks(text) {
    var nodes = [], last = 0, m;
    PHONE.lastIndex = 0;
    while ((m = PHONE.exec(text)) !== null) {
      var number = m[2], start = m.index + m[1].length;
      if (number.replace(/\D/g, '').length < 3) continue;
      if (start > last) nodes.push(document.createTextNode(text.slice(last, start)));
      nodes.push(el('a', { 'class': 'tel', href: 'tel:' + number.replace(/ /g, ''), dir: 'ltr', text: number }));
      last = start + number.length;
    }
    if (last < text.length) nodes.push(document.createTextNode(text.slice(last)));
    return nodes;
  }
  // The parts of a text the service made links of (the office's phone, e-mail and web page
  // after a declined consent, the emergency numbers around them), each where it first
  // stands; as linked() in bot/web/tel.py.
  var SAFE_HREF = /^(tel:\+?[0-9]+|mailto:[^\s<>"']+|https?:\/\/[^\s<>"']+)$/;
  // Where `part` first stands as a whole: "110" not inside "30110" (a postcode before it).
  function find(text, part) {
    var digit = /\d/;
    var at = text.indexOf(part);
    while (at >= 0) {
      var cut = (digit.test(part.charAt(0)) && at > 0 && digit.test(text.charAt(at - 1))) ||
        (digit.test(part.charAt(part.length - 1)) && digit.test(text.charAt(at + part.length)));
      if (!cut) return at;
      at = text.indexOf(part, at + 1);
    }
    return -1;
  }
  function linked(text, links) {
    var nodes = [], rest = String(text);
    links.forEach(function (pair) {
      var part = String(pair[0] || ''), href = String(pair[1] || '');
      var at = part && SAFE_HREF.test(href) ? find(rest, part) : -1;
      if (at < 0) return;
      if (at > 0) nodes.push(document.createTextNode(rest.slice(0, at)));
      nodes.push(el('a', { 'class': href.indexOf('tel:') === 0 ? 'tel' : 'link', href: href, dir: 'ltr', text: part }));
      rest = rest.slice(at + part.length);
    });
    if (rest) nodes.push(document.createTextNode(rest));
    return nodes;
  }
  function isPrompt(f) {
    // The crisis resources ask too when the flow offers a person now (the danger path).
    return f.kind === 'prompt' || (f.kind === 'crisis' && !!f.expects && f.expects !== 'none');
  }
  function caseCodeBox(code) {
    var button = el('button', { type: 'button', 'class': 'btn btn-small copy-code', 'data-code': code, 'data-t': 'copy_code', text: T.copy_code });
    return el('div', { 'class': 'case-code' }, [
      el('p', {}, [el('span', { 'data-t': 'case_code_label', text: T.case_code_label }),
        document.createTextNode(': '), el('strong', { 'class': 'case-code-value', dir: 'ltr' }, codeGroups(code))]),
      el('p', { 'class': 'hint', 'data-t': 'case_code_hint', text: T.case_code_hint }),
      button
    ]);
  }
  // One span per group of the case code: a line may break between groups, never inside one.
  function codeGroups(code) {
    var parts = String(code).split('-');
    return parts.map(function (part, i) {
      return el('span', { 'class': 'code-group', text: part + (i < parts.length - 1 ? '-' : '') });
    });
  }
  // Back with the case code: the log ends on a welcome and where the case stands.
  function welcomeBack() {
    var key = owner === 'closed' ? 'case_closed' : owner === 'counsellor' ? 'status_counsellor' : 'status_queued';
    var li = el('li', { 'class': 'msg msg--system msg--welcome', id: 'welcome-back', tabindex: '-1' }, [
      el('p', { 'class': 'msg-text' }, [
        el('strong', { 'data-t': 'welcome_back', text: T.welcome_back }),
        document.createTextNode(' '),
        el('span', { 'data-t': key, text: T[key] })
      ])
    ]);
    list.appendChild(li);
    li.scrollIntoView({ block: 'end' });
  }
  function addMessage(f) {
    if (f.seq !== null && f.seq !== undefined) {
      if (shown[f.seq]) return; // already shown: live and again in a history
      shown[f.seq] = true;
    }
    if (f.sender === 'person') {
      var text = personText(f);
      if (text) list.appendChild(messageItem(f, text));
      return;
    }
    var li = messageItem(f, f.text || '');
    list.appendChild(li);
    if (!firstNew) firstNew = li;
    if (f.case_code) { owner = 'queued'; filesAllowed = true; }
    else if (f.sender === 'counsellor') {
      owner = 'counsellor';
      // The reply is what the typing hint announced: it goes with it, not seconds later.
      if (statusEl.textContent === T.counsellor_typing) setStatus('', false);
      // An answer from a person is what they waited for: in view at once, and counted in
      // the tab's title while they look at another tab.
      li.scrollIntoView({ block: 'nearest' });
      if (document.hidden) { unread += 1; showUnread(); }
    }
    // A notice of a change of the case (closed by the office, reopened by a message, or
    // opened with the code on another device: this page holds no conversation any more).
    if (f.owner === 'elsewhere') { owner = null; caseClosed = false; movedAway = true; filesAllowed = false; prompt = null; }
    else if (f.owner) { owner = f.owner; caseClosed = f.owner === 'closed'; }
    if (f.sender === 'bot' && isPrompt(f)) prompt = f;
    // One language choice: a language picked in the chat (its first question) is the page's
    // language too, where the page speaks it.
    // Not line by line while a history is redrawn: its first lines may be in another
    // language than its last (the guess before the person chose); the page follows its end.
    if (!replaying && f.sender === 'bot') followLanguage(f.language);
    scheduleComposer();
  }
  function followLanguage(lang) {
    if (lang && lang !== (following || cfg.flowLang) &&
        document.querySelector('#language-form button[data-lang="' + lang + '"]')) {
      following = lang;
      switchLanguage(lang, true);
    }
  }
  function addOwn(item) {
    var li = messageItem({ sender: 'person' }, item.display);
    item.status = el('span', { 'class': 'msg-status', text: T.sending });
    li.appendChild(item.status);
    list.appendChild(li);
    item.li = li;
  }
  function renderHistory(history) {
    // Put the history in without announcing it: only new lines are read out.
    logBox.setAttribute('aria-live', 'off');
    list.textContent = '';
    shown = {};
    prompt = null;
    // Old lines replay old changes of the case: the welcome frame's owner is the current one.
    var current = [owner, caseClosed];
    replaying = true;
    (history || []).forEach(addMessage);
    replaying = false;
    owner = current[0];
    caseClosed = current[1];
    // The page speaks the conversation's language now: its last bot line's.
    var spoken = (history || []).filter(function (f) { return f.sender === 'bot' && f.language; });
    if (spoken.length) followLanguage(spoken[spoken.length - 1].language);
    pending.forEach(function (item) { if (item.display) addOwn(item); });
    firstNew = null;
    setTimeout(function () { logBox.setAttribute('aria-live', 'polite'); }, 50);
  }

  // ---------------------------------------------------------------- the composer
  function lastBotLine() {
    var items = list.querySelectorAll('li.msg--bot, li.msg--counsellor');
    return items.length ? items[items.length - 1] : null;
  }
  function scheduleComposer() {
    clearTimeout(renderTimer);
    renderTimer = setTimeout(function () { renderComposer(false); }, 40);
  }
  function form(children) {
    return el('form', { id: 'answer-form', 'class': 'answer-form', method: 'post', action: '/chat' }, children);
  }
  function submit(op, key, label, cls, lang) {
    return el('button', { type: 'submit', name: 'op', value: op, 'class': 'btn ' + cls, 'data-t': key, lang: lang || null, text: key ? T[key] : label });
  }
  function textField(labelKey, max, describedBy, counter) {
    var area = el('textarea', { id: 'message-input', name: 'text', rows: '4', dir: 'auto', maxlength: String(max), 'aria-describedby': describedBy });
    var nodes = [el('label', { 'for': 'message-input', 'data-t': labelKey, text: T[labelKey] }), area];
    if (counter) {
      var count = el('p', { id: 'char-count', 'class': 'hint char-count', 'data-max': String(max), text: countText('chars_count', max, { n: 0, max: max }) });
      area.setAttribute('aria-describedby', describedBy + ' char-count');
      nodes.push(count);
    }
    return el('div', { 'class': 'field' }, nodes);
  }
  var composerKey = null;
  var resumeForm = $('resume-form');
  var resumeHome = resumeForm ? resumeForm.parentNode : null;
  var resumeNext = resumeForm ? resumeForm.nextSibling : null;
  function renderComposer(force) {
    if (!enhanced || (!welcomed && !everWelcomed)) return;
    var composer = $('composer');
    var hadFocus = focusComposer || composer.contains(document.activeElement);
    var last = lastBotLine();
    var lang = prompt ? contentLang(prompt.language) : null;
    var promptOpen = !!(prompt && last && last.getAttribute('data-seq') === String(prompt.seq));
    // A case created at once on the danger path still offers its questions while it waits.
    var mode = movedAway ? 'elsewhere'
      : owner !== 'counsellor' && promptOpen && answered !== prompt.seq ? 'prompt:' + prompt.seq
      : owner === 'queued' || owner === 'counsellor' ? 'message'
      : owner === 'closed' && caseClosed ? 'reopen'
        : owner === 'closed' || (last && !promptOpen && !pending.length) ? 'ended' : 'waiting';
    var key = mode + '|' + cfg.lang;
    // Re-render only when something changed: a person typing must never lose their text.
    if (key === composerKey && !force) return;
    composerKey = key;
    var typed = $('message-input') ? $('message-input').value : '';
    if (resumeForm && resumeForm.parentNode !== resumeHome) resumeHome.insertBefore(resumeForm, resumeNext);
    composerBody.textContent = '';
    if (mode === 'message' || mode === 'reopen') {
      var said = mode === 'reopen' ? 'case_closed' : 'handed_over';
      composerBody.appendChild(form([
        el('p', { id: 'handed-over', 'data-t': said, text: T[said] }),
        textField('message_label', 10000, 'handed-over', false),
        submit('send', 'send', null, 'btn-primary')
      ]));
    } else if (mode === 'elsewhere') {
      // The way back is the code form of "Weitere Möglichkeiten", here where the person looks.
      composerBody.appendChild(el('p', { id: 'moved-away', 'data-t': 'moved_away', text: T.moved_away }));
      if (resumeForm) composerBody.appendChild(resumeForm);
      composerBody.appendChild(form([submit('start', 'new_chat', null, 'btn-secondary')]));
    } else if (mode !== 'ended' && mode !== 'waiting') {
      composerBody.appendChild(promptForm(prompt, lang));
    } else if (mode === 'ended') {
      composerBody.appendChild(form([
        el('p', { 'data-t': 'ended', text: T.ended }),
        submit('start', 'new_chat', null, 'btn-primary')
      ]));
    }
    if (typed && $('message-input')) $('message-input').value = typed;
    // Under the danger path's crisis box the person chooses first; a case written to takes
    // a file at once, also right after crisis words (a photo of an injury).
    var crisisLast = !!(last && last.classList.contains('msg--crisis'));
    if (attachForm && filesAllowed && (mode === 'message' || (!crisisLast && mode.indexOf('prompt:') === 0))) {
      attachForm.hidden = false;
      composerBody.appendChild(attachForm);
    }
    var del = $('delete-form');
    if (del) del.hidden = owner === null && !list.children.length;
    var exp = $('export-form');
    if (exp) exp.hidden = owner === null && !list.children.length;
    // Until the person chose on the crisis box (a person now, or on with the questions): a
    // choice is an answer like any other, and the focus must follow to what comes next.
    // Kept on the box after it, the focus stayed there when the next question arrived.
    var crisisOpen = crisisLast && String(answered) !== last.getAttribute('data-seq');
    if (hadFocus && crisisOpen && mode !== 'message') {
      // The crisis resources first: focus stays on them, never jumps to the next answer.
      focusComposer = false;
      last.focus({ preventScroll: true });
      ownAnswerBefore(last).scrollIntoView({ block: 'start' });
    } else if (hadFocus) {
      var first = composerBody.querySelector('button, input, textarea');
      if (first) {
        focusComposer = false;
        first.focus({ preventScroll: !!firstNew });
        // Show the reply from its start, with the person's own answer right above it (what
        // they just said stays in view); the answer controls follow right below.
        if (firstNew) ownAnswerBefore(firstNew).scrollIntoView({ block: 'start' });
      } else {
        // Waiting for the reply: keep the focus in the chat, not on <body>.
        focusComposer = true;
        composer.focus({ preventScroll: true });
      }
    }
  }
  // The person's own line directly before `li` (their answer to what `li` replies to),
  // else `li` itself.
  function ownAnswerBefore(li) {
    var before = li.previousElementSibling;
    return before && before.classList.contains('msg--person') ? before : li;
  }
  function promptForm(p, lang) {
    var nodes = [];
    var describe = p.seq != null ? 'text-' + p.seq : null;
    if (p.expects === 'choice') {
      // Two answers (yes/no, the consent) share a row where they fit, as on the page.
      var pair = (p.choices || []).length === 2 ? ' choices--pair' : '';
      var set = el('fieldset', { 'class': 'choices' + pair }, [el('legend', { 'class': 'visually-hidden', dir: 'auto', lang: lang, text: p.text })]);
      // A pre-selected answer (the browser's language, what the account suggested) comes
      // first and stands out: one tap confirms it.
      var suggested = p.suggested || [];
      var ranked = (p.choices || []).filter(function (c) { return suggested.indexOf(c.id) >= 0; })
        .concat((p.choices || []).filter(function (c) { return suggested.indexOf(c.id) < 0; }));
      ranked.forEach(function (c) {
        var cls = 'btn btn-choice' + (suggested.indexOf(c.id) >= 0 ? ' btn-suggested' : '');
        set.appendChild(el('button', { type: 'submit', name: 'op', value: 'choice:' + c.id, 'class': cls, dir: 'auto', lang: lang, text: c.label }));
      });
      nodes.push(set);
    } else if (p.expects === 'choices') {
      // The question is in the bubble above: the group names it for screen readers only, and
      // the hint is shown only where the question does not say it already.
      var sayHint = (p.text || '').indexOf(T.several_hint) < 0;
      var checks = el('fieldset', { 'class': 'checks' }, [
        el('legend', { 'class': 'visually-hidden', dir: 'auto', lang: lang, text: p.text })
      ]);
      if (sayHint) {
        checks.setAttribute('aria-describedby', 'several-hint');
        checks.appendChild(el('p', { id: 'several-hint', 'class': 'hint', 'data-t': 'several_hint', text: T.several_hint }));
      }
      var alone = p.exclusive || [];
      (p.choices || []).forEach(function (c, i) {
        var box = el('input', { type: 'checkbox', name: 'choices', value: c.id, id: 'choice-' + (i + 1) });
        if ((p.suggested || []).indexOf(c.id) >= 0) box.checked = true;
        if (alone.indexOf(c.id) >= 0) box.setAttribute('data-alone', '');
        checks.appendChild(el('div', { 'class': 'check' }, [
          box,
          el('label', { 'for': 'choice-' + (i + 1), dir: 'auto', lang: lang, text: c.label })
        ]));
      });
      var aloneNote = el('p', { 'class': 'visually-hidden', role: 'status' });
      checks.appendChild(aloneNote);
      // "Not sure" and the like go only on their own: ticking one unticks the others (and
      // ticking another unticks it), said out loud, so no answer is refused afterwards.
      checks.addEventListener('change', function (event) {
        var box = event.target;
        if (!box.checked || box.type !== 'checkbox') return;
        var isAlone = box.hasAttribute('data-alone');
        var unticked = [];
        Array.prototype.forEach.call(checks.querySelectorAll('input[type="checkbox"]'), function (other) {
          if (other !== box && other.checked && (isAlone || other.hasAttribute('data-alone'))) {
            other.checked = false;
            unticked.push(other.labels && other.labels[0] ? other.labels[0].textContent : other.value);
          }
        });
        if (unticked.length) aloneNote.textContent = T.unticked + ' ' + unticked.join(', ');
      });
      nodes.push(checks);
      (p.actions || []).forEach(function (a) { if (a.id === 'done') nodes.push(submit('done', null, a.label, 'btn-primary', lang)); });
    } else if (p.expects === 'text' || p.expects === 'date') {
      // The danger path's case waits for the team (its question offers only to go on): what is
      // typed now is a message for the team, not an answer.
      var forTeam = (p.choices || []).some(function (c) { return c.id === 'go_on'; });
      var labelKey = p.expects === 'date' ? 'date_label' : forTeam ? 'message_label' : 'answer_label';
      var field = textField(labelKey, p.max_length || 10000, describe, !!p.max_length && p.expects === 'text');
      if (p.expects === 'date') {
        // The browser's own date picker; the answers stand beside it as buttons.
        var input = el('input', { id: 'message-input', name: 'text', type: 'date', 'aria-describedby': describe });
        field.replaceChild(input, field.querySelector('textarea'));
      }
      nodes.push(field, submit('send', p.expects === 'date' ? 'date_send' : 'send', null, 'btn-primary'));
      var beside = (p.choices || []).filter(function (c) { return c.id !== 'skip'; });
      if (beside.length) {
        var others = el('fieldset', { 'class': 'choices' }, [el('legend', { 'class': 'visually-hidden', 'data-t': 'or_choose', text: T.or_choose })]);
        beside.forEach(function (c) {
          others.appendChild(el('button', { type: 'submit', name: 'op', value: 'choice:' + c.id, 'class': 'btn btn-choice', dir: 'auto', lang: lang, text: c.label }));
        });
        nodes.push(others);
      }
    }
    var actions = (p.actions || []).filter(function (a) { return a.id !== 'done'; });
    if (actions.length) {
      nodes.push(el('div', { 'class': 'actions' }, actions.map(function (a) {
        return submit(a.id === 'skip' ? 'choice:skip' : 'command:' + a.id, null, a.label, 'btn-secondary', lang);
      })));
    }
    nodes.unshift(el('div', { id: 'form-error', 'class': 'error-text', role: 'alert' }));
    return form(nodes);
  }
  function formError(text, here) {
    var box = $('form-error');
    if (!box) {
      box = el('div', { id: 'form-error', 'class': 'error-text', role: 'alert' });
      composerBody.insertBefore(box, composerBody.firstChild);
    }
    box.textContent = text;
    var field = composerBody.querySelector('fieldset, textarea, input[type="text"]');
    if (field && text) {
      var ids = (field.getAttribute('aria-describedby') || '').split(' ').filter(function (x) { return x && x !== 'form-error'; });
      ids.push('form-error');
      field.setAttribute('aria-describedby', ids.join(' '));
    }
    if (here && text) {
      // Refused in the browser: the message stands above the answers, out of sight on a
      // phone once the person scrolled down to the button. As the page without JavaScript
      // opens at the question with its error, the focus goes to the first answer and the
      // message comes into view right above it.
      var control = composerBody.querySelector('input:not([type="hidden"]), textarea');
      if (control) control.focus({ preventScroll: true });
      box.scrollIntoView({ block: 'nearest' });
    }
  }

  // ---------------------------------------------------------------- sending
  function send(frame) {
    if (ws && ws.readyState === 1) { ws.send(JSON.stringify(frame)); return true; }
    return false;
  }
  function queue(frame, display) {
    frame.id = newId();
    firstNew = null;
    var item = { frame: frame, display: display, sent: false };
    pending.push(item);
    if (display) {
      addOwn(item);
      // What the person just said, in view while the reply is on its way.
      item.li.scrollIntoView({ block: 'nearest' });
    }
    flush();
    retryNow();
  }
  function retryNow() {
    // The person is acting: try at once instead of waiting out the backoff.
    if (!ws && !stopped && everWelcomed) { clearTimeout(timer); connect(); }
  }
  function flush() {
    if (!welcomed) return;
    pending.forEach(function (item) {
      if (!item.sent && send(item.frame)) item.sent = true;
    });
  }
  function settle(id, failed, message) {
    pending = pending.filter(function (item) {
      if (item.frame.id !== id) return true;
      if (item.status) {
        if (failed) { item.status.textContent = T.not_sent; item.li.classList.add('msg--failed'); }
        else item.status.remove();
      }
      return false;
    });
    if (failed) { answered = null; renderComposer(true); formError(message); }
  }

  function onSubmit(event) {
    if (!enhanced) return;
    var f = event.target;
    var button = event.submitter || f.querySelector('button[type="submit"]');
    var op = button ? button.value : '';
    if (!op) return;
    event.preventDefault();
    if (op.indexOf('lang:') === 0) { switchLanguage(op.slice(5)); return; }
    if (op === 'delete') { openDialog(); return; }
    if (op === 'command:restart') { openRestart(); return; } // asks first: answers would go
    if (op === 'resume') {
      var code = ($('case-code-input').value || '').trim();
      $('code-error').textContent = '';
      if (!code) { $('code-error').textContent = T.err_code_format; return; }
      if (!send({ type: 'resume', code: code })) $('code-error').textContent = T.err_unavailable;
      return;
    }
    if (op === 'start') {
      filesAllowed = false;
      movedAway = false;
      // A new conversation numbers its lines from 1 again: forget which numbers were shown,
      // or its first questions would be taken for repeats of the old ones and dropped.
      if (session && welcomed) { owner = 'bot'; prompt = null; shown = {}; queue({ type: 'command', command: 'start' }, null); } else restartChat();
      return;
    }
    focusComposer = true;
    if (op === 'send') {
      var area = $('message-input');
      var text = area ? area.value : '';
      if (area && area.type === 'date' && /^\d{4}-\d{2}-\d{2}$/.test(text)) {
        // The picker gives 2026-11-20; said as the question asks for it (20.11.2026, which
        // the dialog reads in every language), so the conversation reads as the person's.
        text = text.slice(8, 10) + '.' + text.slice(5, 7) + '.' + text.slice(0, 4);
      }
      var skippable = prompt && (prompt.actions || []).some(function (a) { return a.id === 'skip'; });
      if (!text.trim() && !skippable) {
        formError(T.err_text_empty, true);
        return;
      }
      var answering = owner !== 'queued' && owner !== 'counsellor' && !caseClosed && prompt;
      if (!text.trim() && answering) {
        // Nothing typed skips an optional question: sent and shown as "Überspringen" is,
        // so the person sees it was skipped (and can go back) instead of a next question
        // out of nowhere, and the conversation says what happened.
        queue({ type: 'answer', choice: 'skip' }, T.skipped);
      } else {
        queue({ type: 'text', text: text }, text);
      }
      if (answering) answered = prompt.seq; else area.value = '';
    } else if (op === 'done') {
      var boxes = f.querySelectorAll('input[name="choices"]:checked');
      var picks = [], labels = [];
      Array.prototype.forEach.call(boxes, function (b) { picks.push(b.value); labels.push(b.labels[0].textContent); });
      if (picks.length < (prompt.min_choices || 0)) { formError(countText('choose_at_least', prompt.min_choices), true); return; }
      if (prompt.max_choices != null && picks.length > prompt.max_choices) { formError(countText('choose_at_most', prompt.max_choices), true); return; }
      queue({ type: 'answer', choices: picks }, labels.join(', '));
      answered = prompt.seq;
    } else if (op.indexOf('choice:') === 0) {
      if (op === 'choice:accept') filesAllowed = true;
      queue({ type: 'answer', choice: op.slice(7) }, op === 'choice:skip' ? T.skipped : button.textContent);
      answered = prompt ? prompt.seq : null;
    } else if (op.indexOf('command:') === 0) {
      queue({ type: 'command', command: op.slice(8) }, null);
      answered = prompt ? prompt.seq : null;
    }
    renderComposer();
  }

  // ---------------------------------------------------------------- files
  // The same multipart form as without JavaScript, sent with XMLHttpRequest for its upload
  // progress; the picture is previewed from the person's own device, never fetched back.
  function sizeText(n) {
    var nf = new Intl.NumberFormat(document.documentElement.lang || 'de', { maximumFractionDigits: 1 });
    return n < 1048576 ? nf.format(Math.max(1, Math.round(n / 1024))) + ' KB' : nf.format(n / 1048576) + ' MB';
  }
  function fileLine(a) {
    var kind = a.type === 'application/pdf' ? T.attachment_pdf : a.type === 'audio/ogg' ? T.attachment_audio : T.attachment_image;
    return fmt('attachment_line', { kind: kind, size: sizeText(a.size || 0) });
  }
  function thumb(file) {
    if (!file || !/^image\/(jpeg|png|webp|heic|heif)$/.test(file.type) || !window.URL) return null;
    var img = el('img', { 'class': 'attach-thumb', alt: '', src: URL.createObjectURL(file) });
    img.addEventListener('load', function () { URL.revokeObjectURL(img.src); });
    // Only Safari draws HEIC: elsewhere the broken picture goes again (the server sends JPEG).
    img.addEventListener('error', function () {
      URL.revokeObjectURL(img.src);
      var box = img.parentNode;
      if (!box) return;
      box.removeChild(img);
      if (box.id === 'attach-preview' && !box.firstChild) box.hidden = true;
    });
    return img;
  }
  function wireAttach(f) {
    var input = f.querySelector('input[type="file"]');
    var preview = $('attach-preview');
    var bar = $('attach-progress');
    var error = $('attach-error');
    var fail = function (text) {
      error.textContent = text;
      input.setAttribute('aria-invalid', 'true');
      bar.hidden = true;
    };
    input.addEventListener('change', function () {
      preview.textContent = '';
      error.textContent = '';
      input.removeAttribute('aria-invalid');
      var shown = 0;
      Array.prototype.forEach.call(input.files, function (file) {
        var img = thumb(file);
        if (img) { preview.appendChild(img); shown += 1; }
      });
      preview.hidden = !shown;
    });
    f.addEventListener('submit', function (event) {
      if (!enhanced) return;
      event.preventDefault();
      var files = Array.prototype.slice.call(input.files);
      if (!files.length) { fail(T.err_file_empty); return; }
      var limits = f.querySelector('.attach-limits');
      var max = Number(limits.getAttribute('data-mb')) * 1048576;
      var most = Number(limits.getAttribute('data-files'));
      if (files.length > most) { fail(countText('err_too_many_files', most)); return; }
      if (files.some(function (file) { return file.size > max; })) { fail(fmt('err_file_too_large', { mb: max / 1048576 })); return; }
      var data = new FormData(f);
      data.set('session', session || '');
      data.set('mid', newId());
      var xhr = new XMLHttpRequest();
      xhr.open('POST', f.getAttribute('action').split('#')[0]);
      xhr.setRequestHeader('Accept', 'application/json');
      bar.hidden = false;
      bar.value = 0;
      var button = $('attach-button');
      button.disabled = true;
      xhr.upload.onprogress = function (e) {
        if (!e.lengthComputable) return;
        bar.value = Math.round(100 * e.loaded / e.total);
        setStatus(fmt('attach_sending', { percent: bar.value }), true);
      };
      xhr.onloadend = function () {
        button.disabled = false;
        var reply = null;
        try { reply = JSON.parse(xhr.responseText); } catch (e) { reply = null; }
        var lines = reply && reply.lines ? reply.lines : [];
        // The thumbnails belong to the lines only when every file went in, in order.
        var whole = lines.length === files.length;
        lines.forEach(function (line, i) {
          var li = messageItem({ sender: 'person' }, line);
          li.classList.add('msg--file');
          var img = whole ? thumb(files[i]) : null;
          if (img) li.appendChild(img);
          list.appendChild(li);
          li.scrollIntoView({ block: 'nearest' });
        });
        bar.hidden = true;
        if (lines.length) {
          input.value = '';
          preview.textContent = '';
          preview.hidden = true;
        }
        if (!reply || !reply.ok) { setStatus('', false); fail(reply && reply.error ? reply.error : T.err_unavailable); return; }
        setStatus(lines.length === 1 ? T.attach_sent : countText('attach_sent_count', lines.length), false);
      };
      xhr.send(data);
    });
  }

  // ---------------------------------------------------------------- the connection
  function connect() {
    clearTimeout(timer);
    if (stopped) return;
    var url = (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + (body.getAttribute('data-ws') || '/chat/ws');
    var slow = setTimeout(function () { if (!welcomed) setStatus(T.status_connecting, true); }, 1500);
    try { ws = new WebSocket(url); } catch (e) { clearTimeout(slow); reconnectLater(); return; }
    var socket = ws;
    socket.onopen = function () {
      socket.send(JSON.stringify({ type: 'hello', session: session || null, language: (cfg.langChosen ? cfg.flowLang : cfg.langGuess) || null, chosen: cfg.langChosen, source: cfg.source }));
    };
    socket.onmessage = function (ev) {
      var f;
      try { f = JSON.parse(ev.data); } catch (e) { return; }
      if (f && typeof f === 'object') onFrame(f);
    };
    socket.onclose = function () {
      clearTimeout(slow);
      if (ws !== socket) return;
      ws = null;
      var was = welcomed;
      welcomed = false;
      pending.forEach(function (item) { item.sent = false; });
      if (!was) failures++;
      if (stopped) return;
      if (!everWelcomed && failures >= 3) { degrade(); return; }
      reconnectLater();
    };
  }
  function reconnectLater() {
    // An answer waiting to be sent is tried every few seconds: the person is looking at it.
    var cap = pending.length ? 4000 : 30000;
    var base = Math.min(cap, 1000 * Math.pow(2, attempt));
    attempt++;
    var delay = base / 2 + Math.random() * base / 2;
    setStatus(fmt('status_reconnecting', { s: Math.max(1, Math.round(delay / 1000)) }), true);
    timer = setTimeout(connect, delay);
  }
  function degrade() {
    // The WebSocket does not get through (a proxy, a filter): use the plain forms instead.
    enhanced = false;
    stopped = true;
    composerBody.replaceWith(original);
    composerBody = original;
    if (session) saveSession(session);
    setStatus('', false);
  }
  function onFrame(f) {
    switch (f.type) {
      case 'welcome':
        var reconnected = everWelcomed;
        welcomed = true;
        everWelcomed = true;
        attempt = 0;
        failures = 0;
        session = f.session;
        saveSession(session);
        owner = f.owner || null;
        caseClosed = !!f.case_closed;
        movedAway = false;
        filesAllowed = !!f.files;
        if (f.resumed && !f.readable) notice(T.unreadable);
        // The preview has no case code form.
        if ($('code-error')) $('code-error').textContent = '';
        if (f.resumed && $('case-code-input')) $('case-code-input').value = '';
        renderHistory(f.history);
        if (f.by_code) welcomeBack();
        setStatus(reconnected ? T.status_connected : '', false);
        flush();
        renderComposer();
        break;
      case 'message':
        if (f.sender === 'counsellor') repliedAt = Date.now();
        addMessage(f);
        break;
      case 'ack':
        // A new conversation (the old one expired or closed while this page stayed open)
        // numbers its lines from 1 again: forget which numbers were shown, or its first
        // lines would be taken for the old ones and never appear.
        if (f.new_conversation) { shown = {}; prompt = null; }
        settle(f.id, false);
        break;
      case 'typing':
        // A signal can arrive after the reply it announced: the console sends it as a
        // request of its own that its reply form may overtake, another replica may relay
        // it late. Right after a reply it is that reply's, and must not show the hint again
        // for seconds; the counsellor's next words send another one.
        if (Date.now() - repliedAt < TYPING_AFTER_REPLY) break;
        // Announced once per burst: the status region is only rewritten when it changes.
        if (statusEl.textContent !== T.counsellor_typing) setStatus(T.counsellor_typing, false);
        break;
      case 'error':
        onError(f);
        break;
      case 'deleted':
        stopped = true;
        clearAll();
        session = null;
        pending = [];
        owner = null;
        prompt = null;
        list.textContent = '';
        shown = {};
        if (ws) ws.close();
        composerBody.textContent = '';
        composerKey = 'deleted';
        composerBody.appendChild(form([submit('start', 'new_chat', null, 'btn-primary')]));
        $('delete-form').hidden = true;
        if ($('export-form')) $('export-form').hidden = true;
        notice(T.deleted_notice);
        break;
      default:
        break;
    }
  }
  var ERRORS = {
    rate_limited: 'err_rate_limited', unavailable: 'err_unavailable', too_large: 'err_too_large',
    bad_frame: 'err_bad_form', unknown_type: 'err_bad_form', code_not_found: 'err_code_not_found',
    code_rate_limited: 'err_code_rate_limited', resume_conflict: 'err_resume_conflict'
  };
  function onError(f) {
    var text = T[ERRORS[f.code] || 'err_bad_form'];
    if (f.code && f.code.indexOf('code') === 0 || f.code === 'resume_conflict') {
      $('code-error').textContent = text;
      return;
    }
    if (f.code === 'hello_first') return;
    if (f.id && (f.code === 'rate_limited' || f.code === 'unavailable')) {
      // Kept with its id and sent again shortly; the server counts it once.
      pending.forEach(function (item) { if (item.frame.id === f.id) item.sent = false; });
      setStatus(text, false);
      setTimeout(flush, 3000);
      return;
    }
    if (f.id) settle(f.id, true, text);
    else setStatus(text, false);
  }
  function restartChat() {
    notice('');
    stopped = false;
    session = null;
    owner = null;
    answered = null;
    if (ws) { var old = ws; ws = null; old.close(); }
    welcomed = false;
    connect();
  }

  // ---------------------------------------------------------------- quick exit
  function quickExit(event) {
    if (event) event.preventDefault();
    stopped = true;
    clearAll();
    body.hidden = true;
    try { if (ws) ws.close(); } catch (e) { /* closing anyway */ }
    if (cfg.embed && window.parent !== window) {
      try { window.parent.postMessage({ type: 'anlaufstelle:quick-exit', url: cfg.exitUrl }, '*'); } catch (e) { /* no parent */ }
    }
    try { window.top.location.replace(cfg.exitUrl); } catch (e) { /* a framed page without a click */ }
    if (window.top !== window) setTimeout(function () { location.replace(cfg.exitUrl); }, 150);
  }
  $('quick-exit').addEventListener('click', quickExit);
  document.addEventListener('keydown', function (event) {
    if (event.key !== 'Escape' || event.isComposing) return;
    if (preview) return; // an admin trying a draft in the console: Escape must not leave it
    if (document.querySelector('dialog[open]')) return; // there Escape closes the dialog
    // In a field Escape means "never mind" (and a screen reader uses it there): it must not
    // throw away what is typed. The button stays one tap away.
    var target = event.target;
    if (target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName))) return;
    quickExit(event);
  });

  // ---------------------------------------------------------------- delete dialog
  var opener = null;
  function openDialog() {
    opener = document.activeElement;
    if (dialog.showModal) dialog.showModal(); else dialog.setAttribute('open', '');
    $('delete-cancel-button').focus();
  }
  function closeDialog() {
    if (dialog.close) dialog.close(); else dialog.removeAttribute('open');
  }
  dialog.addEventListener('close', function () { if (opener && opener.focus) opener.focus(); });
  $('delete-cancel-button').addEventListener('click', closeDialog);
  $('delete-confirm-button').addEventListener('click', function () {
    closeDialog();
    if (!send({ type: 'delete', id: newId(), confirm: true })) notice(T.err_unavailable);
  });

  // ---------------------------------------------------------------- "Neu anfangen" dialog
  var restartDialog = $('restart-dialog');
  var restartOpener = null;
  function openRestart() {
    restartOpener = document.activeElement;
    if (restartDialog.showModal) restartDialog.showModal(); else restartDialog.setAttribute('open', '');
    $('restart-cancel-button').focus();
  }
  function closeRestart() {
    if (restartDialog.close) restartDialog.close(); else restartDialog.removeAttribute('open');
  }
  restartDialog.addEventListener('close', function () {
    if (restartOpener && restartOpener.focus && document.contains(restartOpener)) restartOpener.focus();
  });
  $('restart-cancel-button').addEventListener('click', closeRestart);
  $('restart-confirm-button').addEventListener('click', function () {
    restartOpener = null;
    closeRestart();
    focusComposer = true;
    queue({ type: 'command', command: 'restart' }, null);
    answered = prompt ? prompt.seq : null;
    renderComposer();
  });

  // ---------------------------------------------------------------- language, size, remember
  // The page's nodes and those held out of it for later: the file form (shown only from the
  // consent on) and the plain forms kept for a WebSocket that fails. Relabelling only the
  // document left them in the language the page was loaded in.
  function everywhere(selector, fn) {
    [document, attachForm, original].forEach(function (root) {
      if (!root || (root !== document && document.contains(root))) return;
      Array.prototype.forEach.call(root.querySelectorAll(selector), fn);
    });
  }
  function relabel() {
    everywhere('[data-t]', function (node) {
      var key = node.getAttribute('data-t');
      if (T[key] !== undefined) node.textContent = T[key];
    });
    everywhere('[data-t-label]', function (node) {
      node.setAttribute('aria-label', T[node.getAttribute('data-t-label')]);
    });
    everywhere('.attach-limits', function (node) {
      node.textContent = fmt('attach_limits', { mb: node.getAttribute('data-mb') });
    });
  }
  var wanted = null;  // the language asked for last: an earlier one that arrives later loses
  function switchLanguage(lang, fromChat) {
    wanted = lang;
    fetch('/chat/texts/' + encodeURIComponent(lang) + '.json', { credentials: 'omit' })
      .then(function (r) { if (!r.ok) throw new Error('texts'); return r.json(); })
      .then(function (data) {
        if (lang !== wanted) return;
        T = data.texts;
        P = data.plurals;
        cfg.lang = data.lang;
        cfg.flowLang = data.flow_language;
        cfg.langChosen = true;
        document.documentElement.lang = data.html_lang;
        document.documentElement.dir = data.dir;
        document.title = T.page_title + ' – ' + cfg.office;
        $('ls-marker').hidden = data.lang !== 'ls';
        everywhere('input[name="lang"]', function (i) { i.value = data.lang; });
        Array.prototype.forEach.call(document.querySelectorAll('#language-form button'), function (b) {
          if (b.getAttribute('data-lang') === data.lang) b.setAttribute('aria-current', 'true');
          else b.removeAttribute('aria-current');
        });
        // Our own statement pages follow the language; an office's own URL stays as it is.
        Array.prototype.forEach.call(document.querySelectorAll('[data-legal-page]'), function (a) {
          a.href = a.getAttribute('data-legal-page') + '?lang=' + data.lang + (cfg.embed ? '&embed=1' : '');
        });
        relabel();
        renderComposer(true);
        // Chosen in the chat itself: the conversation has it already.
        // A new chat (its first question on the page, no owner yet) is the bot's as well.
        var botsTurn = owner === 'bot' || (owner === null && !!prompt);
        if (!fromChat && botsTurn && cfg.flowLang) queue({ type: 'language', language: cfg.flowLang }, null);
      })
      .catch(function () { setStatus(T.err_unavailable, false); });
  }

  var sizeBox = $('text-size');
  function setSize(size, save) {
    document.documentElement.setAttribute('data-text-size', size);
    Array.prototype.forEach.call(sizeBox.querySelectorAll('button'), function (b) {
      b.setAttribute('aria-pressed', String(b.getAttribute('data-size') === size));
    });
    if (save) {
      put('sessionStorage', SIZE, size);
      put('localStorage', SIZE, remembered() ? size : null);
    }
  }
  sizeBox.addEventListener('click', function (event) {
    var b = event.target.closest('button[data-size]');
    if (b) setSize(b.getAttribute('data-size'), true);
  });
  setSize((remembered() && get('localStorage', SIZE)) || get('sessionStorage', SIZE) || '1', false);

  var remember = $('remember');
  remember.checked = remembered();
  remember.addEventListener('change', function () {
    put('localStorage', REMEMBER, remember.checked ? '1' : null);
    put('localStorage', KEY, remember.checked && session ? session : null);
    put('localStorage', SIZE, remember.checked ? get('sessionStorage', SIZE) : null);
  });

  // ---------------------------------------------------------------- copy, counter, start
  document.addEventListener('click', function (event) {
    var b = event.target.closest && event.target.closest('button.copy-code');
    if (!b) return;
    var code = b.getAttribute('data-code');
    var done = function () { setStatus(T.copied, false); };
    var fail = function () { setStatus(T.copy_failed, false); };
    if (navigator.clipboard && navigator.clipboard.writeText) navigator.clipboard.writeText(code).then(done, fail);
    else fail();
  });
  var full = false;
  var typingSent = 0;
  document.addEventListener('input', function (event) {
    // Tell the counsellor the person is typing, at most every 4 s and only once handed over.
    if (event.target.id === 'message-input' && (owner === 'queued' || owner === 'counsellor') &&
        Date.now() - typingSent > 4000) {
      typingSent = Date.now();
      send({ type: 'typing' });
    }
    var counter = $('char-count');
    if (!counter || event.target.id !== 'message-input') return;
    var max = Number(counter.getAttribute('data-max'));
    var n = event.target.value.length;
    counter.textContent = countText('chars_count', max, { n: n, max: max });
    if (n >= max && !full) setStatus(T.chars_full, false);
    full = n >= max;
  });
  document.addEventListener('submit', onSubmit);
  if (attachForm) wireAttach(attachForm);
  window.addEventListener('online', retryNow);
  document.addEventListener('visibilitychange', function () {
    if (document.hidden) return;
    unread = 0;
    showUnread();
    retryNow();
  });

  // The quick-exit bar (and the console preview's banner below it) stay on top of the
  // page as it scrolls, so whatever is scrolled to must start below them. Their height
  // depends on the language, the text size and the status line in the bar; measured, not
  // assumed, so the newest line is never scrolled under them (chat.css, --sticky-top).
  function measureSticky() {
    var bar = document.querySelector('.exit-bar');
    var banner = $('preview-banner');
    if (!bar) return;
    var h = bar.getBoundingClientRect().height;
    var root = document.documentElement.style;
    root.setProperty('--exit-bar', h + 'px');
    root.setProperty('--sticky-top', (h + (banner ? banner.getBoundingClientRect().height : 0)) + 'px');
  }
  measureSticky();
  if (window.ResizeObserver) {
    var stickyWatch = new ResizeObserver(measureSticky);
    stickyWatch.observe(document.querySelector('.exit-bar'));
    if ($('preview-banner')) stickyWatch.observe($('preview-banner'));
  } else {
    window.addEventListener('resize', measureSticky);
  }

  document.documentElement.classList.add('js');
  ['text-size', 'remember-box', 'quick-exit-hint'].forEach(function (id) { $(id).hidden = false; });
  $('remember-nojs').hidden = true;
  Array.prototype.forEach.call(document.querySelectorAll('button.copy-code'), function (b) { b.hidden = false; });
  composerBody.textContent = '';
  connect();
})();
