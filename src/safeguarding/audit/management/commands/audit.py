"""``safeguarding audit verify`` checks the audit trail's chain, key marks and anchors from the first row
to the last; ``safeguarding audit anchor`` writes the latest head outside the database (run it on a
schedule)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from safeguarding.audit.services import AnchorFileDamaged, audit_anchor, audit_verify


class Command(BaseCommand):
    help = (
        "Audit trail tools. 'verify' reports the first row edited, inserted out of order, deleted or rewritten; "
        "'anchor' appends the latest head to AUDIT_ANCHOR_FILE, outside the database."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["verify", "anchor"], help="what to do with the audit trail")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "anchor":
            try:
                anchor = audit_anchor()
            except AnchorFileDamaged as exc:
                raise CommandError(f"{exc}: nothing was anchored (mend or move the file, then anchor again)") from exc
            except OSError as exc:
                raise CommandError(
                    f"Could not write the anchor to {settings.AUDIT_ANCHOR_FILE}: {exc.strerror or exc}"
                ) from exc
            if anchor is None:
                self.stdout.write("Nothing new to anchor.")
            else:
                self.stdout.write(f"Anchored row {anchor['sequence']} in {settings.AUDIT_ANCHOR_FILE}.")
            return
        result = audit_verify()
        if result.ok:
            self.stdout.write(self.style.SUCCESS(
                f"Audit trail intact: {result.rows_checked} rows checked, {result.anchors_checked} anchors matched."
            ))
            return
        if result.first_bad_sequence is None:  # the anchors could not be read: nothing to vouch for the trail
            raise CommandError(f"Audit trail not verified: {result.problem} ({result.rows_checked} rows checked).")
        raise CommandError(
            f"Audit trail broken at row {result.first_bad_sequence}: {result.problem} "
            f"({result.rows_checked} rows checked)."
        )
