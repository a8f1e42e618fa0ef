"""Work done outside a page request: a long job a page starts (testing a rule against history), an
e-mail to send, and the hub's scheduled work (statutory clocks, reminders, escalations, the scan
after an import).

Jobs go on a queue kept in the hub's own database and are run by the background worker, a process
of its own (``safeguarding worker``: Django-Q2's cluster, started by ``make run`` beside the web
server and run as its own service in production). A job that fails is tried again (``Q_CLUSTER``'s
``retry`` and ``max_attempts``) and then kept as failed, which administrators see on *Background
jobs*. A job records its own progress in the database as it goes, so any page can show where it has
got to.

``HUB_BACKGROUND_JOBS``: ``"queue"`` (the default) as above; ``"inline"`` runs a job at once where it
is started (the test suite, where it checks what a job produces); ``"thread"`` runs it after the
transaction commits on one thread of the web server (browser tests, whose in-memory database no
other process can open).
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

_jobs: queue.Queue[tuple[Callable[..., Any], tuple[Any, ...]]] = queue.Queue()
_worker: threading.Thread | None = None
_lock = threading.Lock()


def _work() -> None:
    while True:
        job, args = _jobs.get()
        try:
            job(*args)
        except Exception:  # the job records its own failure; this keeps the thread alive
            logger.exception("Background job %s%r failed", getattr(job, "__name__", job), args)
        finally:
            connections.close_all()
            _jobs.task_done()


def _start_thread() -> None:
    global _worker
    with _lock:
        if _worker is None or not _worker.is_alive():
            _worker = threading.Thread(target=_work, name="hub-background-jobs", daemon=True)
            _worker.start()


def dotted_name(job: Callable[..., Any]) -> str:
    """The importable name of a job, which is what the queue keeps (never the function itself)."""
    return f"{job.__module__}.{job.__qualname__}"


def run_in_background(job: Callable[..., Any], *args: Any) -> None:
    """Run ``job(*args)`` after the current transaction commits (so the job reads what the caller
    wrote): on the background worker's queue, or at once where jobs run inline."""
    mode = getattr(settings, "HUB_BACKGROUND_JOBS", "queue")
    if mode == "inline":
        job(*args)
        return
    if mode == "thread":

        def queue_it() -> None:
            _start_thread()
            _jobs.put((job, args))

        transaction.on_commit(queue_it)
        return
    from django_q.tasks import async_task

    name = dotted_name(job)
    transaction.on_commit(lambda: async_task(name, *args, task_name=f"{job.__name__}", group=job.__name__))
