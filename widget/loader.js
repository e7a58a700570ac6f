/* Lantern loader: the one tag a site embeds. Plain JS, no framework.
 *
 * It draws the launcher bubble inside a shadow root (so neither the host
 * page's CSS nor ours crosses the boundary) and loads the WASM app only when
 * the visitor opens the chat, or at once when this site's visitor has a
 * conversation from an earlier page view (so replies can raise the unread
 * badge). Nothing here blocks the host page: the app is a dynamic import.
 *
 * Kept readable; scripts/build-widget.sh minifies it into widget/dist.
 */
(function () {
  var script = document.currentScript;
  if (!script || window.Lantern) return;
  var data = script.dataset;
  var site = data.site || 'demo';
  var base = new URL(script.src, location.href).origin;
  var lang = (data.lang || document.documentElement.lang || navigator.language || 'en').toLowerCase();
  var short = lang.split('-')[0];
  var rtl = /^(ar|he|fa|ur)$/.test(short);
  var left = data.position ? data.position === 'left' : rtl;
  // [open, close] labels of the launcher; the app has its own table.
  var labels = {
    en: ['Open chat', 'Close chat'],
    ar: ['\u0641\u062a\u062d \u0627\u0644\u0645\u062d\u0627\u062f\u062b\u0629', '\u0625\u063a\u0644\u0627\u0642 \u0627\u0644\u0645\u062d\u0627\u062f\u062b\u0629'],
    fr: ['Ouvrir le chat', 'Fermer le chat'],
    es: ['Abrir el chat', 'Cerrar el chat'],
    de: ['Chat \u00f6ffnen', 'Chat schlie\u00dfen']
  }[short] || ['Open chat', 'Close chat'];

  // Per-site keys, shared with the app (widget/src/store.rs).
  var key = 'lantern:' + site + ':';
  function load(name) {
    try { return localStorage.getItem(key + name); } catch (e) { return null; }
  }
  function save(name, value) {
    try { localStorage.setItem(key + name, value); } catch (e) { /* storage disabled */ }
  }

  var host = document.createElement('div');
  host.id = 'lantern-widget';
  var root = host.attachShadow({ mode: 'open' });
  var style = document.createElement('style');
  // `all: initial !important` on the host: inside the shadow tree our
  // !important beats the page's, so nothing inherited leaks in.
  style.textContent =
    ':host{all:initial!important}' +
    '.lantern-launcher{position:fixed;bottom:20px;' + (left ? 'left' : 'right') + ':20px;z-index:2147483000;' +
    'width:56px;height:56px;border:0;border-radius:50%;padding:0;cursor:pointer;color:#fff;' +
    'background:var(--lantern-color,#2563eb);box-shadow:0 4px 14px rgba(0,0,0,.25);display:grid;place-items:center}' +
    '.lantern-launcher:focus-visible{outline:3px solid #111;outline-offset:3px}' +
    '.lantern-launcher svg{width:28px;height:28px;fill:currentColor}' +
    '.lantern-badge{position:absolute;top:-4px;right:-4px;min-width:20px;height:20px;border-radius:10px;' +
    'background:#dc2626;color:#fff;font:700 12px/20px system-ui,sans-serif;text-align:center}' +
    '.lantern-badge[hidden]{display:none}' +
    // Full-screen panel on phones: it has its own minimise button.
    '@media(max-width:640px){.lantern-launcher[aria-expanded=true]{display:none}}';
  var button = document.createElement('button');
  button.type = 'button';
  button.className = 'lantern-launcher';
  button.setAttribute('aria-expanded', 'false');
  button.innerHTML =
    '<svg viewBox="0 0 24 24" aria-hidden="true"><path d="M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H8l-4 4V6a2 2 0 0 1 2-2z"/></svg>' +
    '<span class="lantern-badge" hidden></span>';
  var badge = button.lastChild;
  var mountPoint = document.createElement('div');
  mountPoint.className = 'lantern-mount' + (left ? ' left' : '');
  root.append(style, mountPoint, button);
  if (data.color) host.style.setProperty('--lantern-color', data.color);

  var isOpen = false;
  var unread = 0;
  var identity = {};
  var widget = null;
  var loading = null;

  function label() {
    button.setAttribute('aria-label', labels[isOpen ? 1 : 0] + (unread ? ' (' + unread + ')' : ''));
    button.setAttribute('aria-expanded', String(isOpen));
    badge.hidden = !unread;
    badge.textContent = unread || '';
  }

  // Called by the app: the visitor closed the panel, a reply arrived while
  // closed, or the site's configured colour is known.
  var hooks = {
    close: function () { close(); },
    unread: function (n) { unread = isOpen ? 0 : n; label(); },
    color: function (c) { if (!data.color) host.style.setProperty('--lantern-color', c); }
  };

  function start() {
    if (!loading) {
      loading = import(base + '/widget/lantern-widget.js').then(function (m) {
        return m.default({ module_or_path: base + '/widget/lantern-widget_bg.wasm' }).then(function () {
          widget = m.mount(mountPoint, JSON.stringify({
            site: site, api: base, lang: lang, color: data.color || null, open: isOpen,
            user_id: identity.user_id || null, user_hash: identity.user_hash || null
          }), hooks);
          return widget;
        });
      });
    }
    return loading;
  }

  function open() {
    isOpen = true;
    unread = 0;
    save('open', '1');
    label();
    return start().then(function (w) { if (isOpen) w.set_open(true); });
  }

  function close() {
    var was = isOpen;
    isOpen = false;
    save('open', '0');
    label();
    if (widget) widget.set_open(false);
    if (was) button.focus();
  }

  button.addEventListener('click', function () { isOpen ? close() : open(); });

  window.Lantern = {
    open: open,
    close: close,
    identify: function (who) {
      identity = who || {};
      if (widget) widget.identify(identity.user_id || '', identity.user_hash || '');
    }
  };

  function attach() {
    document.body.appendChild(host);
    label();
    if (load('open') === '1' || ('open' in data && load('open') !== '0')) open();
    else if (load('conv')) start();
  }
  if (document.body) attach();
  else document.addEventListener('DOMContentLoaded', attach);
})();
