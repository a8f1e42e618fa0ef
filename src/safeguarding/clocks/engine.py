# ruff: noqa: S608 -- the SQL is built from whole numbers (person ids) only; moments are parameters.
"""Working out the statutory clocks, set-based.

Return home interviews are the clocks that come in their thousands (one for every missing episode
any agency records), so they are worked out in DuckDB over the agencies' events, like the
early-warning scan: for each missing episode that has ended, the first return home interview any
agency recorded for the same child from the start of that episode until the child next went
missing after it ended (an interview after the next episode began belongs to that one; another
agency's record of the same episode is not a next one). Interviews recorded in the
hub (or a recorded decision not to hold one) meet the clock of the episode they name.

The other clocks start from casework recorded in the hub (strategy discussions, assessments, NRM
steps) and front-door decisions, a handful a child, and are worked out in Python with the
working-day calendar.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Collection, Iterable

import pyarrow as pa
from django.conf import settings
from django.db import connection

from safeguarding.accounts.models import Agency
from safeguarding.clocks.models import CONFERENCE_STEPS, CaseworkStep, ClockKind, ReturnHomeInterview, StepKind
from safeguarding.clocks.sources import ClockFact, facts_from_sources
from safeguarding.core.arrow import arrow_table, duckdb_connection, query_arrow
from safeguarding.core.calendar import deadline_months, deadline_working_days, end_of_day, local_date
from safeguarding.frontdoor.models import DecisionOutcome, TriageDecision
from safeguarding.people import identity
from safeguarding.people.models import Handling

RHI_HOURS = 72
ICPC_WORKING_DAYS = 15
ASSESSMENT_WORKING_DAYS = 45
NRM_REASONABLE_GROUNDS_WORKING_DAYS = 5
NRM_CONCLUSIVE_EARLIEST_DAYS = 30
CORE_GROUP_WORKING_DAYS = 10
FIRST_REVIEW_MONTHS = 3
LATER_REVIEW_MONTHS = 6

_EVENTS_SQL = """
    SELECT e.id, r.person_id, e.event_type, s.agency_id, {occurred}, {ended}
    FROM people_event e
    JOIN people_sourcerecord r ON r.id = e.source_record_id
    JOIN people_sourcesystem s ON s.id = e.source_system_id
    WHERE {event_type} IN ('missing_episode', 'return_home_interview') AND e.handling <> '{marked_c}' {where}
"""
# An episode the police marked C (shared only under conditions) stays with the police: it starts no
# clock, which every casework role would see (``selectors.police_only_clocks`` hides any started
# before it was so marked).
_EVENTS_SCHEMA = pa.schema([
    ("event_pk", pa.int64()), ("person_id", pa.int64()), ("event_type", pa.string()), ("agency_id", pa.int64()),
    ("occurred", pa.string()), ("ended_text", pa.string()),
])


def _text_time(column: str, *, full: bool = False) -> str:
    """A timestamp column as UTC text on both databases ('' when empty): to the second for events
    (as the scan reads them), or whole (``full``) for the clocks the hub wrote itself."""
    if connection.vendor == "postgresql":
        value = f"({column} AT TIME ZONE 'UTC')" if full else f"date_trunc('second', {column} AT TIME ZONE 'UTC')"
        return f"coalesce({value}::text, '')"
    return f"coalesce({column}, '')" if full else f"coalesce(substr({column}, 1, 19), '')"


def ids_clause(column: str, ids: Collection[int]) -> str:
    """``column IN (...)`` for whole numbers, written into the query so that ADBC's own connection (or
    process) can read it: a temporary table of the hub's connection would be invisible to it."""
    chosen = sorted({int(i) for i in ids})
    if not chosen:
        return "1 = 0"
    if connection.vendor == "sqlite":
        return f"{column} IN (SELECT value FROM json_each('{json.dumps(chosen)}'))"
    return f"{column} IN (SELECT unnest('{{{','.join(map(str, chosen))}}}'::bigint[]))"


# Every fact is a row of this table; moments are naive UTC (as DuckDB holds them).
FACT_SCHEMA = pa.schema([
    ("child_id", pa.int64()), ("kind", pa.string()), ("start_key", pa.string()), ("started_at", pa.timestamp("us")),
    ("due_at", pa.timestamp("us")), ("met_at", pa.timestamp("us")), ("met_by", pa.string()), ("agency_id", pa.int64()),
    ("met_event", pa.int64()),  # the agency's event that met it (its words name it), when one did
])


def _naive(moment: dt.datetime | None) -> dt.datetime | None:
    return None if moment is None else moment.astimezone(dt.UTC).replace(tzinfo=None)


def facts_table(facts: Iterable[ClockFact]) -> pa.Table:
    """ClockFacts worked out in Python, as rows of FACT_SCHEMA."""
    rows = list(facts)
    return pa.table({
        "child_id": pa.array([f.child_id for f in rows], pa.int64()),
        "kind": pa.array([str(f.kind) for f in rows], pa.string()),
        "start_key": pa.array([f.start_key for f in rows], pa.string()),
        "started_at": pa.array([_naive(f.started_at) for f in rows], pa.timestamp("us")),
        "due_at": pa.array([_naive(f.due_at) for f in rows], pa.timestamp("us")),
        "met_at": pa.array([_naive(f.met_at) for f in rows], pa.timestamp("us")),
        "met_by": pa.array([f.met_by for f in rows], pa.string()),
        "agency_id": pa.array([f.agency_id for f in rows], pa.int64()),
        "met_event": pa.nulls(len(rows), pa.int64()),  # met by casework or meetings, never an agency's event
    }, schema=FACT_SCHEMA)


def return_home_interview_facts(children: Collection[int] | None = None) -> pa.Table:
    """Every return home interview clock (of these children), from the agencies' events and the
    interviews recorded in the hub, worked out in DuckDB: rows of FACT_SCHEMA."""
    # For a few children, their records lead to their events (SQLite is told not to start from the
    # event type's index, which would visit every episode in the hub: "+" keeps it off the index).
    event_type = "+e.event_type" if children is not None and connection.vendor == "sqlite" else "e.event_type"
    where = ""
    if children is not None:
        where = (f"AND e.source_record_id IN (SELECT id FROM people_sourcerecord WHERE "
                 f"{ids_clause('person_id', children)})")
    sql = _EVENTS_SQL.format(
        occurred=_text_time("e.occurred_at"), ended=_text_time("e.ended_at"), event_type=event_type, where=where,
        marked_c=Handling.CONDITIONS.value,
    )
    events = query_arrow(sql, _EVENTS_SCHEMA)
    recorded = _recorded_interviews(children)
    names = list(Agency.objects.values_list("pk", "name"))
    agencies = pa.table({"agency_id": pa.array([pk for pk, _ in names], pa.int64()),
                         "agency_name": pa.array([name for _, name in names], pa.string())})
    with duckdb_connection() as con:
        con.register("raw_events", events)
        con.register("recorded", recorded)
        con.register("agencies", agencies)
        return arrow_table(con.sql(
            f"""
            WITH ev AS (
                SELECT event_pk, person_id, event_type, agency_id,
                       strptime(occurred, '%Y-%m-%d %H:%M:%S') AS ts,
                       CASE WHEN ended_text <> '' THEN strptime(ended_text, '%Y-%m-%d %H:%M:%S') END AS ended
                FROM raw_events
            ), m AS (
                SELECT event_pk, person_id, agency_id, ts, ended FROM ev WHERE event_type = 'missing_episode'
            ), nxt AS (
                -- The child next went missing: the first episode to start once this one ended. Another
                -- agency's record of the same episode starts before then, so it does not take the
                -- interview away from this one.
                SELECT m.event_pk, min(o.ts) AS next_start
                FROM m JOIN m o ON o.person_id = m.person_id AND o.ts >= m.ended AND o.event_pk <> m.event_pk
                GROUP BY m.event_pk
            ), f AS (
                SELECT event_pk, person_id, ts, agency_id FROM ev WHERE event_type = 'return_home_interview'
            ), held AS (
                SELECT m.event_pk, min(f.ts) AS met_at, arg_min(f.agency_id, f.ts) AS met_agency,
                       arg_min(f.event_pk, f.ts) AS met_pk
                FROM m LEFT JOIN nxt USING (event_pk)
                       JOIN f ON f.person_id = m.person_id AND f.ts >= m.ts
                                 AND (nxt.next_start IS NULL OR f.ts < nxt.next_start)
                GROUP BY m.event_pk
            )
            SELECT m.person_id AS child_id, 'return_home_interview' AS kind, 'event:' || m.event_pk AS start_key,
                   m.ended AS started_at, m.ended + INTERVAL {RHI_HOURS} HOURS AS due_at,
                   CASE WHEN r.held_at IS NOT NULL AND (held.met_at IS NULL OR r.held_at < held.met_at)
                        THEN r.held_at ELSE held.met_at END AS met_at,
                   CASE WHEN r.held_at IS NOT NULL AND (held.met_at IS NULL OR r.held_at < held.met_at) THEN r.words
                        WHEN held.met_at IS NOT NULL
                        THEN 'Return home interview recorded by ' || coalesce(a.agency_name, 'an agency')
                             || ' (event ' || held.met_pk || ')'
                        ELSE '' END AS met_by,
                   NULL::BIGINT AS agency_id,
                   CASE WHEN r.held_at IS NOT NULL AND (held.met_at IS NULL OR r.held_at < held.met_at) THEN NULL
                        ELSE held.met_pk END AS met_event
            FROM m LEFT JOIN held USING (event_pk)
                   LEFT JOIN recorded r ON r.episode_pk = m.event_pk
                   LEFT JOIN agencies a ON a.agency_id = held.met_agency
            WHERE m.ended IS NOT NULL
            """
        )).cast(FACT_SCHEMA)


def _recorded_interviews(children: Collection[int] | None) -> pa.Table:
    """The earliest interview (or decision not to hold one) recorded in the hub for each episode."""
    rows = ReturnHomeInterview.objects.all()
    if children is not None:
        rows = rows.filter(missing_episode__source_record__person_id__in=list(children))
    earliest: dict[int, tuple[dt.datetime, str]] = {}
    for episode, held_at, outcome, pk in rows.values_list("missing_episode_id", "held_at", "outcome", "pk"):
        words = "Return home interview recorded in the hub" if outcome == "held" else (
            "Recorded in the hub why no return home interview was held"
        )
        if episode not in earliest or held_at < earliest[episode][0]:
            earliest[episode] = (held_at, f"{words} ({pk})")
    return pa.table({
        "episode_pk": pa.array(list(earliest), pa.int64()),
        "held_at": pa.array([_naive(v[0]) for v in earliest.values()], pa.timestamp("us")),
        "words": pa.array([v[1] for v in earliest.values()], pa.string()),
    })


def casework_facts(children: Collection[int] | None = None) -> list[ClockFact]:
    """Clocks started by casework recorded in the hub and by front-door decisions: the initial
    conference after a strategy discussion, the core group and review conferences of a child
    protection plan, the assessment, and the NRM decisions."""
    steps = CaseworkStep.objects.select_related("child")
    decisions = TriageDecision.objects.filter(outcome=DecisionOutcome.ASSESSMENT).select_related("concern__child")
    if children is not None:
        ids = list(children)
        steps = steps.filter(child__root_id__in=ids)
        decisions = decisions.filter(concern__child__root_id__in=ids)
    by_child: dict[int, list[CaseworkStep]] = defaultdict(list)
    for step in steps.order_by("occurred_at", "pk"):
        by_child[step.child.root_id].append(step)
    facts: list[ClockFact] = []

    def first_after(child: int, kind: str | tuple[str, ...], moment: dt.datetime,
                    start: CaseworkStep | None = None) -> CaseworkStep | None:
        # Steps are recorded by the day: one dated the day the clock started meets it, whatever the hour
        # (but not the step that started it: a review conference is met by the next one).
        kinds = (kind,) if isinstance(kind, str) else kind
        day = local_date(moment)
        return next((s for s in by_child[child]
                     if s.kind in kinds and local_date(s.occurred_at) >= day and s is not start), None)

    def met(step: CaseworkStep | None) -> tuple[dt.datetime | None, str]:
        if step is None:
            return None, ""
        return step.occurred_at, f"{step.get_kind_display()} recorded by {step.agency.name}"

    for child, recorded in by_child.items():
        for step in recorded:
            key = f"step:{step.pk}"
            if step.kind == StepKind.STRATEGY_DISCUSSION:
                # Met by the conference, or by the decision (with its reason) that none is needed: the
                # discussion started no section 47 enquiry, or the enquiry found no conference was needed.
                met_at, met_by = met(first_after(child, (StepKind.INITIAL_CONFERENCE, StepKind.NO_CONFERENCE),
                                                 step.occurred_at))
                facts.append(ClockFact(child, ClockKind.INITIAL_CONFERENCE, key, step.occurred_at,
                                       deadline_working_days(step.occurred_at, ICPC_WORKING_DAYS), met_at, met_by,
                                       step.agency_id))
            elif step.kind in CONFERENCE_STEPS and step.positive:
                # A conference that made the child subject to a child protection plan (or kept them so):
                # its core group after the initial conference, and the next review conference. A
                # conference that ends the plan meets the review clock and starts none.
                if step.kind == StepKind.INITIAL_CONFERENCE:
                    met_at, met_by = met(first_after(child, StepKind.CORE_GROUP, step.occurred_at))
                    facts.append(ClockFact(child, ClockKind.CORE_GROUP, key, step.occurred_at,
                                           deadline_working_days(step.occurred_at, CORE_GROUP_WORKING_DAYS),
                                           met_at, met_by, step.agency_id))
                months = FIRST_REVIEW_MONTHS if step.kind == StepKind.INITIAL_CONFERENCE else LATER_REVIEW_MONTHS
                met_at, met_by = met(first_after(child, StepKind.REVIEW_CONFERENCE, step.occurred_at, start=step))
                facts.append(ClockFact(child, ClockKind.REVIEW_CONFERENCE, key, step.occurred_at,
                                       deadline_months(step.occurred_at, months), met_at, met_by, step.agency_id))
            elif step.kind == StepKind.ASSESSMENT_REFERRAL:
                met_at, met_by = met(first_after(child, StepKind.ASSESSMENT_COMPLETED, step.occurred_at))
                facts.append(ClockFact(child, ClockKind.ASSESSMENT, key, step.occurred_at,
                                       deadline_working_days(step.occurred_at, ASSESSMENT_WORKING_DAYS), met_at, met_by,
                                       step.agency_id))
            elif step.kind == StepKind.NRM_REFERRAL:
                met_at, met_by = met(first_after(child, StepKind.NRM_REASONABLE_GROUNDS, step.occurred_at))
                facts.append(ClockFact(child, ClockKind.NRM_REASONABLE_GROUNDS, key, step.occurred_at,
                                       deadline_working_days(step.occurred_at, NRM_REASONABLE_GROUNDS_WORKING_DAYS),
                                       met_at, met_by, step.agency_id))
            elif step.kind == StepKind.NRM_REASONABLE_GROUNDS and step.positive:
                met_at, met_by = met(first_after(child, StepKind.NRM_CONCLUSIVE_GROUNDS, step.occurred_at))
                due = end_of_day(local_date(step.occurred_at) + dt.timedelta(days=settings.NRM_CONCLUSIVE_TARGET_DAYS))
                facts.append(ClockFact(child, ClockKind.NRM_CONCLUSIVE_GROUNDS, key, step.occurred_at, due,
                                       met_at, met_by, step.agency_id))
    for decision in decisions:
        child = decision.concern.child.root_id
        start = decision.concern.raised_at
        met_at, met_by = met(first_after(child, StepKind.ASSESSMENT_COMPLETED, start))
        facts.append(ClockFact(child, ClockKind.ASSESSMENT, f"decision:{decision.pk}", start,
                               deadline_working_days(start, ASSESSMENT_WORKING_DAYS), met_at, met_by))
    return facts


def all_facts(children: Collection[int] | None = None) -> pa.Table:
    """Every clock of these children (every child when None), as worked out now: FACT_SCHEMA rows."""
    others = facts_table([*casework_facts(children), *facts_from_sources(children)])
    return pa.concat_tables([return_home_interview_facts(children), others])


def status_of(due_at: dt.datetime, met_at: dt.datetime | None, as_of: dt.datetime) -> str:
    """SPEC.md's status: met, met_late, overdue, or open (not yet due), judged at ``as_of``."""
    if met_at is not None and met_at <= as_of:
        return "met" if met_at <= due_at else "met_late"
    return "overdue" if as_of > due_at else "open"


def roots(children: Iterable[int]) -> set[int]:
    """The persons these ids are now (clocks are worked out per child as linkage knows them)."""
    return set(identity.roots_of(children).values())
