"""Who is looking: a random token per visitor, so that in demo mode a job belongs to the person
who started it (others can watch it, not stop, pause or steer it; see `ganplay.jobs.may_control`).

The token lives in the session and in a cookie, so a refresh of the tab keeps it (Streamlit
reads cookies from the request that opens the session; a short script sets ours). It is never
part of a URL, so no link the page offers for sharing carries it, and jobs record only its hash.
"""

from __future__ import annotations

import json
import re
import secrets

import streamlit as st

from ganplay import clients

COOKIE = "ganplay_visitor"
SESSION_KEY = "visitor.token"
WRITTEN_KEY = "visitor.cookie_written"
MAX_AGE_S = 30 * 24 * 3600
_WELL_FORMED = re.compile(r"[A-Za-z0-9_-]{22,64}")


def _cookie() -> str | None:
    try:
        value = st.context.cookies.get(COOKIE)
    except Exception:  # no request behind this run (a bare script run)
        return None
    return value if isinstance(value, str) and _WELL_FORMED.fullmatch(value) else None


def token() -> str:
    """This visitor's token: the cookie's, else a new one (kept for the session)."""
    if SESSION_KEY not in st.session_state:
        st.session_state[SESSION_KEY] = _cookie() or secrets.token_urlsafe(24)
    return st.session_state[SESSION_KEY]


def address() -> str | None:
    """This visitor's client address as `ganplay.clients` reads it (the trusted proxies'
    X-Forwarded-For entry, else the connection's peer), for demo mode's per-address share of
    jobs; None where it cannot be told (a local browser: Streamlit gives no peer for localhost)."""
    try:
        forwarded = st.context.headers.get_all("X-Forwarded-For")
        peer = st.context.ip_address
    except Exception:  # no request behind this run (a bare script run)
        return None
    return address_from(forwarded, peer)


def address_from(forwarded: list[str], peer: str | None) -> str | None:
    """`clients.client_address` for a page's request: its X-Forwarded-For headers and peer."""
    scope = {"headers": [(b"x-forwarded-for", value.encode("latin-1", "replace")) for value in forwarded],
             "client": (peer, 0) if peer else None}
    found = clients.client_address(scope)
    return None if found == clients.UNKNOWN else found


def remember() -> None:
    """Write the token into the browser's cookie, once per session, when the request did not
    bring it. Over HTTPS the cookie is partitioned and cross-site, so a Space embedded on
    huggingface.co keeps it too."""
    value = token()
    if _cookie() == value or st.session_state.get(WRITTEN_KEY):
        return
    st.session_state[WRITTEN_KEY] = True
    script = (
        "<script>(() => {"
        f"const base = {json.dumps(f'{COOKIE}={value}; path=/; max-age={MAX_AGE_S}')};"
        "document.cookie = base + (location.protocol === 'https:' ? '; SameSite=None; Secure; Partitioned'"
        " : '; SameSite=Lax');"
        "})();</script>"
    )
    st.html(script, unsafe_allow_javascript=True, width="content")
