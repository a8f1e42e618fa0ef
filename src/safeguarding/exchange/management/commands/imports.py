"""``safeguarding imports``: the latest imports, with their status, counts and process."""

from __future__ import annotations

import io
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand
from django.utils import timezone
from rich.console import Console
from rich.table import Table

from safeguarding.core.options import whole_number
from safeguarding.exchange.runs import import_runs_mark_interrupted
from safeguarding.exchange.selectors import import_runs_recent


class Command(BaseCommand):
    help = (
        "List the latest imports: when, by whom, of what, their status and row counts. A run whose process "
        "is gone (killed, or the machine restarted) is marked interrupted first."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--limit", type=int, default=20, help="how many runs to list (default 20)")

    def handle(self, *args: Any, **options: Any) -> None:
        limit = whole_number(options, "limit", minimum=1) or 20
        interrupted = import_runs_mark_interrupted()
        runs = list(import_runs_recent(limit=limit))
        if not runs:
            self.stdout.write("No imports yet. Import an extract with: safeguarding import PATH")
            return
        table = Table("run", "started", "status", "by", "extract", "rows", "issues", "process", box=None,
                      header_style="bold")
        for run in runs:
            counts = run.counts or {}
            rows = sum(int(c.get("rows", 0)) for c in counts.values())
            issues = sum(int(c.get("rejected", 0)) + int(c.get("warnings", 0)) for c in counts.values())
            process = f"{run.pid} on {run.host}" if run.pid is not None else ""
            table.add_row(
                str(run.pk), timezone.localtime(run.started_at).strftime("%Y-%m-%d %H:%M"),
                run.get_status_display().lower(), run.initiated_by, run.source_path, f"{rows:,}" if counts else "-",
                f"{issues:,}" if counts else "-", process,
            )
        buffer = io.StringIO()
        Console(file=buffer, width=160, color_system=None).print(table)
        self.stdout.write(buffer.getvalue(), ending="")
        for run in runs:
            if run.failure:
                self.stdout.write(f"Run {run.pk}: {run.failure}")
        if interrupted:
            self.stdout.write(f"{interrupted} run{'s' if interrupted != 1 else ''} found interrupted (process gone).")
