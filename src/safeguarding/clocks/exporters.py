"""``clocks.csv`` (SPEC.md): one row per statutory clock, its status judged at the latest moment the
hub's data reaches, so compliance can be tested against history like alerts."""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Collection
from pathlib import Path

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from safeguarding.audit.models import AuditEventType
from safeguarding.audit.services import audit_record
from safeguarding.clocks.engine import status_of
from safeguarding.clocks.models import CaseworkStep, ReturnHomeInterview, StatutoryClock
from safeguarding.clocks.selectors import met_by_police_only, police_only_clocks
from safeguarding.clocks.services import clocks_refresh
from safeguarding.core.csvfile import written_whole
from safeguarding.exchange.format import CLOCK_KINDS
from safeguarding.people.models import Event, person_reference, restricted_events

COLUMNS = ["clock_id", "person_id", "clock", "started_at", "due_at", "met_at", "status"]


def data_moment() -> dt.datetime | None:
    """The latest moment the hub's data reaches, as far as the file's readers may know it: the newest
    event (its start or end) that may go beyond the police, or casework. Not a moment only the police
    hold: judged at it, a clock would turn overdue in the file and tell its readers the police hold
    something of that date."""
    shown = StatutoryClock.objects.exclude(police_only_clocks()).exclude(met_by_police_only())
    moments = [
        *Event.objects.exclude(restricted_events()).aggregate(a=Max("occurred_at"), b=Max("ended_at")).values(),
        CaseworkStep.objects.aggregate(m=Max("occurred_at"))["m"],
        ReturnHomeInterview.objects.aggregate(m=Max("held_at"))["m"],
        shown.aggregate(m=Max("met_at"))["m"],
    ]
    known = [m for m in moments if m is not None]
    return max(known) if known else None


def _iso(moment: dt.datetime | None) -> str:
    """As alerts.csv writes moments: England's local time with its offset."""
    return timezone.localtime(moment).isoformat(timespec="seconds") if moment else ""


def export_clocks(path: Path, *, leave_out: Collection[int] = ()) -> int:
    """Write clocks.csv; ``person_id`` is the child as the hub knows them now (their root), written as
    persons.csv and alerts.csv write it (P0000123), so that the files join. ``leave_out``: children (any id
    they have had) whose clocks the file must not hold (the sealed, for a file that leaves the hub).

    The clocks are first worked out again for whatever the hub has learned since they last were (an
    import's missing episodes and interviews): the file is not as stale as the last scheduled refresh."""
    clocks_refresh(incremental=True)
    as_of = data_moment() or dt.datetime.now(dt.UTC)
    rows = 0
    with written_whole(path) as out:
        writer = csv.writer(out)
        writer.writerow(COLUMNS)
        # For readers the hub cannot check: the police's own clocks stay out (selectors.police_only_clocks).
        # Only the kinds SPEC.md names: the core group and review conference clocks are the hub's own.
        # Nor when, or whether, an event the police have since marked C met a clock (selectors.met_shown).
        withheld = set(StatutoryClock.objects.filter(met_by_police_only()).values_list("pk", flat=True))
        rows_held = (StatutoryClock.objects.filter(kind__in=CLOCK_KINDS).exclude(police_only_clocks())
                     .exclude(child_id__in=sorted(leave_out))
                     .order_by("pk")
                     .values_list("pk", "child__root_id", "kind", "started_at", "due_at", "met_at"))
        for pk, person, kind, started, due, met in rows_held.iterator(chunk_size=20_000):
            met = None if pk in withheld else met
            writer.writerow([pk, person_reference(person), kind, _iso(started), _iso(due), _iso(met), status_of(due, met, as_of)])
            rows += 1
    with transaction.atomic():
        audit_record(
            event_type=AuditEventType.DATA_EXPORTED,
            actor_label="safeguarding export clocks",
            target_kind="clocks.csv",
            target_id=str(path),
            detail={"rows": rows, "judged_at": _iso(as_of)},
        )
    return rows
