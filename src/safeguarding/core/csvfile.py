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
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
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
