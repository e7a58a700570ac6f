/* Files in the widget, loaded by app.js only when first needed: the visitor
 * attaches, pastes or drops a file, or a message with files shows up. Kept
 * out of the wasm and out of app.js so the chat opens without it (issue 22's
 * weight budget). scripts/build-widget.sh bundles it into
 * dist/lantern-attach-<hash>.js.
 *
 * The tray (`.tray`, put above the panel's composer) lists the files
 * to send: a preview of an image, the name and size of anything else, the
 * upload's progress, a cancel button, and on failure the server's reason and
 * a retry. The composer takes the uploaded files along with the message
 * (`take`). Uploads and downloads carry the visitor's token (`widget.auth()`),
 * so the transcript's thumbnails and files are fetched here, not linked.
 */

// Per language: uploading, remove, retry, upload failed, offline.
var TABLE = {
  en: 'Uploading|Remove|Retry|Not sent|No connection',
  fr: 'Envoi|Retirer|Réessayer|Non envoyé|Pas de connexion',
  es: 'Subiendo|Quitar|Reintentar|No enviado|Sin conexión',
  de: 'Wird hochgeladen|Entfernen|Erneut versuchen|Nicht gesendet|Keine Verbindung',
  ar: 'جارٍ الرفع|إزالة|إعادة المحاولة|لم يُرسل|لا يوجد اتصال'
};
// The tray's styles (the panel's own, style.css, leave it out: only
// visitors who attach need them).
var CSS = '.tray:empty{display:none}.tray{display:grid;gap:6px;padding:8px 10px 0;max-height:150px;overflow-y:auto;font-size:13px}' +
  '.item{display:flex;gap:8px;align-items:center}.item img{width:44px;height:44px;object-fit:cover;border-radius:6px}' +
  '.info{flex:1;min-width:0;overflow-wrap:anywhere}.info progress,.info .error{display:block;width:100%}' +
  '.error{color:#b91c1c}.item button{border:1px solid #9ca3af;background:transparent;color:inherit;border-radius:6px;padding:2px 8px}' +
  '@media (prefers-color-scheme:dark){.error{color:#fca5a5}}';
// The server's own limit per message (server/src/attachments MAX_PER_MESSAGE).
var MAX = 10;

function size(n) {
  return n < 1024 ? n + ' B' : n < 1048576 ? (n >> 10) + ' KB' : (n / 1048576).toFixed(1) + ' MB';
}

function node(tag, cls, text) {
  var e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text != null) e.textContent = text;
  return e;
}

/**
 * Sets up files for the panel in `el` of the mounted `widget`, in `lang`;
 * `style(css)` adds styles to the panel's shadow root.
 * Returns `{ add(files), pick(), take(), show(), open(button) }`.
 */
export function init(el, widget, lang, style) {
  style(CSS);
  var t = (TABLE[String(lang).split('-')[0]] || TABLE.en).split('|');
  var items = [];
  // The visitor's token and the upload URL, from the panel (none before
  // the conversation exists: the panel makes it when it opens).
  function auth() {
    var a = widget.auth();
    return a.length ? Promise.resolve(a) : Promise.reject();
  }
  var picker;

  // Draws the tray again (on a change of state; progress moves the bar
  // alone), keeping the focus on the same button when it is still there.
  function render() {
    var tray = el.querySelector('.tray');
    if (!tray) {
      // Above the composer (again, when the panel was drawn anew).
      var form = el.querySelector('.composer');
      if (!form) return;
      tray = node('div', 'tray');
      tray.setAttribute('aria-live', 'polite');
      form.before(tray);
    }
    var focused = el.getRootNode().activeElement;
    var key = focused && tray.contains(focused) && focused.getAttribute('aria-label');
    tray.replaceChildren.apply(tray, items.map(function (it) {
      var row = node('div', 'item' + (it.error ? ' failed' : it.id ? ' done' : ''));
      if (it.preview) {
        var img = node('img');
        img.src = it.preview;
        img.alt = '';
        row.append(img);
      }
      var info = node('span', 'info');
      info.append(node('b', '', it.file.name || 'image.png'), ' ' + size(it.file.size));
      if (it.error) info.append(node('span', 'error', t[3] + ': ' + it.error));
      else if (!it.id) {
        var bar = it.bar = node('progress');
        bar.max = 100;
        bar.value = it.pct;
        bar.setAttribute('aria-label', t[0] + ' ' + it.file.name);
        info.append(bar);
      }
      row.append(info);
      // A refusal (type, size, quota) stays one: retry only what may pass.
      if (it.error && it.retry) row.append(button(t[2], it, function () { upload(it); }));
      row.append(button(t[1], it, function () { remove(it); }));
      return row;
    }));
    tray.querySelectorAll('button').forEach(function (b) {
      if (key && b.getAttribute('aria-label') === key) b.focus();
    });
  }

  function button(label, it, fn) {
    var b = node('button', '', label);
    b.type = 'button';
    b.setAttribute('aria-label', label + ' ' + it.file.name);
    b.addEventListener('click', fn);
    return b;
  }

  function settle(it) {
    it.xhr = null;
    it.done();
    render();
  }

  function upload(it) {
    it.error = '';
    it.pct = 0;
    it.p = new Promise(function (ok) { it.done = ok; });
    render();
    auth().then(function (a) {
      if (items.indexOf(it) < 0) return it.done();
      var x = it.xhr = new XMLHttpRequest();
      x.open('POST', a[1]);
      x.setRequestHeader('Authorization', 'Bearer ' + a[0]);
      x.upload.onprogress = function (e) {
        if (e.lengthComputable && it.bar) it.bar.value = it.pct = Math.round((100 * e.loaded) / e.total);
      };
      x.onload = function () {
        var body = {};
        try { body = JSON.parse(x.responseText); } catch (e) { /* not JSON */ }
        if (x.status === 201 && body.id) it.id = body.id;
        // The error envelope's message says why (too large, type, quota…).
        else {
          it.error = body.message || 'HTTP ' + x.status;
          it.retry = x.status === 429 || x.status >= 500;
        }
        settle(it);
      };
      x.onerror = function () { it.error = t[4]; it.retry = true; settle(it); };
      var form = new FormData();
      form.append('file', it.file, it.file.name || 'image.png');
      x.send(form);
    }, function () { it.error = t[4]; it.retry = true; settle(it); });
  }

  function remove(it) {
    items = items.filter(function (x) { return x !== it; });
    if (it.xhr) it.xhr.abort();
    if (it.preview) URL.revokeObjectURL(it.preview);
    it.done();
    render();
    var box = el.querySelector('textarea');
    if (box) box.focus();
  }

  function add(files) {
    [].slice.call(files, 0, MAX - items.length).forEach(function (f) {
      var it = { file: f, pct: 0 };
      // Pictures the server takes only (an SVG is refused: no preview).
      if (/^image\/(png|jpeg|gif|webp)$/.test(f.type)) it.preview = URL.createObjectURL(f);
      items.push(it);
      upload(it);
    });
  }

  // The message's files: a promise of the ids uploaded (once those under
  // way finish), or undefined when none waits. Failed ones stay, with why.
  function take() {
    if (!items.length) return undefined;
    return Promise.all(items.map(function (it) { return it.p; })).then(function () {
      var sent = items.filter(function (it) { return it.id; });
      items = items.filter(function (it) { return !it.id; });
      sent.forEach(function (it) { if (it.preview) URL.revokeObjectURL(it.preview); });
      render();
      return sent.map(function (it) { return it.id; });
    });
  }

  function pick() {
    if (!picker) {
      picker = node('input');
      picker.type = 'file';
      picker.multiple = true;
      picker.accept = 'image/png,image/jpeg,image/gif,image/webp,application/pdf,text/plain';
      picker.addEventListener('change', function () { add(picker.files); picker.value = ''; });
    }
    picker.click();
  }

  function get(url) {
    return auth().then(function (a) {
      return fetch(url, { headers: { Authorization: 'Bearer ' + a[0] } });
    }).then(function (r) {
      if (!r.ok) throw r.status;
      return r.blob();
    });
  }

  // Thumbnails in the transcript, each fetched once.
  function show() {
    el.querySelectorAll('img[data-src]').forEach(function (img) {
      var url = img.dataset.src;
      img.removeAttribute('data-src');
      get(url).then(function (b) {
        img.onload = function () {
          var log = el.querySelector('.log');
          if (log) log.scrollTop = log.scrollHeight;
        };
        img.src = URL.createObjectURL(b);
      }, function () { /* the alt text stays */ });
    });
  }

  // A click on a file: an image opens in a tab, anything else downloads
  // (a `download` link: never shown as a page, whatever its bytes).
  function open(b) {
    get(b.dataset.url).then(function (blob) {
      var a = node('a');
      a.href = URL.createObjectURL(blob);
      if (/^image\//.test(b.dataset.type)) a.target = '_blank';
      else a.download = b.dataset.name;
      a.rel = 'noopener';
      a.click();
      setTimeout(function () { URL.revokeObjectURL(a.href); }, 60000);
    }, function () { /* gone or not the visitor's: nothing to show */ });
  }

  return { add: add, pick: pick, take: take, show: show, open: open };
}
