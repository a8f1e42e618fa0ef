"""alerts.csv (SPEC.md, "What the hub hands back"): every early-warning alert the hub holds."""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from safeguarding.audit.models import AuditEventType
from safeguarding.audit.services import audit_record
from safeguarding.core.csvfile import spreadsheet_safe_writer, written_whole
from safeguarding.earlywarning.models import Alert
from safeguarding.earlywarning.selectors import (
    REMARKED_SINCE,
    explanation_in_words,
    raised_shown,
    remarked_since_written,
    without_named,
)
from safeguarding.people.models import person_reference

ALERTS_COLUMNS = ["alert_id", "person_id", "rule", "level", "raised_at", "explanation"]


def export_alerts(out: Path, *, exported_by: str = "command line", leave_out: Collection[int] = ()) -> int:
    """One row per alert, oldest first. The explanation is the shared one: an export leaves the hub
    for readers the hub cannot check, so police intelligence that may not go beyond the police is
    counted in it, never described, and events held on another person's record that name the child are left
    out with a sentence saying whom to ask (``selectors.without_named``). ``raised_at`` is the moment in the data the rule fired
    (ISO 8601, local time in England with its offset), as a reader outside the police may know it: where
    the event that tipped the rule stays with the police, the moment of the latest event of its evidence
    they may see (``selectors.raised_shown``); person_id follows merges to the person the child is now.
    ``leave_out``: persons (any id they have had) the file must not name (the sealed, for a file that
    leaves the hub): their alerts are left out, and another alert naming them calls them a restricted
    record."""
    rows = (
        Alert.objects.exclude(person_id__in=sorted(leave_out)).annotate(shown=raised_shown(None))
        .order_by("shown", "pk")
        .values_list("pk", "person__root_id", "rule__code", "level", "shown", "explanation")
        .iterator(chunk_size=10_000)
    )
    remarked = remarked_since_written()  # alerts whose words may describe an event the police hold now
    written = 0
    with written_whole(out) as handle:
        writer = spreadsheet_safe_writer(handle)
        writer.writerow(ALERTS_COLUMNS)
        for pk, pid, rule, level, raised_at, explanation in rows:
            # Events held on another person's record that name the child (police intelligence on an adult's)
            # are for readers who see networks: a file that leaves the hub has none, only whom to ask.
            explanation = REMARKED_SINCE if pk in remarked else without_named(explanation)
            writer.writerow([
                f"A{pk:06d}",
                person_reference(int(pid)),  # the person the child is now, whatever id the alert was raised on
                rule,
                level,
                timezone.localtime(raised_at).isoformat(timespec="seconds"),
                explanation_in_words(explanation, hidden=leave_out) if leave_out else explanation,
            ])
            written += 1
    with transaction.atomic():
        audit_record(
            event_type=AuditEventType.DATA_EXPORTED,
            actor_label=exported_by,
            target_kind="alerts.csv",
            target_id=str(out),
            detail={"rows": written, "persons_left_out": len(leave_out)},
        )
    return written
