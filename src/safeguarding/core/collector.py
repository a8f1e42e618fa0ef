"""Python's cycle collector made to run less often while a job makes millions of short-lived objects.

The collector runs each time 700 more containers (dicts, lists, objects) have been made than freed,
and each run looks at every container made since the last. Reading a county's extract makes a dict
and a handful of other containers for each of two million rows, none of them in a cycle, so the
collector ran thousands of times for nothing: a sixth of validating a people row, a quarter of an
event row (docs/benchmarks.md). Within ``fewer_collections`` it runs after 50,000 instead, still
often enough that any cycles are freed within a few megabytes.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

# Containers made, net, between the collector's runs of its youngest generation (Python's own: 700).
BULK_THRESHOLD = 50_000

_lock = threading.Lock()
_holders = 0
_before: tuple[int, int, int] | None = None


@contextmanager
def fewer_collections() -> Iterator[None]:
    """The collector's youngest generation run after ``BULK_THRESHOLD`` containers, until the
    block ends. The threshold is the process's, so while jobs in several threads overlap it stays
    raised until the last of them ends, and is then put back as it was."""
    global _holders, _before
    with _lock:
        if _holders == 0:
            _before = _raised()
        _holders += 1
    try:
        yield
    finally:
        with _lock:
            _holders -= 1
            if _holders == 0 and _before is not None:
                gc.set_threshold(*_before)
                _before = None


def for_good() -> None:
    """For a process that only does bulk work (an import's worker validating rows): the collector
    runs after ``BULK_THRESHOLD`` containers for the rest of its life, and what is already loaded
    (Django, the hub's code) is set aside from its runs."""
    gc.freeze()
    _raised()


def _raised() -> tuple[int, int, int]:
    """The youngest generation's threshold raised to ``BULK_THRESHOLD`` (never lowered); the
    thresholds as they were."""
    before = gc.get_threshold()
    gc.set_threshold(max(BULK_THRESHOLD, before[0]), before[1], before[2])
    return before
