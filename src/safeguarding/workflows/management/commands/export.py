"""``safeguarding export persons --out persons.csv``: what the hub concluded, as SPEC.md describes."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from safeguarding.clocks.exporters import export_clocks
from safeguarding.earlywarning.exporters import export_alerts
from safeguarding.exchange.exporters import export_persons

EXPORTS: dict[str, Callable[[Path], int]] = {"persons": export_persons, "alerts": export_alerts, "clocks": export_clocks}


class Command(BaseCommand):
    help = "Write one of the files the hub hands back: persons, alerts or clocks."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=sorted(EXPORTS))
        parser.add_argument("--out", type=Path, required=True, help="the CSV file to write")

    def handle(self, *args: Any, **options: Any) -> None:
        rows = EXPORTS[options["kind"]](options["out"])
        self.stdout.write(f"Wrote {rows:,} rows to {options['out']} (recorded in the audit trail).")
