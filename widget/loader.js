/* Lantern loader: the one tag a site embeds. Plain JS, no framework. It draws
 * the launcher in a shadow root and loads the WASM app only when needed. */
(function () {
  var script = document.currentScript;
  if (!script || window.Lantern) return;
  var site = script.getAttribute('data-site') || 'demo';
  var base = new URL(script.src, location.href).origin;
  var host = document.createElement('div');
  host.id = 'lantern-widget';
  var root = host.attachShadow({ mode: 'open' });
  var button = document.createElement('button');
  button.className = 'lantern-launcher';
  button.setAttribute('aria-label', 'Open chat');
  button.textContent = '\u{1F4AC}';
  var mountPoint = document.createElement('div');
  mountPoint.className = 'lantern-mount';
  root.append(button, mountPoint);
  var loading = null;
  function open() {
    if (!loading) {
      loading = import(base + '/widget/lantern-widget.js').then(function (m) {
        return m.default({ module_or_path: base + '/widget/lantern-widget_bg.wasm' }).then(function () {
          m.mount(mountPoint, site);
        });
      });
    }
    return loading;
  }
  button.addEventListener('click', open);
  window.Lantern = { open: open, close: function () {}, identify: function () {} };
  (document.body || document.documentElement).appendChild(host);
})();
