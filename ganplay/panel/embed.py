"""The panel inside another page (the dashboard's Explore page embeds /panel/ in an iframe).

`HEAD` is a small script for the panel's <head>. In a frame (`window.parent !== window`) it
- marks the page `gp-embedded`, so `CSS` hides what belongs to a page of its own: Gradio's footer
  ("Use via API", "Built with Gradio", Settings, and the screen-recording controls that live in
  the settings and the footer), and drops the page's side margins (the host page has its own);
- tells the parent page the height of its content (`{type: MESSAGE, height}` by `postMessage`, to
  the same origin only) whenever that changes (a ResizeObserver on the blocks of Gradio's main
  element; Gradio's root elements stretch to the frame's height, so the height is the bottom of
  those blocks plus the padding below them, never the frame's own: no feedback loop), and again
  when the parent asks (`{type: ASK}`). The parent sizes the frame to it (`ganplay/dashboard/views/explore.py`), so
  nothing sits below the frame's edge and the frame never scrolls.
Opened on its own, the panel runs none of this and keeps its footer.
"""

from __future__ import annotations

MESSAGE = "ganplay:panel-height"
ASK = "ganplay:panel-measure"

HEAD = """<script>
(function () {
  if (window.parent === window || window.__ganplayFit) return;
  window.__ganplayFit = true;
  document.documentElement.classList.add("gp-embedded");
  var sent = 0, timer = null;
  function height() {
    // Gradio's root elements stretch to the frame (flex-grow): measure the content inside them,
    // plus the padding, borders and margins below it
    var main = document.querySelector("gradio-app .contain");
    if (!main) return 0;
    var bottom = 0, below = 0;
    for (var i = 0; i < main.children.length; i++) {
      bottom = Math.max(bottom, main.children[i].getBoundingClientRect().bottom);
    }
    for (var e = main; e && e !== document.documentElement; e = e.parentElement) {
      var cs = getComputedStyle(e);
      below += parseFloat(cs.paddingBottom) + parseFloat(cs.borderBottomWidth) + parseFloat(cs.marginBottom);
    }
    return Math.ceil(bottom + window.scrollY + below);
  }
  function send() {
    timer = null;
    var h = height();
    if (h > 0 && h !== sent) {
      sent = h;
      window.parent.postMessage({type: "%(message)s", height: h}, window.location.origin);
    }
  }
  function soon() { if (timer === null) timer = setTimeout(send, 30); }
  window.addEventListener("message", function (e) {
    if (e.source === window.parent && e.data && e.data.type === "%(ask)s") { sent = 0; soon(); }
  });
  function start() {
    var observer = new ResizeObserver(soon), watched = [];
    function watch() {  // the content's blocks, whenever Gradio adds or replaces them
      var main = document.querySelector("gradio-app .contain");
      var now = main ? Array.prototype.slice.call(main.children) : [];
      now.forEach(function (c) { if (watched.indexOf(c) < 0) observer.observe(c); });
      watched = now;
      soon();
    }
    new MutationObserver(watch).observe(document.body, {childList: true, subtree: true});
    window.addEventListener("resize", soon);
    watch();
  }
  if (document.body) start(); else document.addEventListener("DOMContentLoaded", start);
  window.addEventListener("load", soon);
})();
</script>""" % {"message": MESSAGE, "ask": ASK}

CSS = """
.gp-embedded footer { display: none !important; }
.gp-embedded gradio-app .main { padding: 0 4px 8px !important; }
.gp-embedded .prose, .gp-embedded .prose * { overflow-wrap: anywhere; }
"""
