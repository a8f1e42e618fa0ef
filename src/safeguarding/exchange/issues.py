"""An import's issues, each a rejected row or a value set aside: kept as ImportIssue rows, in the
rejects file (``run-<id>-issues.csv``, to fix and import again) and, the first of them, in the
result shown on screen. Nothing is silently dropped."""

from __future__ import annotations

import csv
import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from django.utils import timezone

from safeguarding.core.bulk import BulkTable
from safeguarding.core.csvfile import SpreadsheetSafeWriter, spreadsheet_safe_writer
from safeguarding.exchange.format import ONLY_FIRST, SET_ASIDE_MARK
from safeguarding.exchange.models import ImportIssue, ImportRun, IssueSeverity
from safeguarding.exchange.read import EXTRA_VALUE, LINE_AS_SENT

# The result keeps this many issues in memory for the caller to show; every issue is in the
# ImportIssue table and the rejects file whatever their number.
ISSUES_KEPT_IN_RESULT = 10_000


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


def rejects_path(data_dir: Path, run_id: int) -> Path:
    return data_dir / "imports" / f"run-{run_id}-issues.csv"


def rejected_extract_path(data_dir: Path, run_id: int) -> Path:
    return data_dir / "imports" / f"run-{run_id}-rejected"


class RejectedExtract:
    """``run-<id>-rejected/``: the rejected rows as an extract of their own, each file with the header
    it was sent with, to mend and import again as it is (``safeguarding import`` on the folder). A row
    that could not be read as CSV is its line as sent; values beyond the header follow the row's.
    Written plainly, as sent, like the agency's own files: it is for the agency's system or a text
    editor, and the importer reads every value exactly."""

    def __init__(self, path: Path, headers: dict[str, list[str]]) -> None:
        self.path = path
        self._partial = path.with_name(path.name + ".partial")
        self._headers = headers
        self._files: dict[str, tuple[IO[str], Any]] = {}

    def write(self, issue: Issue) -> None:
        header = self._headers.get(issue.file)
        if issue.severity != IssueSeverity.REJECTED or not issue.row or not header:
            return  # a file refused whole is sent again whole: the issues file says why
        if issue.reason.endswith(ONLY_FIRST) or any(SET_ASIDE_MARK in v or "\ufffd" in v for v in issue.row.values()):
            # Not to import again as it is: a repeat of a key imported from its first row would overwrite
            # it; a value the hub could not read (a byte not UTF-8) or keep (too long) is not as sent.
            # Such rows are in the issues file, to send again from the agency's system.
            return
        if issue.file not in self._files:
            self._partial.mkdir(parents=True, exist_ok=True)
            handle: IO[str] = (self._partial / issue.file).open("w", encoding="utf-8", newline="")
            writer = csv.writer(handle)
            writer.writerow(header)
            self._files[issue.file] = (handle, writer)
        handle, writer = self._files[issue.file]
        if LINE_AS_SENT in issue.row:
            handle.write(issue.row[LINE_AS_SENT] + "\r\n")
            return
        extra = [v for k, v in issue.row.items() if k.startswith(f"{EXTRA_VALUE} ")]
        writer.writerow([*(issue.row.get(c, "") for c in header), *extra])

    def finish(self) -> Path | None:
        for handle, _ in self._files.values():
            handle.close()
        if not self._files:
            return None
        self._files = {}
        shutil.rmtree(self.path, ignore_errors=True)
        os.replace(self._partial, self.path)
        return self.path

    def discard(self) -> None:
        for handle, _ in self._files.values():
            handle.close()
        self._files = {}
        shutil.rmtree(self._partial, ignore_errors=True)
        shutil.rmtree(self.path, ignore_errors=True)


class RejectsFile:
    """``run-<id>-issues.csv``: every issue with the row as it was sent, to fix and import again.

    It is written under a temporary name while the import writes, and takes its own name only in
    the last moment before the import's transaction commits: a run that fails or is killed leaves
    no rejects file for rows that were never saved. (A run killed in that moment is found
    interrupted later, and its file removed: see ``exchange.runs``.)

    Cells that a spreadsheet would take for a formula are written with a leading single quote
    (``core.csvfile``); take it off a value before importing it again.
    """

    META = ("file", "line", "severity", "column", "reason")
    EXTRA = "values beyond the header"

    def __init__(self, path: Path, source_columns: Sequence[str], rejected: RejectedExtract | None = None) -> None:
        self.path = path
        self.rejected = rejected
        self._partial = path.with_name(path.name + ".partial")
        self._columns = list(dict.fromkeys(source_columns))
        self._listed = set(self._columns)
        # A source column named like one of ours keeps its value under a distinct name.
        self._header = [*self.META, *(f"row {c}" if c in self.META else c for c in self._columns), self.EXTRA]
        self._handle: IO[str] | None = None
        self._writer: SpreadsheetSafeWriter | None = None

    def write(self, issue: Issue) -> None:
        if self.rejected is not None:
            self.rejected.write(issue)
        if self._writer is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # A byte-order mark so that spreadsheet programs read names with accents correctly.
            self._handle = self._partial.open("w", encoding="utf-8-sig", newline="")
            self._writer = spreadsheet_safe_writer(self._handle)
            self._writer.writerow(self._header)
        extra = [f"{k}={v}" for k, v in issue.row.items() if k not in self._listed]
        self._writer.writerow(
            [
                issue.file, issue.line, issue.severity, issue.column, issue.reason,
                *(issue.row.get(c, "") for c in self._columns), "; ".join(extra),
            ]
        )

    def finish(self) -> Path | None:
        """Give the written file its name (call as the last step before the commit)."""
        if self.rejected is not None:
            self.rejected.finish()
        if self._handle is None:
            return None
        self._handle.close()
        self._handle = None
        os.replace(self._partial, self.path)
        return self.path

    def discard(self) -> None:
        if self.rejected is not None:
            self.rejected.discard()
        if self._handle is not None:
            self._handle.close()
            self._handle = None
        self._writer = None
        self._partial.unlink(missing_ok=True)
        self.path.unlink(missing_ok=True)


_ISSUES = BulkTable(ImportIssue)


class IssueLog:
    """The issues of one import as it writes, saved a batch at a time, inside its transaction."""

    def __init__(self, run: ImportRun, rejects: RejectsFile) -> None:
        self.run = run
        self.rejects = rejects
        self.shown: list[Issue] = []  # the first ISSUES_KEPT_IN_RESULT, in file and line order
        self.count = 0
        self._pending: list[Issue] = []

    def add(self, issue: Issue) -> None:
        self._pending.append(issue)

    def extend(self, issues: Sequence[Issue]) -> None:
        self._pending.extend(issues)

    def save(self) -> None:
        """Keep the batch's issues: in the result, the ImportIssue table and the rejects file."""
        if not self._pending:
            return
        # Some problems of a batch are found only as it is written (an event for a record the hub
        # does not hold): put them back in line order among those found as it was read.
        self._pending.sort(key=lambda issue: issue.line)
        self.count += len(self._pending)
        self.shown.extend(self._pending[: max(0, ISSUES_KEPT_IN_RESULT - len(self.shown))])
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
