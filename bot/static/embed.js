/* Anlaufstelle chat launcher for partner sites (docs/embedding.md):
     <script src="https://OFFICE/chat/embed.js" defer></script>
   Adds one accessible button that opens the chat in a panel with an iframe, or in a new
   tab on very small screens. Styles are set through the CSSOM (allowed under a strict
   style-src), no cookies, nothing sent to anyone but the office's own server.
   Optional attributes on the script tag: data-lang="de|ls|en|ar|tr|uk|ru|pl|fa",
   data-label="…". */
(function () {
  'use strict';
  var script = document.currentScript;
  if (!script || window.__anlaufstelleEmbed) return;
  window.__anlaufstelleEmbed = true;
  var origin = new URL(script.src, location.href).origin;
  // [button, close button] per language and the languages written right to left: the server
  // fills both in from the text catalog (bot/web/pages.py, embed_script), so the launcher
  // speaks every language of the chat, in the translations admins import too.
  var LABELS = /*LABELS*/{ de: ['Chat: Hilfe bei Diskriminierung', 'Chat schließen'] };
  var RTL = /*RTL*/[];
  var page = (document.documentElement.lang || 'de').toLowerCase().slice(0, 2);
  var lang = script.getAttribute('data-lang') || (LABELS[page] ? page : 'de');
  if (!LABELS[lang]) lang = 'de';
  var rtl = RTL.indexOf(lang) >= 0;
  var chatUrl = origin + '/chat?embed=1&lang=' + encodeURIComponent(lang);
  var fullUrl = origin + '/chat?lang=' + encodeURIComponent(lang);

  function css(node, styles) { Object.keys(styles).forEach(function (k) { node.style[k] = styles[k]; }); }
  var button = document.createElement('button');
  button.type = 'button';
  button.textContent = script.getAttribute('data-label') || LABELS[lang][0];
  button.setAttribute('aria-expanded', 'false');
  button.setAttribute('aria-controls', 'anlaufstelle-chat-panel');
  button.lang = lang === 'ls' ? 'de' : lang;
  css(button, {
    position: 'fixed', bottom: '1rem', zIndex: '2147483000', minHeight: '44px', minWidth: '44px',
    padding: '0.75rem 1.25rem', border: '2px solid #ffffff', borderRadius: '0.5rem',
    background: '#0b57a4', color: '#ffffff', font: 'inherit', fontWeight: '700', cursor: 'pointer',
    boxShadow: '0 0 0 2px #0b57a4', maxWidth: 'calc(100vw - 2rem)'
  });
  button.style[rtl ? 'left' : 'right'] = '1rem';

  var panel = null;
  function close() {
    if (!panel) return;
    panel.remove();
    panel = null;
    button.setAttribute('aria-expanded', 'false');
    button.focus();
  }
  function open() {
    if (window.innerWidth < 480) {
      window.open(fullUrl, '_blank', 'noopener,noreferrer');
      return;
    }
    if (panel) { close(); return; }
    panel = document.createElement('div');
    panel.id = 'anlaufstelle-chat-panel';
    panel.setAttribute('role', 'dialog');
    panel.setAttribute('aria-label', button.textContent);
    panel.dir = rtl ? 'rtl' : 'ltr';
    css(panel, {
      position: 'fixed', bottom: '5rem', zIndex: '2147483000', width: 'min(26rem, calc(100vw - 2rem))',
      height: 'min(40rem, calc(100vh - 7rem))', display: 'flex', flexDirection: 'column',
      background: '#ffffff', border: '2px solid #1b1b1f', borderRadius: '0.5rem', overflow: 'hidden'
    });
    panel.style[rtl ? 'left' : 'right'] = '1rem';
    var shut = document.createElement('button');
    shut.type = 'button';
    shut.textContent = LABELS[lang][1];
    css(shut, {
      minHeight: '44px', padding: '0.5rem 1rem', border: '0', borderBottom: '2px solid #1b1b1f',
      background: '#f1f3f6', color: '#1b1b1f', font: 'inherit', fontWeight: '700', cursor: 'pointer'
    });
    shut.addEventListener('click', close);
    var frame = document.createElement('iframe');
    frame.src = chatUrl;
    frame.title = button.textContent;
    frame.setAttribute('referrerpolicy', 'no-referrer');
    frame.setAttribute('allow', 'clipboard-write');
    css(frame, { flex: '1 1 auto', width: '100%', border: '0' });
    panel.appendChild(shut);
    panel.appendChild(frame);
    document.body.appendChild(panel);
    button.setAttribute('aria-expanded', 'true');
    frame.focus();
  }
  button.addEventListener('click', open);
  document.addEventListener('keydown', function (event) {
    if (event.key === 'Escape' && panel && panel.contains(document.activeElement)) close();
  });
  // Quick exit inside the chat also leaves the partner page (an iframe cannot always do it).
  window.addEventListener('message', function (event) {
    if (event.origin !== origin || !event.data || event.data.type !== 'anlaufstelle:quick-exit') return;
    var url = String(event.data.url || '');
    if (!/^https?:\/\//.test(url)) url = 'https://www.google.com/';
    if (panel) panel.remove();
    location.replace(url);
  });
  function mount() { document.body.appendChild(button); }
  if (document.body) mount(); else document.addEventListener('DOMContentLoaded', mount);
})();
