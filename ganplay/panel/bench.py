"""The panel's numbers for `ganplay bench`: how fast the explorer answers on this machine.

`panel_bench()` measures, per generator, the milliseconds for one image (a slider move's work),
an 8x8 latent map and a 16-frame interpolation (medians of `repeats` after a warm-up, PNG encoding
included, as the panel returns them), and the end-to-end latency of one slider change through
`gradio_client` against the panel started on a free port (median of `client_calls`).
`format_table(report)` prints them. Wire into the CLI with e.g. `ganplay bench --panel`.
"""

from __future__ import annotations

import os
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request

from ganplay.panel import handlers as H

DEFAULT_GENERATORS = H.COMPARE


def _ms(fn, repeats: int) -> float:
    fn()  # warm-up (directions, caches)
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def _png(img) -> bytes:
    from ganplay.explore import png_bytes

    return png_bytes(img)


def library_numbers(generators=DEFAULT_GENERATORS, repeats: int = 10) -> dict[str, dict[str, float]]:
    sliders = [0.5] + [0.0] * (H.N_SLIDERS - 1)
    out = {}
    for name in generators:
        out[name] = {
            "one_image_ms": _ms(lambda: _png(H.walk(name, 7, 3, 1.0, *sliders)), repeats),
            "grid_8x8_ms": _ms(lambda: _png(H.latent_map(name, 7, 3, 1.0, 0, 1, 8, 2.0)), repeats),
            "interp_16_ms": _ms(lambda: [_png(H.interpolation(name, 7, 8, 16, "spherical", 3, 1.0)[0])], repeats),
        }
    return out


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def slider_latency(url: str | None = None, generator: str = H.DEFAULT, calls: int = 20,
                   start_timeout: float = 120) -> dict[str, float]:
    """Median/p90 ms of one `/walk` call (a slider release) through gradio_client. Starts the panel
    alone on a free port unless `url` is given, and stops it (by pid) afterwards."""
    from gradio_client import Client

    proc = None
    if url is None:
        port = _free_port()
        env = dict(os.environ, GRADIO_SERVER_PORT=str(port), GRADIO_SERVER_NAME="127.0.0.1",
                   GRADIO_ANALYTICS_ENABLED="False")
        proc = subprocess.Popen([sys.executable, "-m", "ganplay.panel"], env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        url = f"http://127.0.0.1:{port}/"
        deadline = time.monotonic() + start_timeout
        while True:
            try:
                urllib.request.urlopen(url, timeout=2)
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    proc.kill()
                    raise RuntimeError("the panel did not start") from None
                time.sleep(0.2)
    try:
        client = Client(url, verbose=False)
        rest = [0.0] * (H.N_SLIDERS - 1)
        client.predict(generator, 7, 3, 1.0, 0.0, *rest, api_name="/walk")  # warm-up
        times = []
        for i in range(calls):
            t = time.perf_counter()
            client.predict(generator, 7, 3, 1.0, -2.0 + 4.0 * i / max(calls - 1, 1), *rest, api_name="/walk")
            times.append((time.perf_counter() - t) * 1000)
        times.sort()
        return {"median_ms": statistics.median(times), "p90_ms": times[int(0.9 * (len(times) - 1))],
                "calls": calls, "generator": generator}
    finally:
        if proc is not None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()


def panel_bench(generators=DEFAULT_GENERATORS, repeats: int = 10, client_calls: int = 20,
                url: str | None = None, with_client: bool = True) -> dict:
    import torch

    report = {"threads": torch.get_num_threads(), "generators": library_numbers(generators, repeats)}
    if with_client:
        report["slider_latency"] = slider_latency(url, calls=client_calls)
    return report


def format_table(report: dict) -> str:
    lines = [f"panel (CPU, {report['threads']} threads; medians, PNG encoding included)",
             f"{'generator':<24} {'1 image':>10} {'8x8 grid':>10} {'16 frames':>10}"]
    for name, r in report["generators"].items():
        lines.append(f"{name:<24} {r['one_image_ms']:>8.1f}ms {r['grid_8x8_ms']:>8.1f}ms {r['interp_16_ms']:>8.1f}ms")
    if "slider_latency" in report:
        s = report["slider_latency"]
        lines.append(f"slider change through gradio_client ({s['generator']}, {s['calls']} calls): "
                     f"median {s['median_ms']:.1f} ms, p90 {s['p90_ms']:.1f} ms")
    return "\n".join(lines)


if __name__ == "__main__":
    import json

    rep = panel_bench()
    print(format_table(rep))
    print(json.dumps(rep))
