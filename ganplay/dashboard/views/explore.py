"""Explore: the Gradio panel (latent walks, labels, comparing generators), embedded when mounted.

The panel is built in the background as the server starts (Gradio and torch take seconds to
import); until it is ready the page shows how far that has come instead of an empty frame.

The frame fits the panel: the panel's page posts the height of its content to this page whenever it
changes (`ganplay/panel/mount.py`), and `FIT_FRAME` (a script in this page, installed once) sets
that frame's height and its container's to it. Nothing of the panel sits below the frame's edge
and the frame never scrolls inside the page. Until the first message the frame is `START_HEIGHT`
tall."""

import streamlit as st

from ganplay.dashboard import hosting

st.title("Explore")

START_HEIGHT = 900  # px, until the panel says how tall it is
MESSAGE, ASK = "ganplay:panel-height", "ganplay:panel-measure"  # ganplay.panel.mount's (no Gradio import here)
FIT_FRAME = """<script>
(function () {
  function ask() {
    document.querySelectorAll("iframe").forEach(function (f) {
      try { f.contentWindow.postMessage({type: "%(ask)s"}, window.location.origin); } catch (e) {}
    });
  }
  if (window.__ganplayPanelFit) { ask(); return; }
  window.__ganplayPanelFit = true;
  window.addEventListener("message", function (e) {
    var d = e.data;
    if (e.origin !== window.location.origin || !d || d.type !== "%(message)s" || typeof d.height !== "number") return;
    document.querySelectorAll("iframe").forEach(function (f) {
      if (f.contentWindow !== e.source) return;
      var h = Math.max(100, Math.min(50000, Math.ceil(d.height))) + "px";
      f.style.height = h;
      var box = f.closest('[data-testid="stElementContainer"]');
      if (box) box.style.height = h;
    });
  });
  ask();
})();
</script>""" % {"message": MESSAGE, "ask": ASK}


@st.fragment(run_every=0.5)
def _wait_for_panel() -> None:
    state = hosting.starting("/panel")
    if state is None:
        st.rerun()  # the whole page, which now embeds the panel
    fraction, text = state
    st.progress(fraction, text=f"The explorer panel is starting: {text}… (once per server start, "
                               "a few seconds)")


if not hosting.is_mounted("/panel"):
    st.info("The latent-space panel is served by `streamlit run app.py` (or `ganplay app`) at /panel/; "
            "this dashboard runs without it. It also runs on its own: `python -m ganplay.panel`.",
            icon=":material/info:")
elif hosting.starting("/panel") is not None:
    _wait_for_panel()
else:
    # a relative address: works from any host, behind a proxy, on a Space
    st.iframe("/panel/", height=START_HEIGHT)
    st.html(FIT_FRAME, unsafe_allow_javascript=True)
