"""``safeguarding scan``: run the early-warning rules over every agency's events."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from rich.console import Console
from rich.table import Table

from safeguarding.core.errors import ServiceError
from safeguarding.core.normalise import EARLIEST_YEAR
from safeguarding.core.progress import stage_bars
from safeguarding.earlywarning.missed import refresh_missed_opportunities
from safeguarding.earlywarning.scan import scan_run

EARLIEST_AS_OF = dt.date(EARLIEST_YEAR, 1, 1)  # no record reaches further back


def _moment(text: str) -> dt.datetime:
    """--as-of: a date (the end of that day) or a date-time, local time in England."""
    try:
        if len(text) == 10:
            day = dt.date.fromisoformat(text)
            moment = dt.datetime.combine(day, dt.time(23, 59, 59))
        else:
            moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise CommandError(f"--as-of '{text}' is not a date (YYYY-MM-DD) or date-time (YYYY-MM-DDTHH:MM)") from None
    if moment.year < EARLIEST_AS_OF.year:
        # No agency's history reaches so far back, and the rules' look-back windows would run off the calendar.
        raise CommandError(f"--as-of must be {EARLIEST_AS_OF:%Y-%m-%d} or later")
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


def as_of_option(text: str | None) -> dt.datetime | None:
    """The --as-of option of the scan and the back-test: none, or a moment from 1900 on, not in the future."""
    as_of = _moment(text) if text else None
    if as_of is not None and as_of > timezone.now():
        raise CommandError("--as-of must not be in the future")
    return as_of


class Command(BaseCommand):
    help = "Scan all imported events with the early-warning rules and raise alerts."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--as-of", dest="as_of", help="scan the data as it stood at the end of this date")
        parser.add_argument(
            "--incremental", action="store_true", help="only children with events new since the last scan"
        )
        parser.add_argument("--quiet", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        as_of = as_of_option(options["as_of"])
        console = Console(quiet=options["quiet"])
        with stage_bars(console, quiet=options["quiet"]) as report:

            def stage(name: str, total: int | None) -> Callable[[int], None]:
                done = [0]
                report(name, 0, total)

                def tick(count: int) -> None:
                    done[0] += count
                    report(name, done[0], total)

                return tick

            try:
                result = scan_run(as_of=as_of, incremental=options["incremental"], stage=stage)
                if as_of is None:
                    report("missed-opportunity report", 0, None)
                    refresh_missed_opportunities()  # the report's page then reads it ready-made
            except ServiceError as exc:
                raise CommandError(str(exc)) from exc
        scan = result.scan
        table = Table(title=f"Scan {scan.pk}" + (f" as of {timezone.localtime(as_of):%Y-%m-%d %H:%M}" if as_of else ""))
        table.add_column("")
        table.add_column("", justify="right")
        table.add_row("rules", f"{result.rules}")
        table.add_row("events read", f"{result.events:,}")
        table.add_row("events new since last scan", f"{scan.events_new:,}")
        table.add_row("children scanned", f"{scan.children_scanned:,}")
        table.add_row("episodes found", f"{result.episodes:,}")
        table.add_row("alerts raised", f"{result.alerts_raised:,}")
        table.add_row("evidence added", f"{result.evidence_added:,}")
        for code, count in sorted(result.fired_by_rule.items()):
            table.add_row(f"  episodes: {code}", f"{count:,}")
        for key, seconds in result.seconds.items():
            table.add_row(f"{key} (s)", f"{seconds:.1f}")
        console.print(table)
        if scan.events_set_aside:
            console.print(
                f"{scan.events_set_aside:,} events are dated after the moment scanned and were not used "
                "(check their dates if this scan was not --as-of a past date)."
            )
        for refused in result.refused_rules:
            console.print(f"Rule not used, it cannot be evaluated: {refused}")
