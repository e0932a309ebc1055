"""What `app.py` mounted next to the dashboard on the same port, for pages that embed it.

`app.py` records each extra route it serves (e.g. "/panel" for the Gradio panel); the Explore page
embeds the panel only when it is really there. Run the dashboard script alone (AppTest,
`streamlit run ganplay/dashboard/main.py`) and nothing is mounted.
"""

from __future__ import annotations

MOUNTED: set[str] = set()


def mount(path: str) -> None:
    MOUNTED.add(path.rstrip("/") or "/")


def is_mounted(path: str) -> bool:
    return (path.rstrip("/") or "/") in MOUNTED
