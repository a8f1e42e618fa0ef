"""``safeguarding backtest``: how precise each switched-on early-warning rule has been."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from rich.console import Console
from rich.table import Table

from safeguarding.earlywarning.management.commands.scan import as_of_option
from safeguarding.earlywarning.services import rule_precision_refresh


class Command(BaseCommand):
    help = (
        "Back-test every switched-on early-warning rule over all the history the hub holds: of the children "
        "each flagged in the past two years, how many were referred later. Alerts show these figures."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--as-of", dest="as_of", help="the history as it stood at the end of this date")
        parser.add_argument("--quiet", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        as_of = as_of_option(options["as_of"])
        console = Console(quiet=options["quiet"])
        rows = rule_precision_refresh(as_of=as_of)
        table = Table(title="How precise each rule has been (children flagged in the past two years)")
        for column in ("rule", "version", "level", "flagged", "already referred", "referred later", "never", "share"):
            table.add_column(column, justify="left" if column in ("rule", "level") else "right")
        for row in rows:
            table.add_row(row.rule.code, str(row.version), row.level, f"{row.children_flagged:,}",
                          f"{row.referred_before:,}", f"{row.referred_later:,}", f"{row.never_referred:,}",
                          "-" if row.percent is None else f"{row.percent}%")
        console.print(table)
