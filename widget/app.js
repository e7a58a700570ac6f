/* The module loader.js imports when the chat opens. scripts/build-widget.sh
 * bundles it with esbuild into dist/lantern-widget-<hash>.js: wasm-bindgen's
 * JS glue (Trunk's output), the panel's styles (src/style.css), the Trusted
 * Types policy for the markup the panel inserts, the coordination of the
 * visitor's tabs, and the hooks that load attach.js when files are used. Plain JS: per byte, this kind of code costs far less here
 * than in the wasm.
 */
import init, { mount } from './dist/lantern-widget.js';
import css from './dist/style.css'; // src/style.css, minified by the build

var policy;

/**
 * Markup for `innerHTML` (widget/src/hooks.rs `trusted`): a TrustedHTML of
 * the `lantern` policy when the page has Trusted Types, else the string.
 * Only the server's sanitised message html and the panel's static icons
 * pass through here.
 */
function html(s) {
  if (policy === undefined) {
    policy = null;
    try {
      if (window.trustedTypes) policy = trustedTypes.createPolicy('lantern', { createHTML: function (x) { return x; } });
    } catch (e) {
      /* the page's `trusted-types` directive does not allow `lantern` */
    }
  }
  return policy ? policy.createHTML(s) : s;
}

/**
 * Joins the visitor's other tabs on this site. One tab, the holder of a Web
 * Lock, keeps the live events stream (`widget.lead()`); when it closes, the
 * lock and the stream pass to another tab. The leader relays each event
 * over a BroadcastChannel; conversation switches and catch-ups travel the
 * same way, and the rest (`open`, `unread`, `hello`) goes to `other`.
 * Returns the function that posts to the other tabs.
 * Without BroadcastChannel or Web Locks (insecure origins, old browsers)
 * every tab keeps its own stream, as before.
 */
function tabs(site, widget, other) {
  var channel = null;
  try {
    channel = new BroadcastChannel('lantern:' + site);
  } catch (e) {
    /* not supported */
  }
  var locks = navigator.locks;
  if (channel && locks) {
    locks.request('lantern:' + site + ':live', function () {
      widget.lead();
      return new Promise(function () {}); // held while this tab lives
    }).catch(function () { widget.lead(); });
  } else {
    widget.lead();
  }
  if (!channel) return function () {};
  channel.onmessage = function (e) {
    var m = e.data || {};
    if (m.t === 'ev') widget.event(m.e, m.d);
    else if (m.t === 'conv') widget.adopt(m.id);
    else if (m.t === 'sync') widget.catch_up();
    else other(m);
  };
  return function (m) { channel.postMessage(m); };
}

/**
 * Files (attach button, paste, drop; thumbnails and downloads in the
 * transcript) are attach.js's, imported the first time one of them is
 * needed: most visitors never download it. `ATTACH_JS` is its hashed name,
 * put in by scripts/build-widget.sh. Returns the hooks for the panel.
 */
function files(el, widget, lang, style) {
  var loading, mod;
  function use(fn) {
    loading = loading || import(new URL(ATTACH_JS, import.meta.url).href).then(function (m) {
      return (mod = m.init(el, widget(), lang, style));
    });
    loading.then(fn, function () { loading = null; });
  }
  function dropped(e) {
    var f = e.clipboardData || e.dataTransfer;
    f = f && [].slice.call(f.files || []);
    // The attach button is hidden when the site takes no files.
    if (f && f.length && !el.querySelector('.attach[hidden]')) {
      e.preventDefault();
      use(function (m) { m.add(f); });
    }
  }
  el.addEventListener('paste', dropped);
  el.addEventListener('drop', dropped);
  el.addEventListener('dragover', function (e) {
    if (e.dataTransfer && [].indexOf.call(e.dataTransfer.types, 'Files') >= 0) e.preventDefault();
  });
  el.addEventListener('click', function (e) {
    var b = e.target.closest && e.target.closest('[data-url]');
    if (b) use(function (m) { m.open(b); });
  });
  new MutationObserver(function () {
    if (el.querySelector('img[data-src]')) use(function (m) { m.show(); });
  }).observe(el, { childList: true, subtree: true });
  return {
    attach: function () { use(function (m) { m.pick(); }); },
    // Files pasted a moment ago may wait for attach.js still.
    files: function () {
      return mod ? mod.take() : loading && loading.then(function (m) { return m.take() || []; });
    }
  };
}

/**
 * Loads the wasm from `wasm`, mounts the panel into `el` with the embed's
 * settings `config`, and wires it up: the panel's hooks (widget/src/hooks.rs)
 * to the loader's `ui` (launcher, badge, `Lantern.on` listeners, styles) and
 * to the visitor's other tabs. Resolves to the mounted widget.
 */
export function start(wasm, el, config, ui) {
  return init({ module_or_path: wasm }).then(function () {
    ui.style(css);
    var post = function () {};
    var widget;
    var file = files(el, function () { return widget; }, config.lang, ui.style);
    var hooks = {
      attach: file.attach,
      files: file.files,
      html: html,
      close: function () { ui.close(); },
      color: ui.color,
      message: function (m) { ui.emit('message', m); },
      unread: function (n) {
        var before = ui.unread(0);
        if (ui.unread(n) !== before) post({ t: 'unread', n: ui.unread(0) });
      },
      relay: function (e, d) { post({ t: 'ev', e: e, d: d }); },
      conv: function (id) { post({ t: 'conv', id: id }); },
      sync: function () { post({ t: 'sync' }); }
    };
    widget = mount(el, JSON.stringify(config), hooks);
    post = ui.post = tabs(config.site, widget, function (m) {
      if (m.t === 'open') m.v ? ui.open(true) : ui.close(true);
      else if (m.t === 'unread') ui.unread(m.n);
      else if (m.t === 'hello' && ui.unread(0)) post({ t: 'unread', n: ui.unread(0) });
    });
    post({ t: 'hello' });
    return widget;
  });
}
