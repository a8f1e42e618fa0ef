"""``safeguarding link``: join every agency's source records into persons with Splink."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from rich.console import Console
from rich.table import Table

from safeguarding.core.errors import ServiceError
from safeguarding.core.progress import stage_bars
from safeguarding.linkage.services import DecidedMeanwhile, linkage_run, linkage_settings

# A run a reviewer's decision overtook is run again, from persons as they are now (quick: the pairs it
# scored are kept), up to this many times in all before the command gives up and says so.
ATTEMPTS = 3


class Command(BaseCommand):
    help = "Link source records into persons (Splink; DuckDB by default, Spark with --engine spark)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--engine", choices=["duckdb", "spark"], default="duckdb")
        parser.add_argument("--retrain", action="store_true", help="train a new model instead of reusing the saved one")
        parser.add_argument(
            "--lower", type=float, default=None, help="review threshold (default LINKAGE_LOWER_THRESHOLD)"
        )
        parser.add_argument(
            "--upper", type=float, default=None, help="link threshold (default LINKAGE_UPPER_THRESHOLD)"
        )
        parser.add_argument(
            "--full", action="store_true",
            help="compare every record again, instead of only those changed since the last run",
        )
        parser.add_argument("--quiet", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        try:  # the thresholds checked before anything starts
            linkage_settings(lower_threshold=options["lower"], upper_threshold=options["upper"])
        except ServiceError as exc:
            raise CommandError(str(exc)) from exc
        console = Console(quiet=options["quiet"])
        for attempt in range(1, ATTEMPTS + 1):
            with stage_bars(console, quiet=options["quiet"]) as report:
                try:
                    result = linkage_run(
                        engine=options["engine"],
                        retrain=options["retrain"],
                        lower_threshold=options["lower"],
                        upper_threshold=options["upper"],
                        full=options["full"],
                        progress=report,
                    )
                except DecidedMeanwhile as exc:
                    if attempt == ATTEMPTS:
                        raise CommandError(f"{exc} ({ATTEMPTS} runs were overtaken by reviewers' decisions)") from exc
                    console.print(f"{exc}. Running it again ({attempt + 1} of {ATTEMPTS}).")
                    continue
                except ServiceError as exc:
                    raise CommandError(str(exc)) from exc
            break
        if result.nothing_to_link:
            console.print(f"Linkage run {result.run.pk}: {result.run.note}")
            return
        table = Table(title=f"Linkage run {result.run.pk} ({result.run.engine}, model {result.run.model})")
        table.add_column("")
        table.add_column("", justify="right")
        for key, count in result.counts.items():
            table.add_row(key.replace("_", " "), f"{count:,}")
        for key, seconds in result.timings.items():
            table.add_row(f"{key} (s)", f"{seconds:.1f}")
        console.print(table)
