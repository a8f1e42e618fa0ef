"""Reading an extract: its files (in a folder, a .zip or on their own), within the limits an
extract may expand to, decoded line by line, as CSV rows that know their line numbers.

Nothing here touches the database: an extract is read (and validated) before the import takes
the database's write lock, so a file that is slow to read, or a zip made to expand without end,
costs the hub time but never stops anyone else from working.
"""

from __future__ import annotations

import codecs
import csv
import zipfile
import zlib
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import IO

from django.conf import settings

from safeguarding.core.errors import ServiceError
from safeguarding.exchange.format import INCOMING, INCOMING_BY_NAME

# Rows are read, validated and written this many at a time (and a batch is cut sooner if its
# text runs past BATCH_BYTES, so that a file of very long rows cannot fill the memory).
BATCH_SIZE = 5000
BATCH_BYTES = 64 * 1024 * 1024
# The most one physical line, or one quoted value spanning lines, may hold: a longer one is not a
# record (a file with no line ends at all, or a quote never closed). Values are kept only up to
# format.MAX_VALUE; this is where reading stops.
MAX_LINE_BYTES = 16 * 1024 * 1024
_CHUNK = 1024 * 1024
_MB = 1024 * 1024


def _size(count: float) -> str:
    """Bytes for people: ``400 MB``, ``1.5 GB``."""
    for unit, scale in (("GB", 1024**3), ("MB", 1024**2), ("KB", 1024)):
        if count >= scale:
            return f"{count / scale:,.1f}".removesuffix(".0") + f" {unit}"
    return f"{int(count):,} bytes"


# --- Limits ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Limits:
    """What one extract may expand to, from the settings of the same names (see README)."""

    extract_bytes: int  # IMPORT_MAX_EXTRACT_BYTES: all its files together, uncompressed
    compression_ratio: float  # IMPORT_MAX_COMPRESSION_RATIO: a zipped file's size over its size in the zip
    rows: int  # IMPORT_MAX_ROWS: rows in all its files together
    blank_lines: int  # IMPORT_MAX_BLANK_LINES: blank lines in a row, after which a file is refused

    @classmethod
    def from_settings(cls) -> Limits:
        return cls(
            extract_bytes=int(settings.IMPORT_MAX_EXTRACT_BYTES),
            compression_ratio=float(settings.IMPORT_MAX_COMPRESSION_RATIO),
            rows=int(settings.IMPORT_MAX_ROWS),
            blank_lines=int(settings.IMPORT_MAX_BLANK_LINES),
        )


class ExtractRefused(ServiceError):
    """The whole extract is refused: it breaks a limit, so none of it is imported."""


class FileRefused(Exception):
    """One file cannot be imported; the rest of the extract still can."""

    def __init__(self, line: int, reason: str, column: str = "") -> None:
        super().__init__(reason)
        self.line = line
        self.reason = reason
        self.column = column


class Budget:
    """The bytes and rows read so far across the whole extract, against its limits."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.bytes = 0
        self.rows = 0

    def read(self, count: int) -> None:
        self.bytes += count
        if self.bytes > self.limits.extract_bytes:
            raise ExtractRefused(
                f"the extract holds more than {_size(self.limits.extract_bytes)} of CSV, the most one import may "
                "hold (IMPORT_MAX_EXTRACT_BYTES); split it, or raise the limit if the extract is genuine"
            )

    def row(self) -> None:
        self.rows += 1
        if self.rows > self.limits.rows:
            raise ExtractRefused(
                f"the extract holds more than {self.limits.rows:,} rows, the most one import may hold "
                "(IMPORT_MAX_ROWS); split it, or raise the limit if the extract is genuine"
            )


# --- The files of an extract ----------------------------------------------------------------------


@dataclass(frozen=True)
class Member:
    """One of the exchange files in the extract, openable as bytes."""

    name: str
    open: Callable[[], IO[bytes]]
    size: int  # bytes uncompressed (as a zip declares it: reading stops there)


def _opener(path: Path) -> Callable[[], IO[bytes]]:
    def open_file() -> IO[bytes]:
        return path.open("rb")

    return open_file


def find_members(path: Path, stack: ExitStack, limits: Limits) -> dict[str, Member]:
    """The exchange files in a folder, a .zip, or a single file named as one of them, checked
    against the limits before a byte of them is read."""
    wanted = {f.name: f.name for f in INCOMING}
    found: dict[str, Member] = {}
    if path.is_dir():
        for child in sorted(path.iterdir()):
            name = wanted.get(child.name.lower())
            if name and child.is_file():
                if name in found:
                    raise ServiceError(f"{path} holds more than one {name} (names differ only in case).")
                found[name] = Member(name, _opener(child), child.stat().st_size)
    elif path.is_file() and path.name.lower() in wanted:
        name = wanted[path.name.lower()]
        found[name] = Member(name, _opener(path), path.stat().st_size)
    else:
        found = _zip_members(path, stack, limits, wanted)
    total = sum(m.size for m in found.values())
    if total > limits.extract_bytes:
        raise ExtractRefused(
            f"{path} holds {_size(total)} of CSV, more than the {_size(limits.extract_bytes)} one import may hold "
            "(IMPORT_MAX_EXTRACT_BYTES); split it, or raise the limit if the extract is genuine"
        )
    return found


def _zip_members(path: Path, stack: ExitStack, limits: Limits, wanted: dict[str, str]) -> dict[str, Member]:
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
    found: dict[str, Member] = {}
    for name, infos_for_name in candidates.items():
        infos_for_name.sort(key=lambda i: i.filename.count("/"))
        if len(infos_for_name) > 1 and infos_for_name[0].filename.count("/") == infos_for_name[1].filename.count("/"):
            raise ServiceError(f"{path} holds more than one {name}; zip one extract at a time.")
        info = infos_for_name[0]
        if info.flag_bits & 0x1:
            raise ServiceError(f"{path} is encrypted; the hub cannot read {info.filename}.")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            # bzip2 and LZMA hand back all they expand to at once, however large: only deflate
            # (what every zip tool writes by default) is read a piece at a time.
            raise ServiceError(
                f"{info.filename} in {path} is compressed with method {info.compress_type}; the hub reads zip "
                "files compressed the usual way (deflate) or not at all. Zip it again with the default settings."
            )
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > _MB and ratio > limits.compression_ratio:
            raise ExtractRefused(
                f"{info.filename} in {path} would expand from {_size(info.compress_size)} to "
                f"{_size(info.file_size)}, {ratio:,.0f} times its size, more than the {limits.compression_ratio:,.0f} "
                "times an extract may expand (IMPORT_MAX_COMPRESSION_RATIO): CSV files shrink 3 to 20 times; this "
                "is padding (blank lines or repeated text), not an extract"
            )
        found[name] = Member(name, partial(archive.open, info), info.file_size)
    return found


def estimate_rows(member: Member) -> int | None:
    """About how many rows a file holds, from its size and the length of its first lines (for a
    progress bar; the bar is set to the true count when the file ends)."""
    try:
        with member.open() as stream:
            sample = stream.read(_CHUNK)
    except (OSError, zipfile.BadZipFile, zlib.error, EOFError):
        return None
    ends = sample.count(b"\n") or sample.count(b"\r")
    if not sample or not ends:
        return 0
    if len(sample) >= member.size:
        return max(ends - (0 if sample.endswith((b"\n", b"\r")) else -1) - 1, 0)
    return max(round(member.size * ends / len(sample)) - 1, 0)


# --- Lines ----------------------------------------------------------------------------------------


def _physical_lines(stream: IO[bytes], budget: Budget) -> Iterator[bytes]:
    """The lines of a file, each with its line end, which may be CRLF, LF or a bare CR (as older
    Mac software writes): ``bytes.splitlines`` knows exactly these three."""
    pending = b""
    number = 0
    while True:
        try:
            chunk = stream.read(_CHUNK)
        except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
            raise FileRefused(number + 1, f"the file cannot be read from the zip after line {number} ({exc}): the "
                                          "zip file is damaged; zip the extract again") from None
        if not chunk:
            break
        budget.read(len(chunk))
        lines = (pending + chunk).splitlines(keepends=True)
        # The last piece waits for the next read unless it ends with LF: without a line end it is
        # not whole, and a CR may be the first half of a CRLF split between two reads.
        pending = b"" if lines[-1].endswith(b"\n") else lines.pop()
        for line in lines:
            number += 1
            yield line
        if len(pending) > MAX_LINE_BYTES:
            raise FileRefused(
                number + 1,
                f"line {number + 1} is longer than {MAX_LINE_BYTES // _MB} MB, the most the hub reads as one line: "
                "this is not a CSV file",
            )
    if pending:
        yield pending


class DecodedLines:
    """The physical lines of a file as text. A line that is not UTF-8 (or holds a NUL) is decoded with
    the replacement character and noted in ``bad`` with its reason, so that the row it belongs to is
    rejected with its line number and the rest of the file is still read (SPEC.md). In the header
    (line 1) it refuses the file: without the header no row can be read."""

    def __init__(self, stream: IO[bytes], budget: Budget) -> None:
        self.bad: dict[int, str] = {}
        # The lines of the row being read, as text: what a row that cannot be read held, line by line.
        self.row_lines: list[str] = []
        self._lines = self._decoded(stream, budget)

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        text = next(self._lines)
        self.row_lines.append(text)
        return text

    def _decoded(self, stream: IO[bytes], budget: Budget) -> Iterator[str]:
        for number, raw in enumerate(_physical_lines(stream, budget), start=1):
            if number == 1 and raw.startswith(codecs.BOM_UTF8):
                raw = raw[len(codecs.BOM_UTF8) :]
            problem = ""
            if b"\x00" in raw:
                # Text files hold no NUL; a file saved as UTF-16 without its mark is full of them, and
                # PostgreSQL cannot store one.
                problem = f"line {number} contains a NUL byte: this is not a UTF-8 CSV text file (saved as UTF-16?)"
                raw = raw.replace(b"\x00", b"")
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                problem = problem or (f"not valid UTF-8 at line {number} (byte 0x{raw[exc.start]:02x}, character "
                                      f"{exc.start + 1}); save the file as UTF-8 and import the row again")
                text = raw.decode("utf-8", errors="replace")
            if problem:
                if number == 1:
                    raise FileRefused(number, problem.replace("import the row again", "import it again"))
                self.bad[number] = problem
            yield text


# How a rejected row that is not a header's worth of values is kept: the line itself when it cannot be
# read as CSV, and the values beyond the header's columns.
LINE_AS_SENT = "line as sent"
EXTRA_VALUE = "extra value"


class RowUnreadable(Exception):
    """A row that cannot be read (a byte that is not UTF-8, broken quoting): it is rejected with its
    line and reason, and the file goes on. Where broken quoting ran over several lines, each line is
    rejected on its own (``rows``: line, reason, cells), so that none is lost unseen."""

    def __init__(self, rows: list[tuple[int, str, dict[str, str]]]) -> None:
        super().__init__(rows[0][1])
        self.rows = rows
        self.line, self.reason, self.cells = rows[0]


# --- Rows -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    line: int
    cells: dict[str, str]  # header name -> value as sent

    def get(self, name: str) -> str:
        """The value with surrounding space removed; '' (unknown) if empty or the column is absent."""
        return self.cells.get(name, "").strip()


Reject = Callable[[int, str, dict[str, str]], None]


def header_names(cells: list[str], file_name: str) -> list[str]:
    """A header row's names: known columns matched whatever their case, extra columns as written."""
    known = INCOMING_BY_NAME[file_name].by_name
    names = []
    for position, cell in enumerate(cells, start=1):
        name = cell.strip()
        if name.lower() in known:
            name = name.lower()
        names.append(name or f"column {position}")
    return names


class CsvFile:
    """A streamed CSV file: the header checked, then rows in batches with their first line number."""

    def __init__(self, name: str, stream: IO[bytes], budget: Budget) -> None:
        self.name = name
        self._budget = budget
        # The csv module's limit is for the whole process; it is only ever raised, to the point
        # where this module stops reading a line anyway.
        if csv.field_size_limit() < MAX_LINE_BYTES:
            csv.field_size_limit(MAX_LINE_BYTES)
        self.header: list[str] = []  # until it is read: a row unreadable in it is reported with no names
        self._lines = DecodedLines(stream, budget)
        self._reader = csv.reader(self._lines, strict=True)
        self.header = self._read_header()
        self.rows_read = 0
        self._bytes_at_batch = 0

    def _next(self) -> list[str] | None:
        start = self._reader.line_num + 1
        self._lines.row_lines = []
        try:
            values = next(self._reader)
        except StopIteration:
            return None
        except csv.Error as exc:
            line = self._reader.line_num
            message = str(exc)
            if "field larger than field limit" in message:
                raise FileRefused(start, (
                    f"a quoted value that starts in the row at line {start} is still open after "
                    f"{MAX_LINE_BYTES // _MB} MB (line {line}), the most the hub reads as one value: its closing quote "
                    "is missing, or it is far longer than any record holds"
                )) from None
            if "unexpected end of data" in message:
                reason = f"a quoted value opened in the row at line {start} is never closed (the file ends inside it)"
            else:
                reason = f"not readable as CSV at line {line} ({message}); check the quoting"
            # The reader starts afresh at the next line. A quote left open may have taken the lines after
            # it into one value: each is rejected on its own, with its line, so that none is lost unseen.
            lines = [text.rstrip("\r\n") for text in self._lines.row_lines]
            raise RowUnreadable([
                (start + n, reason if n == 0 else f"read inside a quoted value opened at line {start}: {reason}",
                 {LINE_AS_SENT: text})
                for n, text in enumerate(lines)
            ]) from None
        bad = [self._lines.bad.pop(n) for n in range(start, self._reader.line_num + 1) if n in self._lines.bad]
        if bad:
            raise RowUnreadable([(start, bad[0], dict(zip(self.header, values, strict=False)))])
        return values

    def _read_header(self) -> list[str]:
        try:
            header = self._next()
        except RowUnreadable as exc:
            raise FileRefused(exc.line, f"the header row cannot be read: {exc.reason}") from None
        if header is None or not any(cell.strip() for cell in header):
            raise FileRefused(1, f"{self.name} has no header row")
        names = header_names(header, self.name)
        known = INCOMING_BY_NAME[self.name].by_name
        seen: set[str] = set()
        for position, name in enumerate(names, start=1):
            if name in seen:
                # Which of two values would be the column's is anyone's guess; an extra column the
                # format does not know is kept under both names, as SPEC.md keeps extra columns.
                if name in known:
                    raise FileRefused(1, f"the header names the column {name!r} twice", name)
                name = names[position - 1] = f"{name} (column {position})"
            seen.add(name)
        return names

    def batches(self, size: int, reject: Reject) -> Iterator[list[Row]]:
        """Rows in lists of ``size``; a row with the wrong number of values goes to ``reject``.

        A run of blank lines as long as the limit refuses the file: a file padded with millions of
        them (400 MB of them zip into 400 KB) would otherwise be read to the end for nothing.
        """
        header = self.header
        width = len(header)
        batch: list[Row] = []
        previous_end = self._reader.line_num
        blank_from = 0
        blank_run = 0
        budget = self._budget
        blank_limit = budget.limits.blank_lines
        batch_from = budget.bytes
        while True:
            try:
                values = self._next()
            except RowUnreadable as exc:
                previous_end = self._reader.line_num
                blank_run = 0
                for line, reason, cells in exc.rows:
                    self.rows_read += 1
                    budget.row()
                    reject(line, reason, cells)
                continue
            if values is None:
                break
            line = previous_end + 1  # a quoted value may span lines: report where the row starts
            previous_end = self._reader.line_num
            if not values:
                # A blank line is not a row.
                if not blank_run:
                    blank_from = line
                blank_run += 1
                if blank_run >= blank_limit:
                    raise FileRefused(
                        blank_from,
                        f"{blank_run:,} blank lines in a row from line {blank_from:,}: the hub stops reading a file "
                        f"there (IMPORT_MAX_BLANK_LINES), as such a file is padding, not an extract",
                    )
                continue
            blank_run = 0
            self.rows_read += 1
            budget.row()
            if len(values) != width:
                cells = dict(zip(header, values, strict=False))
                cells.update({f"{EXTRA_VALUE} {i}": v for i, v in enumerate(values[width:], start=1)})
                reject(
                    line,
                    f"the row has {len(values)} values but the header has {width} columns "
                    "(is a value containing a comma not quoted?)",
                    cells,
                )
                continue
            batch.append(Row(line, dict(zip(header, values, strict=True))))
            if len(batch) >= size or budget.bytes - batch_from >= BATCH_BYTES:
                yield batch
                batch = []
                batch_from = budget.bytes
        if batch:
            yield batch
