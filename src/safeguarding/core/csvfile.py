"""Writing the CSV files the hub hands out (persons.csv, alerts.csv, an import's issues) so that a
spreadsheet opening one shows every value as text and runs nothing.

Excel, LibreOffice Calc and Google Sheets take a cell that starts with ``=``, ``+``, ``-`` or ``@``
(or a tab or carriage return before one) as a formula: a value an agency typed, such as
``=HYPERLINK("http://...")``, would run on the machine of whoever opens the export. OWASP's advice
(CSV Injection; ASVS 5.0 requirement 1.2.10) is followed: such a cell is written with a single
quote in front, which spreadsheets take as "this is text" and do not show. RFC 4180 quoting is the
csv module's own.

Files read back by programs rather than people (the exchange format's extracts, which the demo
generator writes for the importer) are written with the plain csv module: there ``+44 7700 900123``
is a phone number, not a formula.

A file handed out is written whole or not at all (``written_whole``): a full disk or a failure part way
leaves the file that was there before, never one cut short.
"""

from __future__ import annotations

import contextlib
import csv
import errno
import os
import secrets
import stat
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO

# The characters a spreadsheet reads as the start of a formula (OWASP), and NUL (ASVS 1.2.10).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\0")


def neutralise(value: object) -> object:
    """The value as a spreadsheet must show it: text that would start a formula gets a leading
    single quote; anything else (numbers, dates, None) is left for the csv module to write."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


class SpreadsheetSafeWriter:
    """``csv.writer``'s ``writerow`` and ``writerows``, each text cell passed through ``neutralise``."""

    def __init__(self, handle: IO[str]) -> None:
        self._writer = csv.writer(handle)

    def writerow(self, row: Iterable[object]) -> None:
        self._writer.writerow([neutralise(value) for value in row])

    def writerows(self, rows: Iterable[Iterable[object]]) -> None:
        for row in rows:
            self.writerow(row)


def spreadsheet_safe_writer(handle: IO[str]) -> SpreadsheetSafeWriter:
    """A writer for a CSV file the hub hands out (open ``handle`` with ``newline=""``)."""
    return SpreadsheetSafeWriter(handle)


@contextlib.contextmanager
def written_whole(path: Path) -> Iterator[IO[str]]:
    """A text handle (UTF-8, ``newline=""`` for the csv module) for the file at ``path``, written to a
    file of its own beside it and put in its place (``os.replace``) only once written and on disk: if
    anything fails before, the file there before is left as it was, and the part written is removed.
    ``path``'s folder is made if missing. A name that is not a file a write can replace (a device such as
    /dev/stdout, a pipe) is written directly; a folder is refused (``IsADirectoryError``). Failures are
    ``OSError``s naming the file, for the caller to put in words."""
    try:
        # Asked of the name as given: /dev/stdout's link to a pipe resolves to no file, though it opens.
        kind: int | None = os.stat(path).st_mode
    except FileNotFoundError:
        kind = None
    except NotADirectoryError:
        raise NotADirectoryError(errno.ENOTDIR, "part of its path is a file, not a folder", str(path)) from None
    if kind is not None and stat.S_ISDIR(kind):
        raise IsADirectoryError(errno.EISDIR, "it is a folder: name a file in it", str(path))
    if kind is not None and (not stat.S_ISREG(kind) or str(path).startswith(("/dev/", "/proc/"))):
        # A device, a pipe, or a descriptor's name (/dev/stdout sent on with >> to a file: written as the
        # shell opened it, appended to, not replaced).
        with open(path, "a", newline="", encoding="utf-8") as direct:
            yield direct
        return
    target = Path(os.path.realpath(path))  # a link is followed: the file it names is replaced, not the link
    target.parent.mkdir(parents=True, exist_ok=True)
    part = target.with_name(f".{target.name}.{secrets.token_hex(4)}.part")
    # Made as open() makes a new file (its permissions those the umask gives), never over another.
    handle = os.fdopen(os.open(part, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666), "w", newline="", encoding="utf-8")
    try:
        if kind is not None:
            os.chmod(part, stat.S_IMODE(kind))  # a file replaced keeps who may read it
        with handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(part, target)
    except BaseException:
        with contextlib.suppress(OSError):
            part.unlink()
        raise
