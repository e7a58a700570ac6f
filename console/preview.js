/* The console's live preview: loads the real widget's loader into this
 * page with the form's values (site, colour, position, language) from the
 * query string. A separate file, not inline: the console's CSP allows only
 * its own scripts. */
(function () {
  var q = new URLSearchParams(location.search);
  var s = document.createElement('script');
  s.src = '/widget/loader.js';
  s.async = true;
  s.dataset.site = q.get('site') || 'demo';
  if (q.get('color')) s.dataset.color = q.get('color');
  if (q.get('position')) s.dataset.position = q.get('position');
  if (q.get('lang')) s.dataset.lang = q.get('lang');
  document.body.appendChild(s);
})();
