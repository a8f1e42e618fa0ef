"""Validating a large file's rows in worker processes, in file order.

Validating is most of the time an import spends before it writes (reading a county's million
people rows takes about 48 s on one core, some 40 of them validating and staging). A file large
enough is therefore read here, in the importer's process, and its batches of rows validated by
worker processes while the next are read. What comes back is staged in file order, so that the
staged file is the one reading in order would have made:

- a worker checks each row as though no key had been seen before it, and says which keys the
  row would claim (``RowValidator.claims``);
- the importer takes those keys in file order (``RowValidator.claim``); a row whose key was taken
  before is checked again here, in order, and refused as a repeat, as it would have been.

The workers are started afresh (``spawn``), not forked: the importer may run beside threads
(a test's server, the hub's background jobs), and a process forked from one could inherit a lock
another thread held. So this module imports nothing of Django's until a worker has set it up.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TYPE_CHECKING, Any

from safeguarding.core import collector  # nothing of Django's

if TYPE_CHECKING:
    import pyarrow as pa

    from safeguarding.exchange.issues import Issue
    from safeguarding.exchange.read import Row
    from safeguarding.exchange.validate import RowValidator
    from safeguarding.people.models import SourceSystem

# A file estimated to hold at least this many rows is validated in workers. Starting them takes
# a second or two (a Python with Django set up, each), which a smaller file does not win back.
IN_WORKERS_FROM = 50_000
# Batches handed out ahead of the one being staged, per worker: enough to keep each busy while
# the importer reads, few enough that memory stays at a few batches.
AHEAD_PER_WORKER = 2

# (batch of accepted rows, its issues, for each row: its position among the accepted (>= 0) or
# ~ its position among the issues, for each row: the keys it claims)
_Checked = tuple["pa.RecordBatch", list["Issue"], list[int], list[list[bytes]]]

# The variable naming Django's settings module (django.conf.ENVIRONMENT_VARIABLE, not imported
# here: see above).
ENVIRONMENT_VARIABLE = "DJANGO_SETTINGS_MODULE"


class WorkerStopped(Exception):
    """A worker process ended before it had validated what it was given."""


# In a worker: the validator and staging schema of each file it has been given rows of.
_worker: dict[str, Any] = {}


def _start(settings_module: str, systems: list[tuple[int, str, bool]]) -> None:
    """A worker's start: Django set up as the importer's is, and the sending systems it knows."""
    os.environ["DJANGO_SETTINGS_MODULE"] = settings_module
    import django

    django.setup()
    from safeguarding.people.models import SourceSystem

    collector.for_good()

    _worker["systems"] = {code: SourceSystem(pk=pk, code=code, is_hub=is_hub) for pk, code, is_hub in systems}


def _check(file_name: str, rows: list[Row]) -> _Checked:
    """In a worker: one batch of ``file_name``'s rows, checked, the accepted made into the
    staged batch."""
    from safeguarding.exchange.format import INCOMING_BY_NAME
    from safeguarding.exchange.staging import rows_schema, staged_rows
    from safeguarding.exchange.validate import Accepted, RowValidator

    if file_name not in _worker:
        fmt = INCOMING_BY_NAME[file_name]
        _worker[file_name] = (RowValidator(fmt, _worker["systems"]), rows_schema(fmt))
    validator, schema = _worker[file_name]
    accepted: list[Accepted] = []
    issues: list[Issue] = []
    where: list[int] = []
    keys: list[list[bytes]] = []
    for row in rows:
        result, claimed = validator.claims(row)
        if isinstance(result, Accepted):
            where.append(len(accepted))
            accepted.append(result)
        else:
            where.append(~len(issues))
            issues.append(result)
        keys.append(claimed)
    return staged_rows(schema, accepted), issues, where, keys


class Workers:
    """Worker processes for one import, started when a file first needs them and stopped with
    the import (use as a context manager)."""

    def __init__(self, count: int, systems: dict[str, SourceSystem]) -> None:
        self.count = count
        self._systems = [(s.pk, s.code, s.is_hub) for s in systems.values()]
        self._pool: ProcessPoolExecutor | None = None

    def __enter__(self) -> Workers:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    @property
    def available(self) -> bool:
        """Whether files may be validated in workers: some are wanted, and they can set Django up as
        this process was (by its settings module; settings made in code cannot be handed on)."""
        return self.count > 0 and bool(os.environ.get(ENVIRONMENT_VARIABLE))

    def _started(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(
                self.count, mp_context=multiprocessing.get_context("spawn"), initializer=_start,
                initargs=(os.environ[ENVIRONMENT_VARIABLE], self._systems),
            )
        return self._pool

    def validated(
        self, file_name: str, batches: Iterator[list[Row]], validator: RowValidator,
        read_issues: Callable[[], list[Issue]],
    ) -> Iterator[tuple[pa.RecordBatch, list[Issue]]]:
        """Each batch's accepted rows, staged, and its issues (those ``read_issues`` hands over
        as the batch is read, then the batch's own in line order), in file order; ``validator``
        is the file's, and takes the keys."""
        pool = self._started()
        waiting: deque[tuple[list[Row], list[Issue], Future[_Checked]]] = deque()
        try:
            for batch in batches:
                waiting.append((batch, read_issues(), pool.submit(_check, file_name, batch)))
                if len(waiting) > self.count * AHEAD_PER_WORKER:
                    yield _in_order(validator, *waiting.popleft())
            while waiting:
                yield _in_order(validator, *waiting.popleft())
        except BrokenProcessPool as exc:
            raise WorkerStopped(
                f"a process validating {file_name} stopped before it finished (it could not start, ran out of "
                "memory or was ended by the system); set IMPORT_WORKERS=0 to validate in the importer's own "
                "process, and import again"
            ) from exc
        finally:
            for _, _, future in waiting:
                future.cancel()


def _in_order(
    validator: RowValidator, rows: list[Row], issues: list[Issue], future: Future[_Checked]
) -> tuple[pa.RecordBatch, list[Issue]]:
    import pyarrow as pa

    from safeguarding.exchange.validate import Accepted

    staged, found, where, keys = future.result()
    refused: dict[int, Issue] = {}  # rows that repeat a key claimed earlier in the file
    for index, claimed in enumerate(keys):
        if claimed and not validator.claim(claimed):
            result = validator(rows[index])
            assert not isinstance(result, Accepted), "a row repeating a key is refused"
            refused[index] = result
    if not refused:
        return staged, [*issues, *found]
    # Drop those rows from the staged batch, and put their refusals among its issues in line order.
    keep = [True] * staged.num_rows
    in_order: list[Issue] = []
    for index, position in enumerate(where):
        if index in refused:
            if position >= 0:
                keep[position] = False
            in_order.append(refused[index])
        elif position < 0:
            in_order.append(found[~position])
    return staged.filter(pa.array(keep)), [*issues, *in_order]
