"""Who is asking: a request's client address, for the per-visitor caps of demo mode (the panel's
queue and uploads, `ganplay.panel.guard`; the dashboard's uploads, `ganplay.dashboard.guard`).

Behind a reverse proxy (a Hugging Face Space) every request comes from the proxy's socket, and
the client's own address is in `X-Forwarded-For`, which each proxy extends with the address it
saw. Only the entries our own proxies wrote can be believed: a client can send any
`X-Forwarded-For` it likes, and the proxies append to it. So with `hops` trusted proxies in front
of the server the client is the `hops`-th entry from the right (the rightmost for one proxy), and
a client that rotates made-up entries at the left still counts as one address.

`GANPLAY_PROXY_HOPS` says how many proxies to trust; unset, it is 1 on a Space (`SPACE_ID` set)
and 0 elsewhere: the socket's peer, whatever the headers say.

A class behind one school address is one address: `GANPLAY_VISITORS_PER_ADDRESS` (default 1), set
on a copy hosted for a class, multiplies every per-address cap (`per_address`). Stdlib only.
"""

from __future__ import annotations

import os

UNKNOWN = "unknown"


def proxy_hops() -> int:
    """Trusted proxies in front of the server: `GANPLAY_PROXY_HOPS`, else 1 on a Space, else 0."""
    raw = os.environ.get("GANPLAY_PROXY_HOPS", "").strip()
    if raw.isdigit():
        return int(raw)
    return 1 if os.environ.get("SPACE_ID") else 0


def visitors_per_address() -> int:
    """How many visitors one client address stands for: `GANPLAY_VISITORS_PER_ADDRESS` (a whole
    number >= 1; e.g. a class's size behind one school address), else 1."""
    raw = os.environ.get("GANPLAY_VISITORS_PER_ADDRESS", "").strip()
    return max(1, int(raw)) if raw.isdigit() else 1


def per_address(cap: int) -> int:
    """A per-visitor cap as one client address gets it: `cap` times `visitors_per_address()`."""
    return cap * visitors_per_address()


def forwarded_for(headers) -> list[str]:
    """Every `X-Forwarded-For` entry of an ASGI header list (byte pairs), in order, over all such
    headers (a proxy may add a header rather than extend one)."""
    entries: list[str] = []
    for name, value in headers or ():
        if name.lower() == b"x-forwarded-for":
            entries += [e.strip() for e in value.decode("latin-1").split(",") if e.strip()]
    return entries


def client_address(scope, hops: int | None = None) -> str:
    """The address of the client behind an ASGI `scope` (an HTTP or websocket scope): with `hops`
    trusted proxies (`proxy_hops()` when None) the address the outermost of them saw, the
    `hops`-th `X-Forwarded-For` entry from the right; with 0, or when the proxies wrote fewer
    entries than that (a request that did not come through them), the socket's peer."""
    hops = proxy_hops() if hops is None else hops
    if hops > 0:
        entries = forwarded_for(scope.get("headers"))
        if len(entries) >= hops:
            return _plain(entries[-hops])
    peer = scope.get("client")
    return _plain(peer[0]) if peer else UNKNOWN


def _plain(address: str) -> str:
    """One spelling per address: '[::1]:443' and '1.2.3.4:80' (ports some proxies keep) lose the
    port, case is folded."""
    address = address.strip().lower()
    if address.startswith("["):
        return address[1:address.find("]")] if "]" in address else address
    if address.count(":") == 1:  # IPv4 with a port (an IPv6 address has several colons)
        return address.split(":")[0]
    return address or UNKNOWN
