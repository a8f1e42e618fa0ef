"""Import runs as processes: one import at a time, each run recording the process that does it
(pid, host, when it started), and runs whose process is gone marked interrupted instead of being
left "running" for ever.

One import at a time is held by a lock the operating system or the database releases by itself
when the process holding it ends, however it ends (killed, out of memory, the machine restarted):

- SQLite: an exclusive ``flock`` on a file beside the database;
- PostgreSQL: a session advisory lock, on a connection of its own, so it holds across hosts.

Whoever holds the lock knows no other import is running, so every run still marked running is
interrupted. Listing imports without the lock, a run is interrupted when the lock is free, or when
it ran on this host and its process is gone.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import logging
import os
import shutil
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Protocol

import psycopg
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from safeguarding.core.arrow import postgresql_conninfo
from safeguarding.core.errors import ServiceError
from safeguarding.exchange.issues import rejected_extract_path, rejects_path
from safeguarding.exchange.models import ImportRun, ImportStatus
from safeguarding.exchange.staging import remove_staging, staging_folder

logger = logging.getLogger(__name__)

# How long a new import waits for the lock before it refuses (a listing may hold it a moment).
LOCK_WAIT_SECONDS = 5.0
# Any fixed number: the key of the PostgreSQL advisory lock that imports share.
_ADVISORY_KEY = 7_243_101


# --- The process ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Process:
    pid: int
    host: str
    started_at: dt.datetime | None  # None where the system does not say (not Linux)


def _boot_time() -> float | None:
    try:
        with open("/proc/stat", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("btime "):
                    return float(line.split()[1])
    except OSError:
        return None
    return None


def _process_started(pid: int) -> dt.datetime | None:
    """When a process started (Linux /proc), to tell it from a later process given the same pid;
    None if there is no such process, or the system does not say."""
    booted = _boot_time()
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return None
    if booted is None:
        return None
    # The command name is in brackets and may hold spaces: fields are counted after it. The
    # start time is field 22, in clock ticks since the machine started.
    fields = stat[stat.rindex(")") + 2 :].split()
    seconds = booted + int(fields[19]) / os.sysconf("SC_CLK_TCK")
    return dt.datetime.fromtimestamp(seconds, tz=dt.UTC).replace(microsecond=0)


def this_process() -> Process:
    return Process(os.getpid(), socket.gethostname(), _process_started(os.getpid()))


def process_is_gone(run: ImportRun) -> bool:
    """Whether the process a run recorded has certainly ended: it ran on this host and no process
    with its pid, started when it did, is running. A run of another host is never judged here."""
    if run.pid is None or run.host != socket.gethostname():
        return False
    if Path("/proc").is_dir():
        started = _process_started(run.pid)
        if started is None:
            return True
        if run.process_started_at is None:
            return False
        return abs((started - run.process_started_at).total_seconds()) > 2
    try:
        os.kill(run.pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # someone else's process holds the pid: it is alive
        return False
    return False


# --- The lock -------------------------------------------------------------------------------------


class _Lock(Protocol):
    def acquire(self) -> bool: ...

    def release(self) -> None: ...


class _FileLock:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._handle: IO[str] | None = None

    def acquire(self) -> bool:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = self.path.open("a", encoding="utf-8")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            return False
        self._handle = handle
        return True

    def release(self) -> None:
        if self._handle is not None:
            fcntl.flock(self._handle, fcntl.LOCK_UN)
            self._handle.close()
            self._handle = None


class _AdvisoryLock:
    def __init__(self) -> None:
        self._connection: Any = None

    def acquire(self) -> bool:
        conn = psycopg.connect(postgresql_conninfo(), autocommit=True)
        held = conn.execute("SELECT pg_try_advisory_lock(%s)", [_ADVISORY_KEY]).fetchone()
        if not held or not held[0]:
            conn.close()
            return False
        self._connection = conn
        return True

    def release(self) -> None:
        if self._connection is not None:
            # Closing the session releases the lock, as a killed process's session does.
            self._connection.close()
            self._connection = None


def _lock() -> _Lock:
    if connection.vendor == "postgresql":
        return _AdvisoryLock()
    name = str(connection.settings_dict["NAME"])
    if name and name != ":memory:" and "mode=memory" not in name and not name.startswith("file:"):
        return _FileLock(Path(name).with_name(Path(name).name + ".import-lock"))
    return _FileLock(Path(settings.DATA_DIR) / "imports" / "import.lock")


@contextmanager
def import_lock(*, wait: float) -> Iterator[bool]:
    """Hold the lock that lets one import run at a time; yields whether it is held (after trying
    for up to ``wait`` seconds)."""
    lock = _lock()
    deadline = time.monotonic() + wait
    held = lock.acquire()
    while not held and time.monotonic() < deadline:
        time.sleep(0.1)
        held = lock.acquire()
    try:
        yield held
    finally:
        if held:
            lock.release()


# --- Runs -----------------------------------------------------------------------------------------


def _interrupt(runs: list[ImportRun]) -> int:
    """Mark runs interrupted, and remove what their process left on disk (its staged rows, and a
    rejects file for rows that were never saved)."""
    for run in runs:
        where = f"process {run.pid} on {run.host}" if run.pid is not None else "its process"
        with transaction.atomic():
            updated = ImportRun.objects.filter(pk=run.pk, status=ImportStatus.RUNNING).update(
                status=ImportStatus.INTERRUPTED, finished_at=timezone.now(), counts={},
                failure=f"The import stopped without finishing ({where} is gone: killed, or the machine restarted). "
                        "Its write is all or nothing, so nothing from it was saved; import the extract again.",
            )
        if updated:
            data_dir = Path(settings.DATA_DIR)
            remove_staging(staging_folder(data_dir, run.pk))
            rejects_path(data_dir, run.pk).unlink(missing_ok=True)
            rejects_path(data_dir, run.pk).with_suffix(".csv.partial").unlink(missing_ok=True)
            for folder in (rejected := rejected_extract_path(data_dir, run.pk), rejected.with_name(rejected.name + ".partial")):
                shutil.rmtree(folder, ignore_errors=True)
    return len(runs)


def import_runs_mark_interrupted() -> int:
    """Mark as interrupted every run whose process is known to be gone; how many were."""
    running = list(ImportRun.objects.filter(status=ImportStatus.RUNNING))
    if not running:
        return 0
    with import_lock(wait=0) as held:
        if held:
            # No import holds the lock, so none of these is running.
            return _interrupt(running)
    return _interrupt([run for run in running if process_is_gone(run)])


@contextmanager
def import_run_started(*, source_path: str, initiated_by: str) -> Iterator[ImportRun]:
    """Take the import lock, mark runs left running by a killed import as interrupted, and start a
    run recording this process; the lock is held until the block ends."""
    with import_lock(wait=LOCK_WAIT_SECONDS) as held:
        if not held:
            other = ImportRun.objects.filter(status=ImportStatus.RUNNING).order_by("-started_at").first()
            running = ""
            if other is not None:
                started = timezone.localtime(other.started_at).strftime("%d %B %Y %H:%M")
                running = f" (run {other.pk} of {other.source_path}, started {started} by process {other.pid} on {other.host})"
            raise ServiceError(f"Another import is running{running}: one import runs at a time. Import this "
                               "extract again when it has finished.")
        stale = list(ImportRun.objects.filter(status=ImportStatus.RUNNING))
        if stale:
            logger.warning("marking %d import run(s) interrupted: %s", len(stale), [r.pk for r in stale])
            _interrupt(stale)
        process = this_process()
        with transaction.atomic():
            # Its own transaction first, so that the run is on record even if the import fails.
            run = ImportRun.objects.create(
                started_at=timezone.now(), source_path=source_path, initiated_by=initiated_by,
                status=ImportStatus.RUNNING, pid=process.pid, host=process.host[:255],
                process_started_at=process.started_at,
            )
        yield run
