"""Working out the statutory clocks and recording the casework that starts and meets them; each
change audited in the same transaction.

``clocks_refresh`` compares what the events and decisions say now with the clocks the hub holds:
new clocks are written (their first state is their own row), changed ones updated, and every change
kept in ``ClockChange`` with the state before and after, so a return home interview imported after its clock was marked overdue
puts the clock right and leaves both states in its history. Clocks not met turn overdue with time
(``_judge_by_time``), each turn kept the same way.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone

from safeguarding.accounts.access import Capability, has
from safeguarding.accounts.models import AgencyKind, User
from safeguarding.audit.models import AuditEventType
from safeguarding.audit.services import audit_record
from safeguarding.clocks import engine
from safeguarding.clocks.models import (
    CONFERENCE_STEPS,
    CaseworkStep,
    ClockChange,
    ClockKind,
    ClockRun,
    ClockStatus,
    InterviewOutcome,
    ReturnHomeInterview,
    StatutoryClock,
    StepKind,
)
from safeguarding.clocks.sources import children_changed_since, responsible_agency
from safeguarding.core import once
from safeguarding.core.arrow import arrow_table, duckdb_connection, query_arrow
from safeguarding.core.bulk import BulkTable, Same
from safeguarding.core.calendar import end_of_day, local_date
from safeguarding.core.errors import ServiceError
from safeguarding.frontdoor.models import DecisionOutcome, TriageDecision
from safeguarding.people import identity
from safeguarding.people.models import Event, EventType, Person

BATCH = 2000
LOCK_BATCH = 500  # children whose clocks are locked in one statement


@dataclass
class RefreshResult:
    run: ClockRun
    clocks: int
    created: int
    changed: int
    turned_overdue: int
    seconds: float


_EXISTING_SCHEMA = pa.schema([
    ("id", pa.int64()), ("kind", pa.string()), ("start_key", pa.string()), ("due_text", pa.string()),
    ("met_text", pa.string()), ("status", pa.string()), ("met_event", pa.int64()), ("start_text", pa.string()),
])


def _existing(children: Collection[int] | None) -> pa.Table:
    """The clocks the hub holds (of these children, under any id they have had), as plain columns."""
    where = ""
    if children is not None:
        # whole numbers only (ids_clause), never text from a user
        where = f"WHERE c.child_id IN (SELECT id FROM people_person WHERE {engine.ids_clause('root_id', children)})"  # noqa: S608
    return query_arrow(
        f"SELECT c.id, c.kind, c.start_key, {engine._text_time('c.due_at', full=True)}, "  # noqa: S608
        f"{engine._text_time('c.met_at', full=True)}, c.status, c.met_by_event_id, "
        f"{engine._text_time('c.started_at', full=True)} "
        f"FROM clocks_statutoryclock c {where}",
        _EXISTING_SCHEMA,
    )


def _aware(moment: dt.datetime | None) -> dt.datetime | None:
    return None if moment is None else moment.replace(tzinfo=dt.UTC)


def _aware_column(table: pa.Table, name: str) -> list[Any]:
    """A naive-UTC timestamp column as aware datetimes (converted in Arrow, not one by one)."""
    return table[name].cast(pa.timestamp("us", tz="UTC")).to_pylist()


def _compare(facts: pa.Table, held: pa.Table, now: dt.datetime) -> pa.Table:
    """What the facts say against the clocks held, set-based in DuckDB: a row for each clock that is
    new or whose start, due time, met time, status (judged at ``now``) or meeting event differs, with its
    state before (a start moves when the record under it is corrected: an episode's return time)."""
    with duckdb_connection() as con:
        con.register("facts", facts)
        con.register("existing", held)
        return arrow_table(con.sql(
            """
            WITH f AS (
                SELECT child_id, kind, start_key, started_at, due_at, met_at, left(coalesce(met_by, ''), 200) AS met_by,
                       agency_id, met_event,
                       CASE WHEN met_at IS NOT NULL AND met_at <= $now
                                 THEN CASE WHEN met_at <= due_at THEN 'met' ELSE 'met_late' END
                            WHEN $now > due_at THEN 'overdue' ELSE 'open' END AS status
                FROM facts
            ), x AS (
                SELECT id, kind, start_key, TRY_CAST(nullif(due_text, '') AS TIMESTAMP) AS due_at,
                       TRY_CAST(nullif(met_text, '') AS TIMESTAMP) AS met_at, status, met_event,
                       TRY_CAST(nullif(start_text, '') AS TIMESTAMP) AS started_at
                FROM existing
            )
            SELECT f.*, $now AS judged_at, x.id AS clock_id, x.due_at AS due_before, x.met_at AS met_before,
                   x.status AS status_before, x.met_event AS met_event_before, x.started_at AS started_before
            FROM f LEFT JOIN x USING (kind, start_key)
            WHERE x.id IS NULL OR x.due_at IS DISTINCT FROM f.due_at OR x.met_at IS DISTINCT FROM f.met_at
               OR x.status <> f.status OR x.met_event IS DISTINCT FROM f.met_event
               OR x.started_at IS DISTINCT FROM f.started_at
            """,
            params={"now": now.astimezone(dt.UTC).replace(tzinfo=None)},
        ))


def _naive(moment: dt.datetime | None) -> dt.datetime | None:
    return None if moment is None else moment.astimezone(dt.UTC).replace(tzinfo=None)


_HELD = ("pk", "kind", "start_key", "due_at", "met_at", "status", "met_by_event_id", "child_id")


def _of_children(children: Collection[int]) -> Q:
    """The clocks of these children, under any id they have had: by a subquery of their ids, not a join,
    so that a locking read locks the clocks alone, not the persons' rows."""
    return Q(child_id__in=Person.objects.filter(root_id__in=list(children)).values("pk"))


def _lock_clocks(children: Collection[int], ids: Collection[int] = ()) -> list[tuple[Any, ...]]:
    """Lock the clocks of these children (by who they are now), then those of these ids, each in an
    ordered statement as every refresh takes them (``select_for_update``: nothing else writes them
    until this transaction ends). Two statements, each using its index (one with OR would read the
    whole table). Their state as held now: (id, kind, start_key, due, met, status, meeting event,
    child). Every transaction that locks clocks and writes the audit trail locks the clocks first
    (the trail's head is one row every audited write takes): in the other order, a refresh holding a
    child's clocks and waiting for the trail's head would deadlock with an interview holding the head
    and waiting for the clocks."""
    found = {row[0]: row for row in StatutoryClock.objects.select_for_update().filter(
        _of_children(children)).order_by("pk").values_list(*_HELD)}
    more = sorted(set(ids) - set(found))
    for start in range(0, len(more), BATCH):
        found.update((row[0], row) for row in StatutoryClock.objects.select_for_update().filter(
            pk__in=more[start:start + BATCH]).order_by("pk").values_list(*_HELD))
    return list(found.values())


def clocks_lock(children: Collection[int]) -> None:
    """Lock these children's clocks (any id they have had) for the rest of the caller's transaction,
    before it writes the audit trail (``_lock_clocks`` says why): a write in a room above that starts a
    clock and then works out the child's clocks again in the same transaction calls this first."""
    _lock_clocks(engine.roots(children))


def _moved_since_read(changes: pa.Table) -> set[int]:
    """The children whose clocks another transaction has written since they were read for these
    changes (a return home interview recorded meanwhile met one): each changed clock held now
    otherwise than it was read, or a new one held now. Every clock of the children with changes is
    locked first. The answer names both the child the facts give and the child the clock is held
    under, so that working them out again finds the clock."""
    moved: set[int] = set()
    owners: set[int] = set()
    by_child: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in changes.select(["child_id", "kind", "start_key", "clock_id", "due_before", "met_before",
                               "status_before", "met_event_before"]).to_pylist():
        by_child[row["child_id"]].append(row)
    # Only children with a clock held when read are locked and compared here: a clock new to the read
    # is looked for below, by its kind and start (a first run's every clock is new: nothing to lock).
    children = sorted(child for child, rows in by_child.items() if any(r["clock_id"] is not None for r in rows))
    for start in range(0, len(children), LOCK_BATCH):
        chunk = children[start:start + LOCK_BATCH]
        rows = [row for child in chunk for row in by_child[child]]
        held = {(kind, key): (pk, _naive(due), _naive(met), status, event, child)
                for pk, kind, key, due, met, status, event, child in _lock_clocks(
                    chunk, [r["clock_id"] for r in rows if r["clock_id"] is not None])}
        for row in rows:
            now_held = held.get((row["kind"], row["start_key"]))
            read = None if row["clock_id"] is None else (
                row["clock_id"], row["due_before"], row["met_before"], row["status_before"], row["met_event_before"])
            if (now_held and now_held[:5]) != read:
                moved.add(row["child_id"])
                if now_held:
                    owners.add(now_held[5])
    # A clock new to the read that another transaction has just written under a child not among these
    # (found by kind and start, as the one-clock-per-start index holds them).
    new: dict[str, dict[str, int]] = defaultdict(dict)
    for kind, key, child, clock in zip(changes["kind"].to_pylist(), changes["start_key"].to_pylist(),
                                       changes["child_id"].to_pylist(), changes["clock_id"].to_pylist(), strict=True):
        if clock is None and child not in moved:
            new[kind][key] = child
    for kind, keys in new.items():
        wanted = sorted(keys)
        for start in range(0, len(wanted), BATCH):
            for key, child in StatutoryClock.objects.filter(kind=kind, start_key__in=wanted[start:start + BATCH]) \
                    .values_list("start_key", "child_id"):
                moved.add(keys[key])
                owners.add(child)
    return (moved | engine.roots(owners)) if owners else moved


def _apply(facts: pa.Table, held: pa.Table, now: dt.datetime) -> tuple[int, int]:
    """Compare what the facts say with the clocks held (read before the facts), write the new clocks
    (in bulk, a column at a time), update the changed ones and keep each change in the history (a
    new clock's first state is its own row). Returns (created, changed).

    The facts were read before this transaction, for speed: a child some of whose clocks another
    transaction wrote since they were read (a return home interview recorded meanwhile, which met
    one) has their clocks worked out again here, from the facts read now, with their clocks locked
    (their own refresh is in the same transaction as the interview), so a clock met meanwhile stays
    met."""
    changes = _compare(facts, held, now)
    moved = _moved_since_read(changes)
    if moved:
        again = engine.roots(moved)
        ordered = sorted(again)
        for start in range(0, len(ordered), LOCK_BATCH):
            _lock_clocks(ordered[start:start + LOCK_BATCH])
        kept = changes.filter(pc.invert(pc.is_in(changes["child_id"], pa.array(sorted(again | moved), pa.int64()))))
        # Judged now: what met a clock meanwhile may be later than the moment this refresh began.
        fresh = _compare(engine.all_facts(again), _existing(again), timezone.now())
        changes = pa.concat_tables([kept, fresh.cast(kept.schema)])
    is_new = pc.is_null(changes["clock_id"])
    new = changes.filter(is_new)
    kinds = new["kind"].to_pylist()
    responsible = {kind: responsible_agency(kind) for kind in set(kinds)}
    BulkTable(StatutoryClock).insert_columns({
        "child_id": new["child_id"].to_pylist(),
        "kind": kinds,
        "start_key": new["start_key"].to_pylist(),
        "started_at": _aware_column(new, "started_at"),
        "due_at": _aware_column(new, "due_at"),
        "met_at": _aware_column(new, "met_at"),
        "met_by": new["met_by"].to_pylist(),
        "status": new["status"].to_pylist(),
        "status_at": _aware_column(new, "judged_at") if moved else Same(now),  # one moment unless worked out again
        "agency_id": [given or responsible[kind] for given, kind in zip(new["agency_id"].to_pylist(), kinds,
                                                                        strict=True)],
        "met_by_event_id": new["met_event"].to_pylist(),
    }, new.num_rows, now)
    changed = changes.filter(pc.invert(is_new)).to_pylist()
    for row in changed:
        for name in ("started_at", "started_before", "due_at", "met_at", "due_before", "met_before", "judged_at"):
            row[name] = _aware(row[name])
    BulkTable(StatutoryClock).update([
        {"id": c["clock_id"], "started_at": c["started_at"], "due_at": c["due_at"], "met_at": c["met_at"],
         "met_by": c["met_by"], "met_by_event_id": c["met_event"], "status": c["status"], "status_at": c["judged_at"]}
        for c in changed
    ], ["started_at", "due_at", "met_at", "met_by", "met_by_event_id", "status", "status_at"])
    BulkTable(ClockChange).insert([
        {"clock_id": c["clock_id"], "at": c["judged_at"], "status_before": c["status_before"], "status_after": c["status"],
         "due_before": c["due_before"], "due_after": c["due_at"], "met_before": c["met_before"],
         "met_after": c["met_at"], "note": _why(c), "event_id": _told_of(c)}
        for c in changed
    ], now)
    return new.num_rows, len(changed)


def _why(change: dict[str, Any]) -> str:
    """Why a clock changed, in words, from the row comparing it before and after."""
    if change["met_before"] is None and change["met_at"] is not None:
        return f"Met: {change['met_by']}"[:200] if change["met_by"] else "Met"
    if change["met_before"] is not None and change["met_at"] is None:
        return "What met it no longer counts (the police have marked it C, or record linkage moved it to another child)"
    if change["met_before"] != change["met_at"]:
        return f"Met earlier than the hub knew: {change['met_by']}"[:200]
    if change["met_event"] != change["met_event_before"] and change["met_by"]:
        return f"Met by another record: {change['met_by']}"[:200]
    if change["started_before"] is not None and change["started_before"] != change["started_at"]:
        # The record under it was corrected (an episode's return time, a meeting's date).
        return "Start and due date worked out again" if change["due_before"] != change["due_at"] \
            else "Start worked out again"
    if change["due_before"] != change["due_at"]:
        return "Due date worked out again"
    if change["status"] == ClockStatus.OVERDUE:
        return "Due time passed without it being met"
    return "Worked out again"


def _told_of(change: dict[str, Any]) -> int | None:
    """The agency's event a change's note tells of: what meets the clock now, or, when nothing does,
    what met it before (so that the note goes wherever that event goes: to the police, once marked C)."""
    return change["met_event"] if change["met_at"] is not None else change["met_event_before"]


def _judge_by_time(now: dt.datetime, children: Collection[int] | None = None) -> int:
    """Clocks not met whose due time has passed since they were last judged turn overdue: every
    child's, or only these children's (a refresh for one child, inside the transaction that recorded
    their interview, touches no other child's clocks). Written only where a clock is still open and not
    met when written (one met since it was read, by a return home interview recorded meanwhile, stays
    met, with no false turn in its history)."""
    past_due = StatutoryClock.objects.filter(status=ClockStatus.OPEN, met_at__isnull=True, due_at__lt=now)
    if children is not None:
        past_due = past_due.filter(_of_children(children))
    due = dict(past_due.values_list("pk", "due_at"))
    ids = sorted(due)
    turned: list[int] = []
    for start in range(0, len(ids), BATCH):
        chunk = ids[start:start + BATCH]
        if StatutoryClock.objects.filter(pk__in=chunk, status=ClockStatus.OPEN, met_at__isnull=True, due_at__lt=now).update(
            status=ClockStatus.OVERDUE, status_at=now
        ):
            turned += StatutoryClock.objects.filter(pk__in=chunk, status=ClockStatus.OVERDUE, status_at=now,
                                                    met_at__isnull=True).values_list("pk", flat=True)
    ClockChange.objects.bulk_create(
        [ClockChange(clock_id=pk, at=now, status_before=ClockStatus.OPEN, status_after=ClockStatus.OVERDUE,
                     due_before=due[pk], due_after=due[pk], note="Due time passed without it being met")
         for pk in turned],
        batch_size=5000,
    )
    return len(turned)


# How far before the last run began an incremental run looks for decisions and casework: what was
# written just before that run began but committed after it read may not have been seen by it.
LOOK_BACK = dt.timedelta(minutes=10)


def _decided_since(since: dt.datetime | None) -> set[int]:
    """The children (any id they have had) with something besides an agency's event that starts, meets
    or moves a clock, written since ``since`` (ever, when None): a front-door decision of assessment,
    casework or an interview recorded in the hub, and what the rooms above register (the panel's
    discussions and plans, ``sources.register_changed_since``)."""
    decisions = TriageDecision.objects.filter(outcome=DecisionOutcome.ASSESSMENT)
    steps = CaseworkStep.objects.all()
    interviews = ReturnHomeInterview.objects.all()
    if since is not None:
        decisions = decisions.filter(decided_at__gte=since)
        steps = steps.filter(recorded_at__gte=since)
        interviews = interviews.filter(recorded_at__gte=since)
    children = {*decisions.values_list("concern__child_id", flat=True), *steps.values_list("child_id", flat=True),
                *interviews.values_list("child_id", flat=True)}
    return children | children_changed_since(since or dt.datetime.min.replace(tzinfo=dt.UTC))


def clocks_refresh(
    *, incremental: bool = False, children: Collection[int] | None = None, acting_user: User | None = None
) -> RefreshResult:
    """Work out the clocks again: every child's, or (``incremental``) only those of children with
    events newer than the last run or a decision, casework or panel review written since it began
    (``_decided_since``), or the ``children`` given. Then turn overdue every clock whose
    time has passed. One audited transaction."""
    started = time.perf_counter()
    now = timezone.now()
    finished = ClockRun.objects.filter(finished_at__isnull=False)
    last = finished.aggregate(last=Max("last_event_id"))["last"] or 0
    newest = Event.objects.aggregate(last=Max("pk"))["last"] or 0
    chosen: set[int] | None = None
    if children is not None:
        chosen = engine.roots(children)
    elif incremental:
        touched = set(Event.objects.filter(
            pk__gt=last, event_type__in=[EventType.MISSING_EPISODE, EventType.RETURN_HOME_INTERVIEW]
        ).values_list("source_record__person_id", flat=True).distinct())
        since = finished.filter(looked_beyond_events=True).aggregate(since=Max("started_at"))["since"]
        touched |= _decided_since(since - LOOK_BACK if since else None)
        chosen = engine.roots(touched)
    # The clocks held are read before the facts: one written after this read (a return home interview
    # recorded meanwhile) is found so when the changes are written, and worked out again (``_apply``).
    if chosen is not None and not chosen:
        # Nothing new: no need to read the clocks or the agencies' events (each read through Arrow has a
        # cost of its own, most of an incremental run that finds nothing).
        held, facts = _EXISTING_SCHEMA.empty_table(), engine.FACT_SCHEMA.empty_table()
    else:
        held = _existing(chosen)
        facts = engine.all_facts(chosen)
    with transaction.atomic():
        run = ClockRun.objects.create(started_at=now, incremental=chosen is not None,
                                      looked_beyond_events=children is None,
                                      last_event_id=newest if children is None else last)
        created, changed = _apply(facts, held, now)
        overdue = _judge_by_time(now, chosen if children is not None else None)
        run.finished_at = timezone.now()
        run.children = len(chosen) if chosen is not None else len(pc.unique(facts["child_id"]))
        run.clocks_created, run.clocks_changed = created, changed + overdue
        run.seconds = time.perf_counter() - started
        run.save()
        audit_record(
            event_type=AuditEventType.CLOCKS_COMPUTED,
            actor=acting_user,
            actor_label="" if acting_user else "statutory clocks",
            target_kind="clock_run",
            target_id=run.pk,
            detail={"incremental": run.incremental, "clocks": facts.num_rows, "created": created,
                    "changed": changed, "turned_overdue": overdue},
        )
    return RefreshResult(run, facts.num_rows, created, changed, overdue, run.seconds)


# --- casework recorded in the hub ----------------------------------------------------------------


def _check_moment(moment: dt.datetime, what: str) -> None:
    if moment > timezone.now() + dt.timedelta(minutes=5):
        raise ServiceError(f"The date of the {what} cannot be in the future", field="occurred_on")


# The steps that start the child protection clocks, or make, keep or end a child protection plan: on
# them hang the plans list health staff flag children by, and escalations to the strategic group.
CHILD_PROTECTION_STEPS = frozenset({StepKind.STRATEGY_DISCUSSION, StepKind.INITIAL_CONFERENCE, StepKind.NO_CONFERENCE,
                                    StepKind.CORE_GROUP, StepKind.REVIEW_CONFERENCE})


def _leads_child_protection(user: User) -> bool:
    """Children's social care (a council agency) leads section 47 enquiries and conferences; a
    partnership may name another agency in its roles and responsibilities matrix."""
    agency = user.agency
    if agency is None:
        return False
    return agency.kind == AgencyKind.COUNCIL or agency.pk == responsible_agency(ClockKind.INITIAL_CONFERENCE)


def steps_recordable_by(user: User) -> list[str]:
    """The kinds of casework step this user may record."""
    return [kind for kind in StepKind.values if kind not in CHILD_PROTECTION_STEPS or _leads_child_protection(user)]


def casework_step_record(
    *,
    acting_user: User,
    child: Person,
    kind: str,
    occurred_at: dt.datetime,
    positive: bool | None = None,
    note: str = "",
    form_token: str | None = None,
) -> CaseworkStep:
    """Record a visit to the child, a strategy discussion, a conference (and whether it made or kept a
    child protection plan), a core group, an assessment referral or completion, or an NRM step, and
    work out the child's clocks again in the same transaction."""
    if not (has(acting_user, Capability.RECORD_CASEWORK) and has(acting_user, Capability.VIEW_PERSON)):
        raise ServiceError("You cannot record casework in the hub")
    if acting_user.agency is None:
        raise ServiceError("Your account is not linked to an agency")
    if kind not in StepKind.values:
        raise ServiceError("Choose what happened", field="kind")
    if kind in CHILD_PROTECTION_STEPS and not _leads_child_protection(acting_user):
        raise ServiceError("Strategy discussions, conferences and core groups are recorded by children's social care "
                           "(or the agency the roles and responsibilities matrix names for them)", field="kind")
    _check_moment(occurred_at, "step")
    child = identity.current(child)
    steps = CaseworkStep.objects.filter(identity.same_person("child", child))
    if kind in (StepKind.NRM_REASONABLE_GROUNDS, StepKind.NRM_CONCLUSIVE_GROUNDS) and positive is None:
        raise ServiceError("Say whether the decision found grounds", field="positive")
    if kind == StepKind.NRM_REASONABLE_GROUNDS and not steps.filter(
        kind=StepKind.NRM_REFERRAL, occurred_at__lte=occurred_at
    ).exists():
        raise ServiceError("Record the child's referral to the National Referral Mechanism first", field="kind")
    if kind in CONFERENCE_STEPS and positive is None:
        raise ServiceError("Say whether the child is subject to a child protection plan", field="positive")
    if kind in (StepKind.CORE_GROUP, StepKind.REVIEW_CONFERENCE) and not steps.filter(
        kind__in=CONFERENCE_STEPS, positive=True, occurred_at__lte=end_of_day(local_date(occurred_at))
    ).exists():
        raise ServiceError("Record the conference that made the child protection plan first", field="kind")
    if kind == StepKind.VISIT and not note.strip():
        raise ServiceError("Say what the child said, in their words, and what you saw", field="note")
    if kind == StepKind.NO_CONFERENCE:
        if not note.strip():
            raise ServiceError("Give the reason no conference is needed", field="note")
        if not steps.filter(kind=StepKind.STRATEGY_DISCUSSION, occurred_at__lte=end_of_day(local_date(occurred_at))).exists():
            raise ServiceError("Record the strategy discussion first", field="kind")
    if kind == StepKind.NRM_CONCLUSIVE_GROUNDS:
        grounds = steps.filter(kind=StepKind.NRM_REASONABLE_GROUNDS, positive=True).order_by("-occurred_at").first()
        if grounds is None:
            raise ServiceError(
                "A conclusive grounds decision follows a positive reasonable grounds decision: record that first",
                field="kind",
            )
        # Counted in days as England's calendar has them (a decision is recorded by its date), so a
        # change of the clocks in between moves nothing.
        earliest = local_date(grounds.occurred_at) + dt.timedelta(days=engine.NRM_CONCLUSIVE_EARLIEST_DAYS)
        if local_date(occurred_at) < earliest:
            raise ServiceError(
                "A conclusive grounds decision cannot be made until 30 days after the reasonable grounds decision: "
                f"on or after {earliest:%-d %B %Y}",
                field="occurred_on",
            )
    with transaction.atomic():
        _lock_clocks([child.pk])  # before the audit trail's head (``_lock_clocks``)
        once.spend(form_token, made="The step was already recorded")
        step = CaseworkStep.objects.create(
            child=child, kind=kind, occurred_at=occurred_at, positive=positive if kind.startswith("nrm_") or kind in CONFERENCE_STEPS else None,
            note=note.strip(), agency=acting_user.agency, recorded_by=acting_user, recorded_at=timezone.now(),
        )
        audit_record(
            event_type=AuditEventType.CASEWORK_STEP_RECORDED,
            actor=acting_user,
            target_kind="casework_step",
            target_id=step.pk,
            person_id=child.pk,
            detail={"kind": kind, "occurred_at": occurred_at.isoformat(), "positive": step.positive},
        )
        clocks_refresh(children=[child.pk], acting_user=acting_user)
    return step


def return_home_interview_record(
    *,
    acting_user: User,
    child: Person,
    missing_episode: Event,
    outcome: str,
    held_at: dt.datetime,
    interviewer: str = "",
    child_said: str = "",
    places_named: str = "",
    people_named: str = "",
    reason_not_held: str = "",
    form_token: str | None = None,
) -> ReturnHomeInterview:
    """Record the return home interview after a missing episode (or why none was held), which
    meets the episode's clock; the child's clocks are worked out again in the same transaction."""
    if not (has(acting_user, Capability.RECORD_CASEWORK) and has(acting_user, Capability.VIEW_PERSON)):
        raise ServiceError("You cannot record return home interviews")
    if acting_user.agency is None:
        raise ServiceError("Your account is not linked to an agency")
    child = identity.current(child)
    if missing_episode.event_type != EventType.MISSING_EPISODE or identity.root_id(
        missing_episode.source_record.person_id
    ) != child.pk:
        raise ServiceError("Choose one of this child's missing episodes", field="missing_episode")
    if missing_episode.is_restricted_intelligence:  # the police's own: it starts no clock
        raise ServiceError("Choose one of this child's missing episodes", field="missing_episode")
    if missing_episode.ended_at is None:
        raise ServiceError("The child has not been recorded as returned from this episode yet", field="missing_episode")
    if outcome not in InterviewOutcome.values:
        raise ServiceError("Say whether the interview was held", field="outcome")
    _check_moment(held_at, "interview")
    if held_at < missing_episode.occurred_at:
        raise ServiceError("The interview cannot be before the child went missing", field="held_on")
    if outcome == InterviewOutcome.HELD and not interviewer.strip():
        raise ServiceError("Enter who held the interview", field="interviewer")
    if outcome != InterviewOutcome.HELD and not reason_not_held.strip():
        raise ServiceError("Give the reason no interview was held", field="reason_not_held")
    with transaction.atomic():
        _lock_clocks([child.pk])  # before the audit trail's head (``_lock_clocks``)
        once.spend(form_token, made="The interview was already recorded")
        interview = ReturnHomeInterview.objects.create(
            child=child, missing_episode=missing_episode, outcome=outcome, held_at=held_at,
            interviewer=interviewer.strip(), child_said=child_said.strip(), places_named=places_named.strip(),
            people_named=people_named.strip(), reason_not_held=reason_not_held.strip(),
            agency=acting_user.agency, recorded_by=acting_user, recorded_at=timezone.now(),
        )
        audit_record(
            event_type=AuditEventType.RETURN_HOME_INTERVIEW_RECORDED,
            actor=acting_user,
            target_kind="return_home_interview",
            target_id=interview.pk,
            person_id=child.pk,
            reason=interview.reason_not_held,
            detail={"outcome": outcome, "missing_episode": missing_episode.pk, "held_at": held_at.isoformat()},
        )
        clocks_refresh(children=[child.pk], acting_user=acting_user)
    return interview


def kinds() -> list[tuple[str, str]]:
    return list(ClockKind.choices)
