"""The Streamlit dashboard: `main.py` is the script, `views/` the pages, and the other modules
the library those pages are thin shells over (testable without Streamlit)."""
