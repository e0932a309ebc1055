"""One forward pass for the requests that wait together (group commit).

A visitor alone is drawn at once. Calls that arrive while a pass is running wait, and the next
pass draws all of them (up to `max_batch`), one `run_many(key, items)` per key (a generator): 20
visitors moving sliders at the same moment share a few passes instead of queueing for 20.
Gradio's own `batch=True` would do the grouping, but its input validator does not run on batched
events (gradio 6.31), so one visitor's bad value would fail everyone's batch; here each call is
checked before it joins, and an error in a pass reaches only the calls of that key.
"""

from __future__ import annotations

import threading
from typing import Any, Callable, Hashable


class _Call:
    __slots__ = ("key", "item", "finished", "result", "error")

    def __init__(self, key: Hashable, item: Any) -> None:
        self.key, self.item = key, item
        self.finished, self.result, self.error = False, None, None

    def outcome(self) -> Any:
        if self.error is not None:
            raise self.error
        return self.result


class SharedPass:
    def __init__(self, run_many: Callable[[Any, list], list], max_batch: int = 16) -> None:
        self.run_many = run_many
        self.max_batch = max_batch
        self.passes = 0  # how many passes ran (tests, the bench)
        self._cond = threading.Condition()
        self._pending: list[_Call] = []
        self._busy = False

    def __call__(self, key: Hashable, item: Any) -> Any:
        call = _Call(key, item)
        with self._cond:
            self._pending.append(call)
        while True:
            with self._cond:
                while self._busy and not call.finished:
                    self._cond.wait()
                if call.finished:
                    return call.outcome()
                self._busy = True  # this thread draws the next pass, its own call among the first
                batch = self._pending[: self.max_batch]
                del self._pending[: self.max_batch]
                self.passes += 1
            try:
                self._draw(batch)
            finally:
                with self._cond:
                    self._busy = False
                    self._cond.notify_all()

    def _draw(self, batch: list[_Call]) -> None:
        groups: dict[int, list[_Call]] = {}
        for call in batch:
            groups.setdefault(id(call.key), []).append(call)
        for calls in groups.values():
            try:
                results = self.run_many(calls[0].key, [c.item for c in calls])
                for c, r in zip(calls, results, strict=True):
                    c.result = r
            except Exception as exc:  # reaches every caller of this key, raised in its own thread
                for c in calls:
                    c.error = exc
            finally:
                for c in calls:
                    c.finished = True
