/* Lantern loader: the one tag a site embeds. Plain JS, no framework.
 *
 * It draws the launcher bubble inside a shadow root (so neither the host
 * page's CSS nor ours crosses the boundary) and loads the app (app.js: the
 * WASM widget, its styles, the visitor's tabs) only when the visitor opens
 * the chat, or at once when this site's visitor has a conversation from an
 * earlier page view (so replies can raise the unread badge). Nothing here
 * blocks the host page: the app is a dynamic import.
 *
 * Host-page safety: nothing is thrown into the page (a failed load turns the
 * bubble into an honest "unavailable" state and the next click tries
 * again); no inline script, no eval, no markup strings (the icon is built
 * node by node, so `require-trusted-types-for 'script'` is fine); styles
 * are constructed stylesheets, which `style-src` does not govern.
 *
 * The rest (the panel's hooks, the visitor's other tabs) is in app.js: this
 * file is downloaded by every page view, app.js only when the chat opens.
 * Kept readable; scripts/build-widget.sh minifies it into widget/dist and
 * puts the build's content hash into the app's file names below.
 */
(function () {
  var script = document.currentScript;
  if (!script || window.Lantern) return;
  try {
    boot(script);
  } catch (e) {
    /* never into the host page */
  }

  function boot(script) {
    var data = script.dataset;
    var site = data.site || 'demo';
    var base = new URL(script.src, location.href).origin;
    var app = base + '/widget/lantern-widget';
    var lang, labels, rtl;
    // Open, close and unavailable labels of the launcher, by language (the
    // app has its own table).
    var table = {
      ar: '\u0641\u062a\u062d \u0627\u0644\u0645\u062d\u0627\u062f\u062b\u0629|\u0625\u063a\u0644\u0627\u0642 \u0627\u0644\u0645\u062d\u0627\u062f\u062b\u0629|' +
        '\u0627\u0644\u0645\u062d\u0627\u062f\u062b\u0629 \u063a\u064a\u0631 \u0645\u062a\u0627\u062d\u0629',
      fr: 'Ouvrir le chat|Fermer le chat|Chat indisponible',
      es: 'Abrir el chat|Cerrar el chat|Chat no disponible',
      de: 'Chat \u00f6ffnen|Chat schlie\u00dfen|Chat nicht verf\u00fcgbar'
    };
    function setLang(tag) {
      lang = String(tag || 'en').toLowerCase();
      var short = lang.split('-')[0];
      rtl = /^(ar|he|fa|ur)$/.test(short);
      labels = (table[short] || 'Open chat|Close chat|Chat unavailable').split('|');
    }
    setLang(data.lang || document.documentElement.lang || navigator.language);
    var left = data.position ? data.position === 'left' : rtl;

    // Reads (no value) or writes a per-site key, shared with the app
    // (widget/src/store.rs); storage may be disabled.
    function store(name, value) {
      try {
        name = 'lantern:' + site + ':' + name;
        return value ? localStorage.setItem(name, value) : localStorage.getItem(name);
      } catch (e) { return null; }
    }

    var host = document.createElement('div');
    host.id = 'lantern-widget';
    var root = host.attachShadow({ mode: 'open' });
    // Constructed stylesheets where the browser has them (a host page's
    // `style-src` cannot block them), a <style> element elsewhere.
    function addStyle(css) {
      try {
        var sheet = new CSSStyleSheet();
        sheet.replaceSync(css);
        root.adoptedStyleSheets = root.adoptedStyleSheets.concat(sheet);
      } catch (e) {
        var el = document.createElement('style');
        el.textContent = css;
        root.prepend(el);
      }
    }
    // `all: initial !important` on the host: inside the shadow tree our
    // !important beats the page's, so nothing inherited leaks in.
    addStyle(
      ':host{all:initial!important}[hidden]{display:none!important}' +
      '.lantern-launcher{position:fixed;bottom:20px;' + (left ? 'left' : 'right') + ':20px;z-index:2147483000;' +
      'width:56px;height:56px;border:0;border-radius:50%;padding:0;cursor:pointer;color:#fff;' +
      'background:var(--lantern-color,#2563eb);box-shadow:0 4px 14px rgba(0,0,0,.25);display:grid;place-items:center}' +
      '.lantern-launcher:focus-visible{outline:3px solid #111;outline-offset:3px}' +
      // The icon is a clip path: no markup, no image for a CSP to refuse.
      '.lantern-launcher i{width:24px;height:24px;background:currentColor;transform:scale(1.17);' +
      'clip-path:path("M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H8l-4 4V6a2 2 0 0 1 2-2z")}' +
      '[aria-busy]{cursor:progress}' +
      '.lantern-launcher[data-error]{background:#4b5563}' +
      '.lantern-badge{position:absolute;top:-4px;right:-4px;min-width:20px;height:20px;border-radius:10px;' +
      'background:#b91c1c;color:#fff;font:700 12px/20px system-ui,sans-serif;text-align:center}' +
      // Full-screen panel on phones: it has its own minimise button.
      '@media(max-width:640px){.lantern-launcher[aria-expanded=true]{display:none}}');
    var button = document.createElement('button');
    button.className = 'lantern-launcher';
    var badge = document.createElement('span');
    badge.className = 'lantern-badge';
    button.append(document.createElement('i'), badge);
    var mountPoint = document.createElement('div');
    if (left) mountPoint.className = 'left';
    root.append(mountPoint, button);
    function color(c) { host.style.setProperty('--lantern-color', c); }
    if (data.color) color(data.color);

    var isOpen = false;
    var unread = 0;
    var failed = false;
    var identity = {};
    var widget = null;
    var loading = null;
    var retry = '';
    var listeners = {};

    function label() {
      button.setAttribute('aria-label', failed ? labels[2] : labels[isOpen ? 1 : 0] + (unread ? ' (' + unread + ')' : ''));
      button.setAttribute('aria-expanded', isOpen);
      button.toggleAttribute('data-error', failed);
      badge.hidden = !unread && !failed;
      badge.textContent = failed ? '!' : unread || '';
    }

    // `Lantern.on` listeners; one that throws does not stop the others (its
    // error goes to the console, not into our code).
    function emit(name, arg) {
      (listeners[name] || []).forEach(function (fn) {
        try { fn(arg); } catch (e) { console.error(e); }
      });
    }

    // What app.js may do here (it adds `post`, to the other tabs). The
    // badge shows the highest count any tab has seen since the panel was
    // last open.
    var ui = {
      open: open,
      close: close,
      emit: emit,
      style: addStyle,
      unread: function (n) {
        n = isOpen ? 0 : Math.max(unread, n);
        if (n !== unread) { unread = n; label(); }
        return unread;
      },
      color: function (c) { if (!data.color) color(c); }
    };
    function post(m) { if (ui.post) ui.post(m); }

    function start() {
      if (!loading) {
        button.setAttribute('aria-busy', 'true');
        // A failed import stays failed for its URL: a retry asks for
        // another one (the server ignores the query).
        loading = import(app + '.js' + retry).then(function (m) {
          return m.start(app + '_bg.wasm', mountPoint, {
            // Missing keys read as none (widget/src/codec.rs).
            site: site, api: base, lang: lang, color: data.color, open: isOpen,
            who: identity
          }, ui).then(function (w) {
            failed = false;
            return widget = w;
          });
        });
        loading.catch(function () {
          // Server down, blocked or the app broken: say so on the bubble;
          // the next click tries again.
          loading = null;
          retry += '?';
          failed = true;
          isOpen = false;
        }).then(function () {
          button.removeAttribute('aria-busy');
          label();
        });
      }
      return loading;
    }

    function open(remote) {
      var was = isOpen;
      isOpen = true;
      unread = 0;
      store('open', '1');
      label();
      if (!remote) post({ t: 'open', v: 1 });
      return start().then(function (w) {
        if (!isOpen) return;
        w.set_open(true);
        if (!was) emit('open');
      }, function () { /* shown on the bubble */ });
    }

    function close(remote) {
      var was = isOpen;
      isOpen = false;
      store('open', '0');
      label();
      if (widget) widget.set_open(false);
      if (!remote) post({ t: 'open', v: 0 });
      if (was) {
        if (!remote) button.focus();
        emit('close');
      }
    }

    button.addEventListener('click', function () { isOpen ? close() : open(); });

    window.Lantern = {
      open: function () { return open(); },
      close: function () { close(); },
      identify: function (who) {
        identity = who || {};
        if (widget) widget.identify(JSON.stringify(identity));
      },
      // `message` (a stored message, the visitor's or a reply, as it
      // arrives), `open`, `close`.
      on: function (name, fn) {
        (listeners[name] = listeners[name] || []).push(fn);
      },
      setLanguage: function (tag) {
        setLang(tag);
        label();
        if (widget) widget.set_language(lang);
      },
      hide: function () { button.hidden = mountPoint.hidden = true; },
      show: function () { button.hidden = mountPoint.hidden = false; }
    };

    function attach() {
      document.body.appendChild(host);
      label();
      if (store('open') === '1' || ('open' in data && store('open') !== '0')) open(true);
      else if (store('conv')) start();
    }
    if (document.body) attach();
    else document.addEventListener('DOMContentLoaded', function () {
      try { attach(); } catch (e) { /* never into the host page */ }
    });
  }
})();
