"""Import of an agency extract in the partnership exchange format (shared/exchange/SPEC.md).

An import runs in stages, each in a module of its own:

1. read (``exchange.read``): the extract's files, from a folder or a zip, within the limits an
   extract may expand to, decoded line by line into CSV rows;
2. validate (``exchange.validate``): each row read by the format's description
   (``exchange.format``) into values to store, rejections and warnings, and staged to disk
   (``exchange.staging``); a large file's batches are validated in worker processes while it is
   read on (``exchange.parallel``), with the result of validating it in order; no transaction is
   open and nothing is written to the database;
3. write (``exchange.upsert``): in one short transaction, all or nothing, the staged rows are
   inserted or updated in batches, and the issues kept (``exchange.issues``) as ImportIssue rows
   and the rejects file.

One import runs at a time, and each run records its process (``exchange.runs``), so a run whose
process was killed is found and marked interrupted.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa
from django.conf import settings
from django.db import transaction
from django.db.models import Model
from django.utils import timezone

from safeguarding.audit.models import AuditEventType
from safeguarding.audit.services import audit_record
from safeguarding.core.bulk import foreign_keys_checked_once, indexes_built_after
from safeguarding.core.collector import fewer_collections
from safeguarding.core.errors import ServiceError
from safeguarding.exchange import read
from safeguarding.exchange.format import EVENTS, INCOMING, INCOMING_BY_NAME, PEOPLE, RELATIONSHIPS
from safeguarding.exchange.hooks import events_reclassified, suspects_named
from safeguarding.exchange.issues import (
    ISSUES_KEPT_IN_RESULT,
    FileCounts,
    Issue,
    IssueLog,
    RejectedExtract,
    RejectsFile,
    rejected_extract_path,
    rejects_path,
)
from safeguarding.exchange.models import ImportRun, ImportStatus, IssueSeverity
from safeguarding.exchange.parallel import IN_WORKERS_FROM, Workers
from safeguarding.exchange.read import ExtractRefused, FileRefused, Limits, Member
from safeguarding.exchange.runs import import_run_started
from safeguarding.exchange.staging import StagedFile, remove_staging, staged_rows, staging_folder
from safeguarding.exchange.upsert import Upsert
from safeguarding.exchange.validate import Accepted, RowValidator, kept_raw
from safeguarding.people.models import Event, Person, Relationship, SourceRecord, SourceSystem

if TYPE_CHECKING:
    from safeguarding.accounts.models import User

__all__ = ["FILE_ORDER", "ISSUES_KEPT_IN_RESULT", "ExtractRefused", "FileCounts", "ImportResult", "Issue", "import_extract"]

logger = logging.getLogger(__name__)

FILE_ORDER = tuple(f.name for f in INCOMING)

# (stage and file, e.g. "reading people.csv", rows done, rows expected or None)
Progress = Callable[[str, int, int | None], None]


@dataclass
class ImportResult:
    run: ImportRun
    counts: dict[str, FileCounts]
    # The first ISSUES_KEPT_IN_RESULT issues, in file and line order; issue_count says how many
    # there were in all.
    issues: list[Issue]
    issue_count: int
    rejects_path: Path | None

    @property
    def rejected(self) -> int:
        return sum(c.rejected for c in self.counts.values())

    @property
    def warnings(self) -> int:
        return sum(c.warnings for c in self.counts.values())


def import_extract(
    path: Path | str,
    *,
    initiated_by: str = "command line",
    actor: User | None = None,
    progress: Progress | None = None,
) -> ImportResult:
    """Import an extract (a folder or .zip holding people.csv, relationships.csv, events.csv).

    Rows with missing or invalid required values are rejected and reported with their file and
    line; invalid optional values are set aside with a warning; everything else is written in one
    transaction, so an import is either wholly saved or not at all. ``progress`` is called with
    (stage, rows done, rows expected or None) as each file is read and then written.
    """
    if path is None or not str(path).strip():
        raise ServiceError("No extract given: name a folder or a .zip file holding the exchange CSV files.")
    path = Path(path)
    if not path.exists():
        raise ServiceError(f"{path} does not exist.")
    limits = Limits.from_settings()
    with ExitStack() as stack:
        members = read.find_members(path, stack, limits)
        if not members:
            raise ServiceError(f"{path} holds none of {', '.join(FILE_ORDER)}: nothing to import.")
        run = stack.enter_context(import_run_started(source_path=str(path.resolve()), initiated_by=initiated_by))
        stack.enter_context(fewer_collections())  # reading and writing make millions of rows' objects
        data_dir = Path(settings.DATA_DIR)
        folder = staging_folder(data_dir, run.pk)
        rejects: RejectsFile | None = None
        try:
            staged = _read_and_validate(members, folder, limits, progress)
            # Its columns are those of the files' headers, known now that they have been read.
            rejects = RejectsFile(rejects_path(data_dir, run.pk), [c for s in staged for c in s.header],
                                  RejectedExtract(rejected_extract_path(data_dir, run.pk),
                                                  {s.fmt.name: s.header for s in staged if s.header}))
            with transaction.atomic():
                log, reclassified, suspects = _write(run, staged, rejects, progress)
                # The rooms above follow an event's new marking in the same transaction (a network's link
                # built from an event the police now mark C is theirs alone from the moment it is saved),
                # and a pair the police now name as suspect and victim (the link from their earlier
                # "associate" row about the two is theirs alone too).
                events_reclassified([change["event"] for change in reclassified])
                suspects_named(suspects)
                run.status = ImportStatus.COMPLETED
                run.finished_at = timezone.now()
                run.counts = {s.fmt.name: asdict(s.counts) for s in staged}
                run.save(update_fields=["status", "finished_at", "counts"])
                kept = rejects.finish()
                audit_record(
                    event_type=AuditEventType.EXTRACT_IMPORTED,
                    actor=actor,
                    actor_label="" if actor is not None else initiated_by,
                    target_kind="import_run",
                    target_id=run.pk,
                    detail={
                        "source_path": str(path),
                        "counts": run.counts,
                        "issues": log.count,
                        "rejects_file": str(kept) if kept else "",
                        # Events given another type or handling code, before and after (the first
                        # thousand; the count is whole).
                        "reclassified": reclassified[:1000],
                        "reclassified_count": len(reclassified),
                    },
                )
        except BaseException as exc:
            if rejects is not None:
                rejects.discard()
            _failed(run, exc)
            if not isinstance(exc, Exception):
                raise
            message = str(exc) or type(exc).__name__
            raise ServiceError(f"The import of {path} failed and nothing from it was saved: {message}") from exc
        finally:
            remove_staging(folder)
    return ImportResult(
        run=run, counts={s.fmt.name: s.counts for s in staged}, issues=log.shown, issue_count=log.count,
        rejects_path=kept,
    )


def _failed(run: ImportRun, exc: BaseException) -> None:
    message = str(exc) or type(exc).__name__
    if isinstance(exc, KeyboardInterrupt):
        message = "interrupted"
    try:
        with transaction.atomic():
            ImportRun.objects.filter(pk=run.pk).update(
                status=ImportStatus.FAILED, finished_at=timezone.now(), failure=message[:5000], counts={}
            )
        run.refresh_from_db()
    except Exception:
        # The database may be what failed; the caller still hears why the import did.
        logger.exception("could not mark import run %s as failed", run.pk)


# --- Stage 1 and 2: read and validate, outside any transaction ------------------------------------


def _read_and_validate(
    members: dict[str, Member], folder: Path, limits: Limits, progress: Progress | None
) -> list[StagedFile]:
    systems = {s.code: s for s in SourceSystem.objects.all()}
    budget = read.Budget(limits)
    staged = []
    with Workers(int(settings.IMPORT_WORKERS), systems) as workers:
        for fmt in INCOMING:
            member = members.get(fmt.name)
            if member is not None:
                staged.append(_stage_file(member, StagedFile(fmt, folder), systems, budget, workers, progress))
    return staged


def _stage_file(
    member: Member, staged: StagedFile, systems: dict[str, SourceSystem], budget: read.Budget, workers: Workers,
    progress: Progress | None,
) -> StagedFile:
    name = member.name
    stage = f"reading {name}"
    total = read.estimate_rows(member)
    if progress:
        progress(stage, 0, total)
    counts = staged.counts
    validate = RowValidator(INCOMING_BY_NAME[name], systems)
    pending: list[Issue] = []

    def reject(line: int, reason: str, cells: dict[str, str]) -> None:
        pending.append(Issue(name, line, IssueSeverity.REJECTED, reason, "", kept_raw(cells)))

    def read_issues() -> list[Issue]:
        """The rows refused as they were read, since the last batch."""
        nonlocal pending
        taken, pending = pending, []
        return taken

    try:
        with member.open() as stream:
            csv_file = read.CsvFile(name, stream, budget)
            staged.header = csv_file.header
            missing = [c.name for c in staged.fmt.required if c.name not in csv_file.header]
            if missing:
                columns = ", ".join(missing)
                these = f"columns {columns} are" if len(missing) > 1 else f"column {columns} is"
                raise FileRefused(1, f"the required {these} missing from the header", columns)
            staged.start(csv_file.header)
            batches = csv_file.batches(read.BATCH_SIZE, reject)
            if workers.available and (total or 0) >= IN_WORKERS_FROM:
                validated = workers.validated(name, batches, validate, read_issues)
            else:
                validated = _validated_here(batches, validate, staged.schema, read_issues)
            for rows, issues in validated:
                counts.rejected += len(issues)
                staged.add(rows, issues)
                counts.rows = csv_file.rows_read
                if progress:
                    progress(stage, csv_file.rows_read, total)
            counts.rows = csv_file.rows_read
            if pending:
                counts.rejected += len(pending)
                staged.add(staged_rows(staged.schema, []), read_issues())
            staged.finish()
    except FileRefused as exc:
        staged.refuse(Issue(name, exc.line, IssueSeverity.REJECTED, f"{name} was not imported: {exc.reason}",
                            exc.column))
    except BaseException:
        staged.finish()
        raise
    if progress:
        progress(stage, counts.rows, counts.rows)
    return staged


def _validated_here(
    batches: Iterator[list[read.Row]], validate: RowValidator, schema: pa.Schema,
    read_issues: Callable[[], list[Issue]],
) -> Iterator[tuple[pa.RecordBatch, list[Issue]]]:
    """Each batch's accepted rows, staged, and its issues (those refused as it was read, then its
    own in line order), validated in this process."""
    for batch in batches:
        accepted: list[Accepted] = []
        issues = read_issues()
        for row in batch:
            result = validate(row)
            if isinstance(result, Accepted):
                accepted.append(result)
            else:
                issues.append(result)
        yield staged_rows(schema, accepted), issues


# --- Stage 3: write, in the caller's transaction --------------------------------------------------


def _write(
    run: ImportRun, staged: list[StagedFile], rejects: RejectsFile, progress: Progress | None
) -> tuple[IssueLog, list[dict[str, Any]], list[tuple[int, int]]]:
    log = IssueLog(run, rejects)
    upsert = Upsert(log, {s.pk: s.code for s in SourceSystem.objects.all()})
    for file in staged:
        if file.refusal is not None:
            log.add(file.refusal)
            log.save()
            continue
        stage = f"saving {file.fmt.name}"
        done = 0
        if progress:
            progress(stage, 0, file.accepted)
        upsert.start_file(file.fmt.name, file.counts)
        with ExitStack() as large:
            for model, keep in WRITTEN[file.fmt.name]:
                large.enter_context(foreign_keys_checked_once(model, file.accepted))
                large.enter_context(indexes_built_after(model, file.accepted, keep=keep))
            for batch in file.read():
                log.extend(batch.issues)
                upsert.write(file.fmt.name, batch)
                log.save()
                done += batch.size
                if progress:
                    progress(stage, done, file.accepted)
    return log, upsert.reclassified, upsert.suspects


# The tables each file writes, and the fields whose indexes stay through a write large next to its
# table (``core.bulk``): the import reads records by person (a changed record's person shows its new
# values) and relationships by the record they start from; new records and persons take ids in
# order, so those indexes grow at their end; the index of events marked C holds almost none of them,
# so keeping it costs nothing and building it again would read every event.
WRITTEN: dict[str, tuple[tuple[type[Model], tuple[str, ...]], ...]] = {
    PEOPLE.name: ((SourceRecord, ("person", "source_system")), (Person, ("root", "merged_into"))),
    RELATIONSHIPS.name: ((Relationship, ("from_record",)),),
    EVENTS.name: ((Event, ("handling",)),),
}

