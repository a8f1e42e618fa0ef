"""``safeguarding import PATH``: import an agency extract in the partnership exchange format."""

from __future__ import annotations

import io
import shutil
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from safeguarding.core.errors import ServiceError
from safeguarding.exchange.importer import FILE_ORDER, ImportResult, import_extract
from safeguarding.exchange.issues import rejected_extract_path

ISSUES_SHOWN = 50


class Command(BaseCommand):
    help = (
        "Import an extract in the partnership exchange format: a folder or .zip holding people.csv, "
        "relationships.csv and/or events.csv. Rejected rows and values set aside are listed with their "
        "file and line, and kept in a rejects file to fix and import again."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("path", help="the extract: a folder or a .zip file")
        parser.add_argument("--quiet", action="store_true", help="no progress bars")

    def handle(self, *args: Any, **options: Any) -> None:
        quiet: bool = options["quiet"]
        path = Path(options["path"]) if options["path"].strip() else ""
        try:
            result = import_extract(path) if quiet else self._import_with_progress(path)
        except ServiceError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self._summary(result), ending="")
        refused = [name for name in FILE_ORDER if name in result.counts and result.counts[name].file_rejected]
        if refused:
            # The rest of the extract is imported, but a scheduled import must not pass a whole file by.
            raise CommandError(f"{' and '.join(refused)} {'was' if len(refused) == 1 else 'were'} not imported "
                               "at all: see the reason above, mend the file and import it again")
        if result.rejected:
            # Nor rows: an extract whose every row named a system the hub does not know ended "completed",
            # status 0, and a nightly job saw nothing wrong. The rest is imported; the command says so and fails.
            rows = sum(counts.rows for counts in result.counts.values())
            raise CommandError(f"{result.rejected:,} of {rows:,} rows were rejected and not imported (the rest "
                               "were): see the reasons above, mend them and import them again")

    def _import_with_progress(self, path: Path | str) -> ImportResult:
        bars = Progress(
            TextColumn("{task.description:<25}"), BarColumn(), MofNCompleteColumn(), TextColumn("rows"),
            TimeElapsedColumn(), console=Console(stderr=True), transient=False,
        )
        tasks: dict[str, TaskID] = {}

        def report(stage: str, done: int, total: int | None) -> None:
            if stage not in tasks:
                tasks[stage] = bars.add_task(stage, total=total)
            # While a file is read its total is estimated from its size, so the bar is set to the
            # true count when the file ends.
            bars.update(tasks[stage], completed=done, total=total)

        with bars:
            return import_extract(path, progress=report)

    def _summary(self, result: ImportResult) -> str:
        is_tty = self.stdout.isatty()
        width = shutil.get_terminal_size().columns if is_tty else 120
        buffer = io.StringIO()
        console = Console(file=buffer, width=width, force_terminal=is_tty, color_system="auto" if is_tty else None,
                          highlight=False, soft_wrap=True)
        run = result.run
        console.print(f"Import {run.pk} of {run.source_path}: {run.get_status_display().lower()}.", markup=False)
        table = Table("file", "rows", "created", "updated", "unchanged", "rejected", "warnings", box=None,
                      header_style="bold")
        for name in FILE_ORDER:
            counts = result.counts.get(name)
            if counts is None:
                continue
            if counts.file_rejected:
                table.add_row(name, "-", "-", "-", "-", "whole file", "-")
                continue
            unchanged = f"{counts.unchanged:,}" + (f" ({counts.older:,} older)" if counts.older else "")
            table.add_row(name, f"{counts.rows:,}", f"{counts.created:,}", f"{counts.updated:,}", unchanged,
                          f"{counts.rejected:,}", f"{counts.warnings:,}")
        console.print(table)
        if result.issue_count:
            console.print(f"\n{result.issue_count:,} issue{'s' if result.issue_count != 1 else ''} "
                          "(rejected rows were not imported; values set aside were left empty):")
            for issue in result.issues[:ISSUES_SHOWN]:
                console.print(f"  {issue}", markup=False)
            if result.issue_count > ISSUES_SHOWN:
                console.print(f"  and {result.issue_count - ISSUES_SHOWN:,} more — see {result.rejects_path}",
                              markup=False)
            elif result.rejects_path:
                console.print(f"Kept in {result.rejects_path}", markup=False)
            rejected = rejected_extract_path(Path(settings.DATA_DIR), run.pk)
            if rejected.is_dir():
                console.print(f"The rejected rows, as an extract to mend and import again: {rejected}", markup=False)
        else:
            console.print("No rows rejected, no values set aside.")
        return buffer.getvalue()
