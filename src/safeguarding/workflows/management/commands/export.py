"""``safeguarding export persons --out persons.csv``: what the hub concluded, as SPEC.md describes."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from safeguarding.clocks.exporters import export_clocks
from safeguarding.contexts.exporters import export_networks
from safeguarding.dataprotection.selectors import sealed_person_ids
from safeguarding.earlywarning.exporters import export_alerts
from safeguarding.exchange.exporters import export_persons

EXPORTS: dict[str, Callable[..., int]] = {
    "persons": export_persons, "alerts": export_alerts, "clocks": export_clocks, "networks": export_networks,
}


class Command(BaseCommand):
    help = "Write one of the files the hub hands back: persons, alerts, clocks or networks."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=sorted(EXPORTS))
        parser.add_argument("--out", type=Path, required=True, help="the CSV file to write")
        parser.add_argument(
            "--include-police-only", action="store_true",
            help="networks: join people through police-only links too (the file is then for the police only)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        # The file leaves the hub for readers it cannot check: no one under a seal is in it.
        sealed = sealed_person_ids()
        out = Path(options["out"])
        try:
            if options["kind"] == "networks":
                rows = export_networks(out, include_police_only=options["include_police_only"], leave_out=sealed)
            else:
                rows = EXPORTS[options["kind"]](out, leave_out=sealed)
        except OSError as exc:
            # The file is written whole or not at all (core.csvfile.written_whole): nothing was changed.
            reason = exc.strerror or str(exc)
            raise CommandError(f"Could not write {out}: {reason}. Nothing was written.") from exc
        self.stdout.write(f"Wrote {rows:,} rows to {options['out']} (recorded in the audit trail)"
                          + ("; no one under a seal is in it." if sealed else "."))
