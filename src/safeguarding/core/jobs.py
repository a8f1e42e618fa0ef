"""Work too long for a page request, done one job at a time in the background of the web server.

A page starts a job and shows its status; the job records its own progress in the database as it
goes, so any page (and any of the server's threads) can show where it has got to. One job runs at
a time: a partnership's server is small, and a second job waits its turn rather than halving the
speed of both.

``HUB_BACKGROUND_JOBS = "inline"`` runs a job at once inside the request instead (the test suite
does this where it checks what a job produces rather than how it is queued).
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import connections, transaction

logger = logging.getLogger(__name__)

_jobs: queue.Queue[tuple[Callable[..., None], tuple[Any, ...]]] = queue.Queue()
_worker: threading.Thread | None = None
_lock = threading.Lock()


def _work() -> None:
    while True:
        job, args = _jobs.get()
        try:
            job(*args)
        except Exception:  # the job records its own failure; this keeps the worker alive
            logger.exception("Background job %s%r failed", getattr(job, "__name__", job), args)
        finally:
            connections.close_all()
            _jobs.task_done()


def _start_worker() -> None:
    global _worker
    with _lock:
        if _worker is None or not _worker.is_alive():
            # A daemon: stopping the server does not wait for a job; the job's page then says it stopped.
            _worker = threading.Thread(target=_work, name="hub-background-jobs", daemon=True)
            _worker.start()


def run_in_background(job: Callable[..., None], *args: Any) -> None:
    """Run ``job(*args)`` after the current transaction commits (so the job can read what the
    request wrote), on the background worker; or at once where jobs run inline."""
    if getattr(settings, "HUB_BACKGROUND_JOBS", "thread") == "inline":
        job(*args)
        return

    def queue_it() -> None:
        _start_worker()
        _jobs.put((job, args))

    transaction.on_commit(queue_it)
