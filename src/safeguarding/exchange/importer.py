"""Import of an agency extract in the partnership exchange format (shared/exchange/SPEC.md)."""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import hashlib
import logging
import re
import zipfile
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import ExitStack
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from django.conf import settings
from django.db import connection, models, transaction
from django.db.models import Count, Q
from django.db.models.expressions import RawSQL
from django.utils import timezone

from safeguarding.audit.models import AuditEventType
from safeguarding.audit.services import audit_record
from safeguarding.core import normalise
from safeguarding.core.bulk import BulkTable
from safeguarding.core.calendar import ENGLAND
from safeguarding.core.csvfile import spreadsheet_safe_writer
from safeguarding.core.errors import ServiceError
from safeguarding.exchange.models import ImportIssue, ImportRun, ImportStatus, IssueSeverity
from safeguarding.people.models import (
    Event,
    EventType,
    Handling,
    Person,
    PersonRole,
    Relationship,
    RelationshipType,
    SourceRecord,
    SourceSystem,
)

if TYPE_CHECKING:
    from safeguarding.accounts.models import User

logger = logging.getLogger(__name__)

PEOPLE = "people.csv"
RELATIONSHIPS = "relationships.csv"
EVENTS = "events.csv"
# People first: relationships and events point at people, from this extract or already held.
FILE_ORDER = (PEOPLE, RELATIONSHIPS, EVENTS)

BATCH_SIZE = 5000
# The result keeps this many issues in memory for the caller to show; every issue is in the
# ImportIssue table and the rejects file whatever their number.
ISSUES_KEPT_IN_RESULT = 10_000
# A longer physical line means the file is not CSV (or uses bare CR line ends): stop reading it
# rather than pull an unbounded "line" into memory.
MAX_LINE_BYTES = 4 * 1024 * 1024

REQUIRED_COLUMNS: dict[str, tuple[str, ...]] = {
    PEOPLE: ("source_system", "record_id"),
    EVENTS: ("source_system", "event_id", "record_id", "event_type", "occurred_at"),
    RELATIONSHIPS: ("source_system", "record_id", "other_record_id", "relationship"),
}

SEX_CODES = frozenset({"F", "M", "X", "U"})
ROLES = frozenset({PersonRole.CHILD.value, PersonRole.ADULT.value})
EVENT_TYPES = frozenset(EventType.values)
RELATIONSHIP_TYPES = frozenset(RelationshipType.values)
HANDLING_CODES = frozenset(Handling.values)
_EMAIL = re.compile(r"^[^@\s;,]+@[^@\s;,]+\.[^@\s;,]+$")
_EARLIEST_YEAR = 1900

# SourceRecord fields an extract sets, in the order they are compared and updated.
RECORD_FIELDS = (
    "given_name", "middle_names", "family_name", "other_names", "date_of_birth", "sex", "nhs_number",
    "nhs_number_valid", "upn", "pnc_id", "address", "postcode", "postcode_other", "phones", "emails", "role",
    "updated_at", "raw",
)
PERSON_DISPLAY_FIELDS = ("given_name", "family_name", "date_of_birth", "sex", "role", "nhs_number", "postcode")
EVENT_FIELDS = (
    "source_record_id", "event_type", "occurred_at", "occurred_date_only", "ended_at", "location_name",
    "location_postcode", "vehicle_registration", "phone", "other_record_ids", "detail", "handling", "raw",
)
RELATIONSHIP_FIELDS = ("start_date", "end_date", "raw")

Progress = Callable[[str, int, int | None], None]


@dataclass
class FileCounts:
    """What happened to the rows of one file."""

    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    warnings: int = 0
    # Of the unchanged: people rows older (by updated_at) than the hub's copy, so not applied.
    older: int = 0
    # Set when the whole file was refused (a required column missing, not UTF-8, not CSV).
    file_rejected: str = ""


@dataclass(frozen=True)
class Issue:
    """A rejected row or a value set aside, as reported on screen and kept in the rejects file."""

    file: str
    line: int
    severity: str
    reason: str
    column: str = ""
    row: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        where = f"{self.file} line {self.line}"
        column = f" [{self.column}]" if self.column else ""
        label = "rejected" if self.severity == IssueSeverity.REJECTED else "warning"
        return f"{where}{column}: {label} - {self.reason}"


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


class _FileRejected(Exception):
    """The whole file cannot be imported; the rest of the extract still can."""

    def __init__(self, line: int, reason: str, column: str = "") -> None:
        super().__init__(reason)
        self.line = line
        self.reason = reason
        self.column = column


# --- Reading the extract -------------------------------------------------------------------------


@dataclass(frozen=True)
class _Member:
    """One of the exchange files in the extract, openable as bytes."""

    name: str
    open: Callable[[], IO[bytes]]


def _opener(path: Path) -> Callable[[], IO[bytes]]:
    def open_file() -> IO[bytes]:
        return path.open("rb")

    return open_file


def _find_members(path: Path, stack: ExitStack) -> dict[str, _Member]:
    """The exchange files in a folder, a .zip, or a single file named as one of them."""
    wanted = {name: name for name in FILE_ORDER}
    if path.is_dir():
        found: dict[str, _Member] = {}
        for child in sorted(path.iterdir()):
            name = wanted.get(child.name.lower())
            if name and child.is_file():
                if name in found:
                    raise ServiceError(f"{path} holds more than one {name} (names differ only in case).")
                found[name] = _Member(name, _opener(child))
        return found
    if path.is_file() and path.name.lower() in wanted:
        name = wanted[path.name.lower()]
        return {name: _Member(name, _opener(path))}
    if not zipfile.is_zipfile(path):
        raise ServiceError(f"{path} is not a folder or a .zip file holding people.csv, relationships.csv or events.csv.")
    try:
        archive = stack.enter_context(zipfile.ZipFile(path))
        infos = archive.infolist()
    except (zipfile.BadZipFile, OSError) as exc:
        raise ServiceError(f"{path} cannot be read as a .zip file ({exc}).") from exc
    # An extract may be zipped with or without its folder: take each file nearest the top.
    candidates: dict[str, list[zipfile.ZipInfo]] = defaultdict(list)
    for info in infos:
        parts = info.filename.split("/")
        if info.is_dir() or "__MACOSX" in parts:
            continue
        name = wanted.get(parts[-1].lower())
        if name:
            candidates[name].append(info)
    found = {}
    for name, infos_for_name in candidates.items():
        infos_for_name.sort(key=lambda i: i.filename.count("/"))
        if len(infos_for_name) > 1 and infos_for_name[0].filename.count("/") == infos_for_name[1].filename.count("/"):
            raise ServiceError(f"{path} holds more than one {name}; zip one extract at a time.")
        info = infos_for_name[0]
        if info.flag_bits & 0x1:
            raise ServiceError(f"{path} is encrypted; the hub cannot read {info.filename}.")
        found[name] = _Member(name, partial(archive.open, info))
    return found


def _decoded_lines(stream: IO[bytes]) -> Iterator[str]:
    """The physical lines of a file as text, stopping with the line number at the first bad byte."""
    number = 0
    while True:
        raw = stream.readline(MAX_LINE_BYTES)
        if not raw:
            return
        number += 1
        if len(raw) == MAX_LINE_BYTES and not raw.endswith(b"\n"):
            raise _FileRejected(number, f"line {number} is longer than {MAX_LINE_BYTES // 1048576} MB: not a CSV file")
        if number == 1 and raw.startswith(codecs.BOM_UTF8):
            raw = raw[len(codecs.BOM_UTF8) :]
        if b"\x00" in raw:
            # Text files hold no NUL; a file saved as UTF-16 without its mark is full of them, and
            # PostgreSQL cannot store one.
            raise _FileRejected(number, f"line {number} contains a NUL byte: this is not a UTF-8 CSV text file "
                                        "(saved as UTF-16?)")
        try:
            yield raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise _FileRejected(
                number,
                f"not valid UTF-8 at line {number} (byte 0x{raw[exc.start]:02x}, character {exc.start + 1}); "
                "save the file as UTF-8 and import it again",
            ) from None


@dataclass(frozen=True)
class _Row:
    line: int
    cells: dict[str, str]  # header name -> value as sent

    def get(self, name: str) -> str:
        """The value with surrounding space removed; '' (unknown) if empty or the column is absent."""
        return self.cells.get(name, "").strip()


class _CsvFile:
    """A streamed CSV file: the header checked, then rows in batches with their first line number."""

    def __init__(self, name: str, stream: IO[bytes]) -> None:
        self.name = name
        self._reader = csv.reader(_decoded_lines(stream), strict=True)
        self.header = self._read_header()
        self.rows_read = 0

    def _next(self) -> list[str] | None:
        start = self._reader.line_num + 1
        try:
            return next(self._reader)
        except StopIteration:
            return None
        except csv.Error as exc:
            line = self._reader.line_num
            message = str(exc)
            if "unexpected end of data" in message:
                line = start
                reason = f"a quoted value in the row at line {start} is never closed (the file ends inside it)"
            elif "field larger than field limit" in message:
                line = start
                reason = f"a value in the row at line {start} runs for too long: a quote is probably left open"
            else:
                reason = f"not readable as CSV at line {line} ({message}); check the quoting"
            raise _FileRejected(line, reason) from None

    def _read_header(self) -> list[str]:
        header = self._next()
        if header is None or not any(cell.strip() for cell in header):
            raise _FileRejected(1, f"{self.name} has no header row")
        names: list[str] = []
        for position, cell in enumerate(header, start=1):
            name = cell.strip()
            lowered = name.lower()
            # Known columns are matched whatever their case; extra columns keep their own name.
            if lowered in _KNOWN_COLUMNS[self.name]:
                name = lowered
            name = name or f"column {position}"
            if name in names:
                raise _FileRejected(1, f"the header names the column {name!r} twice", name)
            names.append(name)
        return names

    def batches(self, size: int, reject: Callable[[int, str, dict[str, str]], None]) -> Iterator[list[_Row]]:
        """Rows in lists of ``size``; a row with the wrong number of values goes to ``reject``."""
        header = self.header
        width = len(header)
        batch: list[_Row] = []
        previous_end = self._reader.line_num
        while (values := self._next()) is not None:
            line = previous_end + 1  # a quoted value may span lines: report where the row starts
            previous_end = self._reader.line_num
            if not values:
                continue  # a blank line is not a row
            self.rows_read += 1
            if len(values) != width:
                cells = dict(zip(header, values, strict=False))
                cells.update({f"extra value {i}": v for i, v in enumerate(values[width:], start=1)})
                reject(
                    line,
                    f"the row has {len(values)} values but the header has {width} columns "
                    "(is a value containing a comma not quoted?)",
                    cells,
                )
                continue
            batch.append(_Row(line, dict(zip(header, values, strict=True))))
            if len(batch) >= size:
                yield batch
                batch = []
        if batch:
            yield batch


_KNOWN_COLUMNS: dict[str, frozenset[str]] = {
    PEOPLE: frozenset(
        {
            "source_system", "record_id", "given_name", "middle_names", "family_name", "other_names",
            "date_of_birth", "sex", "nhs_number", "upn", "pnc_id", "address", "postcode", "phone", "email",
            "role", "updated_at",
        }
    ),
    EVENTS: frozenset(
        {
            "source_system", "event_id", "record_id", "event_type", "occurred_at", "ended_at", "location_name",
            "location_postcode", "vehicle_registration", "phone", "other_record_ids", "detail", "handling",
        }
    ),
    RELATIONSHIPS: frozenset(
        {"source_system", "record_id", "other_record_id", "relationship", "start_date", "end_date"}
    ),
}


def _peek_header(member: _Member) -> list[str]:
    """The header of a file, for the rejects file's columns; [] if it cannot be read."""
    try:
        with member.open() as stream:
            line = stream.readline(MAX_LINE_BYTES).decode("utf-8-sig", errors="replace")
    except (OSError, zipfile.BadZipFile):
        return []
    cells = next(csv.reader([line]), [])
    known = _KNOWN_COLUMNS[member.name]
    return [cell.strip().lower() if cell.strip().lower() in known else cell.strip() for cell in cells if cell.strip()]


def _estimate_rows(member: _Member) -> int | None:
    """Lines after the header: the row count unless quoted values hold line breaks (a cheap scan)."""
    try:
        with member.open() as stream:
            lines = sum(chunk.count(b"\n") for chunk in iter(lambda: stream.read(1 << 20), b""))
    except (OSError, zipfile.BadZipFile):
        return None
    return max(lines - 1, 0)


# --- Values --------------------------------------------------------------------------------------


def _parse_moment(text: str) -> tuple[dt.datetime, bool] | None:
    """An ISO 8601 date or date-time as an aware UTC datetime, and whether only a date was given.

    A time without an offset is local time in England. At the autumn change an hour happens twice
    and the first (summer time) is taken; a time skipped in spring is read with the winter offset,
    which is what ``zoneinfo`` does with ``fold=0``.
    """
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        pass
    else:
        if day.year < _EARLIEST_YEAR:
            return None
        return dt.datetime.combine(day, dt.time(), tzinfo=ENGLAND).astimezone(dt.UTC), True
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.year < _EARLIEST_YEAR:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ENGLAND)
    try:
        return moment.astimezone(dt.UTC), False
    except OverflowError:
        return None


def _parse_date(text: str) -> dt.date | None:
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        return None
    return day if day.year >= _EARLIEST_YEAR else None


_UK_NUMBER = re.compile(r"0[1237][0-9]{9}")


def _phone(text: str) -> str | None:
    """normalise.phone, with a shortcut for the common UK form (``07700 900123``).

    Parsing with phonenumbers costs tens of microseconds a number, most of a people row's time;
    for eleven digits starting 01, 02, 03 or 07 it always answers +44 and the last ten digits.
    """
    compact = text.replace(" ", "")
    if _UK_NUMBER.fullmatch(compact):
        return "+44" + compact[1:]
    return normalise.phone(text)


def _split_list(text: str) -> list[str]:
    """A ``;``-separated cell as its non-empty parts, in order, without repeats."""
    return list(dict.fromkeys(part.strip() for part in text.split(";") if part.strip()))


def _merged_raw(stored: dict[str, Any], incoming: dict[str, str]) -> dict[str, Any]:
    """The row as sent, keeping any earlier value for a column now empty or absent."""
    merged = dict(stored)
    for name, value in incoming.items():
        if value.strip() or name not in merged:
            merged[name] = value
    return merged


def _max_lengths(model: type[models.Model]) -> dict[str, int]:
    return {
        f.name: f.max_length
        for f in model._meta.get_fields()
        if isinstance(f, models.CharField) and f.max_length is not None
    }


_RECORD_MAX = _max_lengths(SourceRecord)
_EVENT_MAX = _max_lengths(Event)


def _changes(stored: dict[str, Any], incoming: dict[str, Any]) -> dict[str, Any]:
    """The incoming values that differ from the stored row.

    ``incoming`` holds only known values: an empty or set-aside cell is absent from it, so it never
    erases what the hub already holds.
    """
    return {name: value for name, value in incoming.items() if stored[name] != value}


# Each number of IN (...) values is a different statement to the database, and SQLite's driver
# keeps the last 128 it prepared: with thousands of values each, one per batch held hundreds of MB.
# Padding each list to a multiple of this with values that match nothing keeps a handful of
# shapes (Hibernate pads IN lists for the same reason).
IN_LIST_STEP = 500


def _padded_texts(values: set[str]) -> list[str]:
    # Longer than any stored id (120 characters), so they match nothing; and were one ever to
    # match, the callers look rows up by the keys they asked for, so it would be ignored.
    return [*values, *(f"{'~' * 121}{n}" for n in range(-len(values) % IN_LIST_STEP))]


def _padded_ids(values: set[int]) -> list[int]:
    return [*values, *range(-1, -1 - (-len(values) % IN_LIST_STEP), -1)]


def _by_system_and_id(model: type[models.Model], id_field: str, keys: Iterable[tuple[int, str]]) -> Q:
    """Rows of ``model`` for (source system, id) pairs, through its unique index on the two.

    PostgreSQL joins the pairs, sent as two arrays, to the table: one probe of the unique index a
    pair. Written as ``system IN (...) AND id IN (...)`` it probed every system with every id or,
    inside an import's transaction (where rows just written have no statistics yet), scanned all
    rows of the batch's systems: 0.6 s a batch at 3 million events, and growing. SQLite plans the
    IN lists well; they may also match a few rows of other pairs (an id one system shares with
    another), which the callers' lookups by the exact pair ignore.
    """
    pairs = list(keys)
    if connection.vendor == "postgresql":
        quote = connection.ops.quote_name
        table, column = quote(model._meta.db_table), quote(id_field)  # a plain column: its name is its field's
        # Names from the model's own metadata, values as parameters.
        return Q(pk__in=RawSQL(  # noqa: S611
            f"SELECT t.id FROM {table} AS t JOIN unnest(%s::bigint[], %s::text[]) AS k(system_id, key) "  # noqa: S608
            f"ON t.source_system_id = k.system_id AND t.{column} = k.key",
            ([s for s, _ in pairs], [k for _, k in pairs]),
        ))
    return Q(source_system_id__in=sorted({s for s, _ in pairs}),
             **{f"{id_field}__in": _padded_texts({k for _, k in pairs})})


def _key_text(*parts: object) -> str:
    return "\x1f".join(str(p) for p in parts)


# --- Rejects file --------------------------------------------------------------------------------


class _RejectsFile:
    """``run-<id>-issues.csv``: every issue with the row as it was sent, to fix and import again."""

    META = ("file", "line", "severity", "column", "reason")
    EXTRA = "values beyond the header"

    def __init__(self, path: Path, source_columns: Sequence[str]) -> None:
        self.path = path
        self._columns = list(dict.fromkeys(source_columns))
        # A source column named like one of ours keeps its value under a distinct name.
        self._header = [*self.META, *(f"row {c}" if c in self.META else c for c in self._columns), self.EXTRA]
        self._handle: IO[str] | None = None
        self._writer: Any = None

    def write(self, issue: Issue) -> None:
        if self._writer is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # A byte-order mark so that spreadsheet programs read names with accents correctly.
            self._handle = self.path.open("w", encoding="utf-8-sig", newline="")
            self._writer = spreadsheet_safe_writer(self._handle)
            self._writer.writerow(self._header)
        listed = set(self._columns)
        extra = [f"{k}={v}" for k, v in issue.row.items() if k not in listed]
        self._writer.writerow(
            [
                issue.file, issue.line, issue.severity, issue.column, issue.reason,
                *(issue.row.get(c, "") for c in self._columns), "; ".join(extra),
            ]
        )

    def mark(self) -> int | None:
        if self._handle is None:
            return None
        self._handle.flush()
        return self._handle.tell()

    def rollback_to(self, mark: int | None) -> None:
        """Forget what was written after ``mark`` (the issues of a file then refused whole)."""
        if self._handle is None:
            return
        if mark is None:
            self.discard()
            return
        self._handle.seek(mark)
        self._handle.truncate()

    def close(self) -> Path | None:
        if self._handle is None:
            return None
        self._handle.close()
        return self.path

    def discard(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self.path.unlink(missing_ok=True)
        self._handle = None
        self._writer = None


# --- The import ----------------------------------------------------------------------------------


@dataclass
class _Parsed:
    """A row that passed its required checks, with the values to store and warnings to report."""

    row: _Row
    system_id: int
    record_id: str
    values: dict[str, Any]
    warnings: list[tuple[str, str]] = field(default_factory=list)
    key: tuple[Any, ...] = ()


class _Importer:
    """Imports the files of one extract, inside the caller's transaction."""

    def __init__(self, run: ImportRun, rejects: _RejectsFile, progress: Progress | None) -> None:
        self.run = run
        self.rejects = rejects
        self.progress = progress
        self.systems = {s.code: s for s in SourceSystem.objects.all()}
        self.counts: dict[str, FileCounts] = {}
        self.issues: list[Issue] = []
        self.issue_count = 0
        self._file = ""
        self._file_counts = FileCounts()
        self._pending: list[Issue] = []  # the current batch's, saved with it
        # Digests of the keys seen so far in the current file, to refuse a repeated key. A
        # 16-byte digest rather than the key keeps a 5-million-row file to a few hundred MB.
        self._seen: set[bytes] = set()

    # Issues ----------------------------------------------------------------------------------

    def _issue(self, line: int, severity: str, reason: str, column: str = "", row: dict[str, str] | None = None) -> None:
        self._pending.append(Issue(self._file, line, severity, reason, column, row or {}))

    def _reject(self, line: int, reason: str, row: dict[str, str], column: str = "") -> None:
        self._file_counts.rejected += 1
        self._issue(line, IssueSeverity.REJECTED, reason, column, row)

    def _reject_all(self, row: _Row, reasons: list[tuple[str, str]]) -> None:
        """One issue for a row with every reason it cannot be imported, so that one fix does."""
        self._reject(row.line, "; ".join(r for _, r in reasons), row.cells, ", ".join(dict.fromkeys(c for c, _ in reasons)))

    def _report_warnings(self, parsed: _Parsed) -> None:
        for column, reason in parsed.warnings:
            self._file_counts.warnings += 1
            self._issue(parsed.row.line, IssueSeverity.WARNING, reason, column, parsed.row.cells)

    def _save_issues(self) -> None:
        """Keep the batch's issues: in the result, the ImportIssue table and the rejects file."""
        if not self._pending:
            return
        # A batch finds some problems only after its rows are parsed (a record not held):
        # put them back in line order.
        self._pending.sort(key=lambda issue: issue.line)
        self.issue_count += len(self._pending)
        self.issues.extend(self._pending[: max(0, ISSUES_KEPT_IN_RESULT - len(self.issues))])
        for issue in self._pending:
            self.rejects.write(issue)
        _ISSUES.insert(
            [
                {
                    "run_id": self.run.pk, "file_name": i.file, "line_number": i.line, "severity": i.severity,
                    "column": i.column[:100], "reason": i.reason, "row": i.row,
                }
                for i in self._pending
            ],
            timezone.now(),
        )
        self._pending = []

    # Files -----------------------------------------------------------------------------------

    def import_file(self, member: _Member) -> None:
        name = member.name
        self._file = name
        self._file_counts = self.counts[name] = FileCounts()
        marks = (len(self.issues), self.issue_count, self.rejects.mark())
        total = _estimate_rows(member) if self.progress else None
        if self.progress:
            self.progress(name, 0, total)
        handler = {PEOPLE: self._people_batch, RELATIONSHIPS: self._relationships_batch, EVENTS: self._events_batch}[name]
        self._seen = set()
        try:
            # A savepoint per file: a file found unreadable half-way is refused whole, and the
            # rows already written from it are taken back, without losing the other files.
            with transaction.atomic(), member.open() as stream:
                csv_file = _CsvFile(name, stream)
                missing = [c for c in REQUIRED_COLUMNS[name] if c not in csv_file.header]
                if missing:
                    columns = ", ".join(missing)
                    these = f"columns {columns} are" if len(missing) > 1 else f"column {columns} is"
                    raise _FileRejected(1, f"the required {these} missing from the header", columns)
                for batch in csv_file.batches(BATCH_SIZE, self._reject):
                    handler(batch)
                    self._save_issues()
                    self._file_counts.rows = csv_file.rows_read
                    if self.progress:
                        self.progress(name, csv_file.rows_read, total)
                self._file_counts.rows = csv_file.rows_read
                self._save_issues()
        except _FileRejected as exc:
            del self.issues[marks[0] :]
            self.issue_count = marks[1]
            self.rejects.rollback_to(marks[2])
            self._pending = []
            reason = f"{name} was not imported: {exc.reason}"
            self._file_counts = self.counts[name] = FileCounts(file_rejected=reason)
            self._issue(exc.line, IssueSeverity.REJECTED, reason, exc.column)
            self._save_issues()
        finally:
            self._seen = set()
        if self.progress:
            self.progress(name, self._file_counts.rows, self._file_counts.rows)

    # Shared row checks -----------------------------------------------------------------------

    def _check_system(self, row: _Row, reasons: list[tuple[str, str]]) -> SourceSystem | None:
        code = row.get("source_system")
        if not code:
            reasons.append(("source_system", "source_system is empty"))
            return None
        system = self.systems.get(code)
        if system is None:
            reasons.append(("source_system", f"unknown source_system {code!r}: it is not registered in the hub "
                                             "(see `safeguarding source_systems list`)"))
            return None
        if system.is_hub:
            reasons.append(("source_system", f"source_system {code!r} is the hub's own; an extract cannot write to it"))
            return None
        return system

    def _check_id(self, row: _Row, column: str, max_length: int, reasons: list[tuple[str, str]]) -> str:
        value = row.get(column)
        if not value:
            reasons.append((column, f"{column} is empty"))
        elif len(value) > max_length:
            reasons.append((column, f"{column} is longer than {max_length} characters"))
            return ""
        return value

    def _repeated(self, key: str) -> bool:
        """True if this key was already seen in the current file (and remember it if not)."""
        digest = hashlib.blake2b(key.encode(), digest_size=16).digest()
        if digest in self._seen:
            return True
        self._seen.add(digest)
        return False

    @staticmethod
    def _text(row: _Row, column: str, values: dict[str, Any], warnings: list[tuple[str, str]],
              max_lengths: dict[str, int]) -> None:
        """A free-text value as it is, set aside if longer than the hub can store."""
        value = row.get(column)
        if not value:
            return
        limit = max_lengths.get(column)
        if limit is not None and len(value) > limit:
            warnings.append((column, f"{column} is longer than {limit} characters; set aside"))
            return
        values[column] = value

    # people.csv ------------------------------------------------------------------------------

    def _parse_person(self, row: _Row) -> _Parsed | None:
        reasons: list[tuple[str, str]] = []
        system = self._check_system(row, reasons)
        record_id = self._check_id(row, "record_id", _RECORD_MAX["record_id"], reasons)
        if system and record_id and self._repeated(_key_text(system.pk, record_id)):
            reasons.append(("record_id", f"record_id {record_id!r} appears more than once in people.csv for "
                                         f"{system.code}; only its first row is imported"))
        if reasons or system is None:
            self._reject_all(row, reasons)
            return None
        values: dict[str, Any] = {}
        warnings: list[tuple[str, str]] = []
        for column in ("given_name", "middle_names", "family_name", "pnc_id", "address"):
            self._text(row, column, values, warnings, _RECORD_MAX)
        if other_names := _split_list(row.get("other_names")):
            values["other_names"] = ";".join(other_names)
        if text := row.get("date_of_birth"):
            dob = normalise.partial_date(text)
            if dob is None:
                warnings.append(("date_of_birth", f"date_of_birth {text!r} is not a real date (YYYY-MM-DD, YYYY-MM "
                                                  "or YYYY); set aside"))
            else:
                values["date_of_birth"] = str(dob)
        if text := row.get("sex"):
            if text.upper() in SEX_CODES:
                values["sex"] = text.upper()
            else:
                warnings.append(("sex", f"sex {text!r} is not one of F, M, X, U; set aside"))
        if text := row.get("nhs_number"):
            digits = normalise.nhs_number_digits(text)
            if digits is None:
                warnings.append(("nhs_number", f"nhs_number {text!r} is not 10 digits; set aside"))
            else:
                values["nhs_number"] = digits
                values["nhs_number_valid"] = normalise.nhs_number_is_valid(digits)
                if not values["nhs_number_valid"]:
                    warnings.append(("nhs_number", f"nhs_number {text!r} fails its check digit; kept, marked not valid"))
        if text := row.get("upn"):
            upn = normalise.upn(text)
            if upn is None:
                warnings.append(("upn", f"upn {text!r} is not a unique pupil number; set aside"))
            else:
                values["upn"] = upn
        if text := row.get("postcode"):
            postcode = normalise.postcode(text)
            if postcode is not None:
                values["postcode"] = postcode
                values["postcode_other"] = ""  # a UK postcode now supersedes one from abroad
            elif other := normalise.postcode_any(text):
                # Still evidence for record linkage (an agency's records of someone abroad agree on it),
                # never shown or searched as a UK postcode.
                values["postcode_other"] = other
                warnings.append(("postcode", f"postcode {text!r} is not a UK postcode; set aside, and kept as "
                                             f"{other} for record linkage only"))
            else:
                warnings.append(("postcode", f"postcode {text!r} is not a UK postcode; set aside"))
        if text := row.get("phone"):
            phones = []
            for part in _split_list(text):
                number = _phone(part)
                if number is None:
                    warnings.append(("phone", f"phone {part!r} is not a phone number; set aside"))
                else:
                    phones.append(number)
            if phones:
                values["phones"] = ";".join(dict.fromkeys(phones))
        if text := row.get("email"):
            emails = []
            for part in _split_list(text):
                if _EMAIL.match(part):
                    emails.append(part)
                else:
                    warnings.append(("email", f"email {part!r} is not an email address; set aside"))
            if emails:
                values["emails"] = ";".join(emails)
        if text := row.get("role"):
            if text.lower() in ROLES:
                values["role"] = text.lower()
            else:
                warnings.append(("role", f"role {text!r} is not child or adult; set aside"))
        if text := row.get("updated_at"):
            moment = _parse_moment(text)
            if moment is None:
                warnings.append(("updated_at", f"updated_at {text!r} is not an ISO 8601 date-time; set aside"))
            else:
                values["updated_at"] = moment[0]
        return _Parsed(row, system.pk, record_id, values, warnings, (system.pk, record_id))

    @staticmethod
    def _records_by_key(keys: Iterable[tuple[int, str]]) -> Q:
        """Source records for (system, record_id) pairs (see ``_by_system_and_id``)."""
        return _by_system_and_id(SourceRecord, "record_id", keys)

    def _people_batch(self, rows: list[_Row]) -> None:
        parsed = [p for row in rows if (p := self._parse_person(row)) is not None]
        if not parsed:
            return
        stored = {
            (r["source_system_id"], r["record_id"]): r
            for r in SourceRecord.objects.filter(self._records_by_key(p.key for p in parsed)).values(
                "id", "person_id", "source_system_id", "record_id", *RECORD_FIELDS
            )
        }
        counts = self._file_counts
        now = timezone.now()
        new: list[dict[str, Any]] = []
        changed: list[dict[str, Any]] = []
        for p in parsed:
            self._report_warnings(p)
            record = stored.get(p.key)
            if record is None:
                new.append({"source_system_id": p.system_id, "record_id": p.record_id, "raw": p.row.cells, **p.values})
                continue
            incoming_at = p.values.get("updated_at")
            if record["updated_at"] is not None and incoming_at is not None and incoming_at < record["updated_at"]:
                # An older copy than the hub's: applying it would overwrite newer values.
                counts.unchanged += 1
                counts.older += 1
                continue
            self._bring_up_to_date(record, p, changed, changed_at=now)
        if new:
            # One person per source record until the linkage room joins records of the same person.
            person_ids = _PERSONS.insert_returning_ids([_display_values(r) for r in new], now)
            for record, person_id in zip(new, person_ids, strict=True):
                record["person_id"] = person_id
            _RECORDS.insert(new, now)
            counts.created += len(new)
        if changed:
            _RECORDS.update(changed, [*RECORD_FIELDS, "changed_at"])
            counts.updated += len(changed)
            self._refresh_persons(changed)

    def _refresh_persons(self, records: list[dict[str, Any]]) -> None:
        """Copy changed records' values to their person, where the person rests on that record alone."""
        alone = set(
            SourceRecord.objects.filter(person_id__in={r["person_id"] for r in records})
            .values("person_id").annotate(n=Count("id")).filter(n=1).values_list("person_id", flat=True)
        )
        _PERSONS.update(
            [{"id": r["person_id"], **_display_values(r)} for r in records if r["person_id"] in alone],
            PERSON_DISPLAY_FIELDS,
        )

    # relationships.csv -----------------------------------------------------------------------

    def _parse_relationship(self, row: _Row) -> _Parsed | None:
        reasons: list[tuple[str, str]] = []
        system = self._check_system(row, reasons)
        record_id = self._check_id(row, "record_id", _RECORD_MAX["record_id"], reasons)
        other_id = self._check_id(row, "other_record_id", _RECORD_MAX["record_id"], reasons)
        kind = row.get("relationship")
        if not kind:
            reasons.append(("relationship", "relationship is empty"))
        elif kind not in RELATIONSHIP_TYPES:
            reasons.append(("relationship", f"unknown relationship {kind!r} (expected one of "
                                            f"{', '.join(RelationshipType.values)})"))
        if record_id and record_id == other_id:
            reasons.append(("other_record_id", "other_record_id is the same as record_id"))
        if not reasons and system and self._repeated(_key_text(system.pk, record_id, other_id, kind)):
            reasons.append(("record_id", f"the {kind} relationship of {record_id!r} to {other_id!r} appears more "
                                         "than once in relationships.csv; only its first row is imported"))
        if reasons or system is None:
            self._reject_all(row, reasons)
            return None
        values: dict[str, Any] = {}
        warnings: list[tuple[str, str]] = []
        for column in ("start_date", "end_date"):
            if text := row.get(column):
                day = _parse_date(text)
                if day is None:
                    warnings.append((column, f"{column} {text!r} is not a real date (YYYY-MM-DD); set aside"))
                else:
                    values[column] = day
        if "start_date" in values and "end_date" in values and values["end_date"] < values["start_date"]:
            warnings.append(("end_date", f"end_date {row.get('end_date')!r} is before start_date; set aside"))
            del values["end_date"]
        return _Parsed(row, system.pk, record_id, values, warnings, (system.pk, record_id, other_id, kind))

    def _record_pks(self, keys: set[tuple[int, str]]) -> dict[tuple[int, str], int]:
        """Source record ids for (system, record_id) pairs: one query for the whole batch."""
        if not keys:
            return {}
        rows = SourceRecord.objects.filter(self._records_by_key(keys)).values_list("source_system_id", "record_id", "id")
        return {(s, r): pk for s, r, pk in rows}

    def _relationships_batch(self, rows: list[_Row]) -> None:
        parsed = [p for row in rows if (p := self._parse_relationship(row)) is not None]
        if not parsed:
            return
        pks = self._record_pks({(p.system_id, p.key[1]) for p in parsed} | {(p.system_id, p.key[2]) for p in parsed})
        resolved: list[tuple[_Parsed, int, int]] = []
        for p in parsed:
            _, record_id, other_id, _kind = p.key
            missing = [rid for rid in (record_id, other_id) if (p.system_id, rid) not in pks]
            if missing:
                column = "record_id" if record_id in missing else "other_record_id"
                self._reject(p.row.line, _not_held(missing, self._code(p.system_id)), p.row.cells, column)
                continue
            resolved.append((p, pks[(p.system_id, record_id)], pks[(p.system_id, other_id)]))
        stored = {
            (r["from_record_id"], r["to_record_id"], r["relationship"]): r
            for r in Relationship.objects.filter(
                from_record_id__in=_padded_ids({f for _, f, _ in resolved}),
                to_record_id__in=_padded_ids({t for _, _, t in resolved}),
            ).values("id", "from_record_id", "to_record_id", "relationship", *RELATIONSHIP_FIELDS)
        }
        new: list[dict[str, Any]] = []
        changed: list[dict[str, Any]] = []
        for p, from_pk, to_pk in resolved:
            self._report_warnings(p)
            kind = p.key[3]
            relationship = stored.get((from_pk, to_pk, kind))
            if relationship is None:
                new.append({"source_system_id": p.system_id, "from_record_id": from_pk, "to_record_id": to_pk,
                            "relationship": kind, "raw": p.row.cells, **p.values})
                continue
            self._bring_up_to_date(relationship, p, changed)
        self._write(_RELATIONSHIPS, new, changed, RELATIONSHIP_FIELDS)

    # events.csv ------------------------------------------------------------------------------

    def _parse_event(self, row: _Row) -> _Parsed | None:
        reasons: list[tuple[str, str]] = []
        system = self._check_system(row, reasons)
        event_id = self._check_id(row, "event_id", _EVENT_MAX["event_id"], reasons)
        if system and event_id and self._repeated(_key_text(system.pk, event_id)):
            reasons.append(("event_id", f"event_id {event_id!r} appears more than once in events.csv for "
                                        f"{system.code}; only its first row is imported"))
        record_id = self._check_id(row, "record_id", _RECORD_MAX["record_id"], reasons)
        event_type = row.get("event_type")
        if not event_type:
            reasons.append(("event_type", "event_type is empty"))
        elif event_type not in EVENT_TYPES:
            reasons.append(("event_type", f"unknown event_type {event_type!r} (not in the exchange format's list)"))
        occurred_text = row.get("occurred_at")
        occurred = _parse_moment(occurred_text) if occurred_text else None
        if not occurred_text:
            reasons.append(("occurred_at", "occurred_at is empty"))
        elif occurred is None:
            reasons.append(("occurred_at", f"occurred_at {occurred_text!r} is not a real ISO 8601 date or date-time"))
        if reasons or system is None or occurred is None:
            self._reject_all(row, reasons)
            return None
        values: dict[str, Any] = {
            "event_type": event_type, "occurred_at": occurred[0], "occurred_date_only": occurred[1],
        }
        warnings: list[tuple[str, str]] = []
        if text := row.get("ended_at"):
            ended = _parse_moment(text)
            if ended is None:
                warnings.append(("ended_at", f"ended_at {text!r} is not a real ISO 8601 date or date-time; set aside"))
            elif ended[0] < occurred[0]:
                warnings.append(("ended_at", f"ended_at {text!r} is before occurred_at {occurred_text!r}; set aside"))
            else:
                values["ended_at"] = ended[0]
        self._text(row, "location_name", values, warnings, _EVENT_MAX)
        self._text(row, "detail", values, warnings, _EVENT_MAX)
        if text := row.get("location_postcode"):
            postcode = normalise.postcode(text)
            if postcode is None:
                warnings.append(("location_postcode", f"location_postcode {text!r} is not a UK postcode; set aside"))
            else:
                values["location_postcode"] = postcode
        if text := row.get("vehicle_registration"):
            registration = normalise.registration(text)
            if registration is None:
                warnings.append(("vehicle_registration", f"vehicle_registration {text!r} is not a vehicle "
                                                         "registration; set aside"))
            else:
                values["vehicle_registration"] = registration
        if text := row.get("phone"):
            number = _phone(text)
            if number is None:
                warnings.append(("phone", f"phone {text!r} is not a phone number; set aside"))
            else:
                values["phone"] = number
        if others := _split_list(row.get("other_record_ids")):
            values["other_record_ids"] = ";".join(others)
        if text := row.get("handling"):
            if text.upper() in HANDLING_CODES:
                values["handling"] = text.upper()
            else:
                warnings.append(("handling", f"handling {text!r} is not P or C; set aside"))
        return _Parsed(row, system.pk, record_id, values, warnings, (system.pk, event_id))

    def _events_batch(self, rows: list[_Row]) -> None:
        parsed = [p for row in rows if (p := self._parse_event(row)) is not None]
        if not parsed:
            return
        pks = self._record_pks({(p.system_id, p.record_id) for p in parsed})
        stored = {
            (e["source_system_id"], e["event_id"]): e
            for e in Event.objects.filter(_by_system_and_id(Event, "event_id", (p.key for p in parsed))).values(
                "id", "source_system_id", "event_id", *EVENT_FIELDS
            )
        }
        new: list[dict[str, Any]] = []
        changed: list[dict[str, Any]] = []
        for p in parsed:
            record_pk = pks.get((p.system_id, p.record_id))
            if record_pk is None:
                self._reject(p.row.line, _not_held([p.record_id], self._code(p.system_id)), p.row.cells, "record_id")
                continue
            self._report_warnings(p)
            p.values["source_record_id"] = record_pk
            event = stored.get(p.key)
            if event is None:
                new.append({"source_system_id": p.system_id, "event_id": p.key[1], "raw": p.row.cells, **p.values})
                continue
            self._bring_up_to_date(event, p, changed)
        self._write(_EVENTS, new, changed, EVENT_FIELDS)

    def _bring_up_to_date(
        self, stored: dict[str, Any], p: _Parsed, changed: list[dict[str, Any]], **stamp: Any
    ) -> None:
        """A stored row meets its row in the extract again: the raw cells are merged and changed
        values taken (the row joins ``changed``), or the row is counted unchanged."""
        p.values["raw"] = _merged_raw(stored["raw"], p.row.cells)
        if changes := _changes(stored, p.values):
            stored.update(changes, **stamp)
            changed.append(stored)
        else:
            self._file_counts.unchanged += 1

    def _write(
        self, table: BulkTable, new: list[dict[str, Any]], changed: list[dict[str, Any]], fields: Sequence[str]
    ) -> None:
        table.insert(new, timezone.now())
        self._file_counts.created += len(new)
        table.update(changed, fields)
        self._file_counts.updated += len(changed)

    def _code(self, system_id: int) -> str:
        return next(code for code, s in self.systems.items() if s.pk == system_id)


def _not_held(record_ids: list[str], system_code: str) -> str:
    names = " and ".join(repr(r) for r in record_ids)
    return (f"the hub holds no {system_code} record {names}: it is neither in this extract's people.csv "
            "nor imported before")


def _display_values(record: dict[str, Any]) -> dict[str, Any]:
    """A person's display fields from their one source record (a failed NHS number is not shown)."""
    values = {name: record.get(name, "") for name in PERSON_DISPLAY_FIELDS}
    if not record.get("nhs_number_valid"):
        values["nhs_number"] = ""
    return values


_PERSONS = BulkTable(Person)
_RECORDS = BulkTable(SourceRecord)
_EVENTS = BulkTable(Event)
_RELATIONSHIPS = BulkTable(Relationship)
_ISSUES = BulkTable(ImportIssue)


# --- Entry point ---------------------------------------------------------------------------------


def import_extract(
    path: Path | str,
    *,
    initiated_by: str = "command line",
    actor: User | None = None,
    progress: Progress | None = None,
) -> ImportResult:
    """Import an extract (a folder or .zip holding people.csv, relationships.csv, events.csv).

    Rows with missing or invalid required values are rejected and reported with their file and
    line; invalid optional values are set aside with a warning; everything else is imported in one
    transaction, so an import is either wholly saved or not at all. ``progress`` is called with
    (file name, rows read, rows expected or None) as each file is read.
    """
    if path is None or not str(path).strip():
        raise ServiceError("No extract given: name a folder or a .zip file holding the exchange CSV files.")
    path = Path(path)
    if not path.exists():
        raise ServiceError(f"{path} does not exist.")
    with ExitStack() as stack:
        members = _find_members(path, stack)
        if not members:
            raise ServiceError(f"{path} holds none of {', '.join(FILE_ORDER)}: nothing to import.")
        with transaction.atomic():
            # Its own transaction first, so that the run is on record even if the import fails.
            run = ImportRun.objects.create(
                started_at=timezone.now(), source_path=str(path.resolve()), initiated_by=initiated_by,
                status=ImportStatus.RUNNING,
            )
        columns = [c for name in FILE_ORDER if name in members for c in _peek_header(members[name])]
        rejects = _RejectsFile(Path(settings.DATA_DIR) / "imports" / f"run-{run.pk}-issues.csv", columns)
        try:
            with transaction.atomic():
                importer = _Importer(run, rejects, progress)
                for name in FILE_ORDER:
                    if name in members:
                        importer.import_file(members[name])
                rejects_path = rejects.close()
                run.status = ImportStatus.COMPLETED
                run.finished_at = timezone.now()
                run.counts = {name: asdict(c) for name, c in importer.counts.items()}
                run.save(update_fields=["status", "finished_at", "counts"])
                audit_record(
                    event_type=AuditEventType.EXTRACT_IMPORTED,
                    actor=actor,
                    actor_label="" if actor is not None else initiated_by,
                    target_kind="import_run",
                    target_id=run.pk,
                    detail={
                        "source_path": str(path),
                        "counts": run.counts,
                        "issues": importer.issue_count,
                        "rejects_file": str(rejects_path) if rejects_path else "",
                    },
                )
        except BaseException as exc:
            rejects.discard()
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
            if not isinstance(exc, Exception):
                raise
            raise ServiceError(f"The import of {path} failed and nothing from it was saved: {message}") from exc
    return ImportResult(
        run=run, counts=importer.counts, issues=importer.issues, issue_count=importer.issue_count,
        rejects_path=rejects_path,
    )
