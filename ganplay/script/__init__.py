"""The script `ganplay app` hands to `streamlit run` (`app.py`, the installed twin of the checkout's
app.py). It has a folder of its own because Streamlit puts the script's folder first on sys.path:
here that adds nothing but this script, where ganplay/ would let its modules (config, data, ...)
shadow top-level ones."""
