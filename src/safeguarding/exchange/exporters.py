"""The files the hub hands back (SPEC.md, "What the hub hands back"), written as streams."""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path

from django.db import transaction

from safeguarding.audit.models import AuditEventType
from safeguarding.audit.services import audit_record
from safeguarding.core.csvfile import spreadsheet_safe_writer, written_whole
from safeguarding.exchange.format import PERSONS
from safeguarding.people.models import SourceRecord, person_reference

PERSONS_COLUMNS = list(PERSONS.names)


def export_persons(out: Path, *, exported_by: str = "command line", leave_out: Collection[int] = ()) -> int:
    """persons.csv: which source records the hub believes are one person. match_probability is the
    strongest link joining the record to another record of its person, the lowest threshold at which
    it would still join them (docs/decisions.md); 1 where a person decided it; empty for a person of
    one record. ``leave_out``: persons (any id they have had) whose records the file must not hold
    (the sealed, for a file that leaves the hub)."""
    rows = (
        SourceRecord.objects.exclude(person_id__in=sorted(leave_out)).order_by("person_id", "source_system__code", "record_id")
        .values_list("source_system__code", "record_id", "person_id", "link_probability", "link_method")
        .iterator(chunk_size=20_000)
    )
    sizes: dict[int, int] = {}
    for pid in SourceRecord.objects.values_list("person_id", flat=True).iterator(chunk_size=50_000):
        sizes[pid] = sizes.get(pid, 0) + 1
    written = 0
    with written_whole(out) as handle:
        writer = spreadsheet_safe_writer(handle)
        writer.writerow(PERSONS_COLUMNS)
        for system, record_id, pid, probability, method in rows:
            if sizes[pid] == 1:
                shown = ""
            elif probability is None:
                shown = "1" if method == "reviewer" else ""
            else:
                shown = f"{probability:.6f}"
            writer.writerow([system, record_id, person_reference(pid), shown])
            written += 1
    with transaction.atomic():
        audit_record(
            event_type=AuditEventType.DATA_EXPORTED,
            actor_label=exported_by,
            target_kind="persons.csv",
            target_id=str(out),
            detail={"rows": written, "persons": len(sizes), "persons_left_out": len(leave_out)},
        )
    return written
