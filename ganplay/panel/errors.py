"""What a visitor is told when a request fails, and what the server's log keeps of it.

- `public_message(exc)`: the text a refused request shows. Our own refusals (`REFUSALS`:
  ExploreError, VerdictError, CheckpointError, ...) say what was wrong as they are; in demo mode
  (`jobs.demo_mode`) every server path in them is replaced (`checkpoint.scrub_paths`: a run's
  checkpoint reads `runs/<run id>/checkpoints/step-...`), and any other ValueError (a bug, or a
  library's message that may name server files) is logged here with its traceback and the visitor
  reads `GENERIC`. On a person's own machine every message is shown whole.
- `quiet_refusals()`: in demo mode, Gradio's full traceback for a request it refused itself (a
  server path given as a file input: InvalidPathError; a value its own checks refuse) becomes one
  summary line a minute at most: one client looping such calls filled the log at ~2 GB a day.
  Every other exception still prints its traceback.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
import types

from ganplay.explore import ExploreError
from ganplay.inside import VerdictError
from ganplay.jobs import demo_mode
from ganplay.metrics.memorisation import NotDigitsError
from ganplay.sampling import SamplingError
from ganplay.train.checkpoint import CheckpointError, scrub_paths
from ganplay.train.rundir import NoCheckpointError
from ganplay.zoo import ZooError

log = logging.getLogger("ganplay.panel")

# our own refusals: their messages are written for the person who sent the request
REFUSALS = (ExploreError, VerdictError, CheckpointError, NoCheckpointError, SamplingError, ZooError, NotDigitsError)
GENERIC = ("Something went wrong on the server with that request; it has been logged. Try other settings, "
           "or reload the page.")


def public_message(exc: BaseException) -> str:
    """The message a visitor reads for `exc` (see the module's docstring)."""
    if not demo_mode():
        return str(exc)
    if isinstance(exc, REFUSALS):
        return scrub_paths(str(exc))
    log.error("a panel request failed (the visitor was told only that something went wrong)",
              exc_info=(type(exc), exc, exc.__traceback__))
    return GENERIC


# -- Gradio's own refusals, one line a minute in demo mode -------------------------------------------
SUMMARY_EVERY_S = 60.0
_GRADIO_MODULES = ("gradio.queueing", "gradio.routes", "gradio.utils")  # each calls traceback.print_exc()


def expected_refusal(exc: BaseException | None) -> bool:
    """Whether `exc` is Gradio refusing a malformed request (not a fault of the server): its own
    gr.Error (a value out of a component's range or choices), a file path nobody uploaded, an
    input its component could not read."""
    from gradio.exceptions import ComponentProcessingError, Error, InvalidPathError

    return isinstance(exc, (Error, InvalidPathError, ComponentProcessingError))


class _Summary:
    """Counts refusals; logs the first at once, then at most one line per `every` seconds."""

    def __init__(self, every: float = SUMMARY_EVERY_S) -> None:
        self.every, self.count, self.last, self.lock = every, 0, None, threading.Lock()

    def note(self, exc: BaseException) -> None:
        with self.lock:
            self.count += 1
            now = time.monotonic()
            if self.last is not None and now - self.last < self.every:
                return
            count, self.count, self.last = self.count, 0, now
        first = (str(getattr(exc, "message", exc)).strip().splitlines() or [""])[0][:160]
        log.warning("refused %d malformed request(s) since the last such line, e.g. %s: %s",
                    count, type(exc).__name__, first)


class _QuietTraceback(types.ModuleType):
    """Stands in for the `traceback` module inside Gradio's request handling: `print_exc` of an
    expected refusal is counted (`_Summary`), anything else printed in full."""

    def __init__(self, real: types.ModuleType, summary: _Summary) -> None:
        super().__init__(real.__name__)
        self._real, self._summary = real, summary

    def __getattr__(self, name):
        return getattr(self._real, name)

    def print_exc(self, *args, **kwargs):
        exc = sys.exc_info()[1]
        if expected_refusal(exc):
            self._summary.note(exc)
            return None
        return self._real.print_exc(*args, **kwargs)


_SUMMARY = _Summary()


def quiet_refusals() -> None:
    """In demo mode, route Gradio's request tracebacks through `_QuietTraceback` (once)."""
    if not demo_mode():
        return
    import importlib

    for name in _GRADIO_MODULES:
        module = importlib.import_module(name)
        real = getattr(module, "traceback", None)
        if isinstance(real, types.ModuleType) and not isinstance(real, _QuietTraceback):
            module.traceback = _QuietTraceback(real, _SUMMARY)
