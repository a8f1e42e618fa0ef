"""``safeguarding audit verify``: check the audit trail's hash chain from the first row to the last."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from safeguarding.audit.services import audit_verify


class Command(BaseCommand):
    help = "Audit trail tools. 'verify' reports the first row edited, inserted out of order or deleted."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["verify"], help="what to do with the audit trail")

    def handle(self, *args: Any, **options: Any) -> None:
        result = audit_verify()
        if result.ok:
            self.stdout.write(self.style.SUCCESS(f"Audit trail intact: {result.rows_checked} rows checked."))
            return
        raise CommandError(
            f"Audit trail broken at row {result.first_bad_sequence}: {result.problem} "
            f"({result.rows_checked} rows checked)."
        )
