# ruff: noqa: S608 -- the SQL is built from validated vocabulary (event types, contact kinds), whole
# numbers and escaped rule codes only; see rules.clean_params. Moments are passed as parameters.
"""The rules engine: set-based SQL in DuckDB over every agency's events, never a loop per event.

Input tables (``loader.py`` fills them from the hub's database; tests may build them directly):

- ``ev(event_pk, person_id, agency_id, event_type, ts, ended, vehicle, phone, place, others)``:
  one row per event; ``ts``/``ended`` are UTC timestamps; ``others`` is a list of person ids of
  the people the event names as present.
- ``person(person_id, dob, role)``: ``dob`` is the latest date the person could have been born
  (a partial date of birth counts as its last day, so "under 16" never misses a child), ``role``
  as the hub holds it.

An event counts for the person whose record holds it; a rule weighing signs may also count events of
some types for each child they name (``for_named_children``: police intelligence on an adult's record
that names the child), from ``prepare``'s ``nev``.

``triggers`` returns every moment each rule's condition held, as of a moment in the data, with the
event that tipped it over and the events that make up the pattern (and, for a score rule, the
points they add up to). ``episodes`` groups the triggers of one rule for one child into episodes:
one alert each.
"""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
import weakref
from collections.abc import Sequence
from pathlib import Path

import duckdb
import pyarrow as pa

from safeguarding.core.arrow import arrow_table
from safeguarding.earlywarning.models import RuleKind
from safeguarding.earlywarning.rules import RuleSpec

TRIGGER_COLUMNS = "rule_code VARCHAR, person_id BIGINT, trigger_pk BIGINT, trigger_at TIMESTAMP, " \
    "evidence BIGINT[], note VARCHAR, score INTEGER"
# Every kind but the score fills these; ``score`` stays NULL.
_TRIGGER_FIELDS = "(rule_code, person_id, trigger_pk, trigger_at, evidence, note)"


def connect() -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB for one scan. What does not fit in memory spills to a folder under the
    system's temporary directory (not the working directory), removed when the scan ends."""
    spill = Path(tempfile.mkdtemp(prefix="safeguarding-scan-"))
    con = duckdb.connect(config={"temp_directory": str(spill)})
    weakref.finalize(con, shutil.rmtree, spill, True)
    return con


def _in(values: Sequence[str]) -> str:
    """A SQL IN-list of validated vocabulary words (event types, contact kinds)."""
    return "(" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + ")"


def prepare(con: duckdb.DuckDBPyConnection, as_of: dt.datetime, named_types: Sequence[str] = ()) -> None:
    """The events as they stood at ``as_of``, limited to those of children: later events are not
    yet known, and an episode that had not ended by then is still going on. A child is under 18 on
    the day of the event (by the date of birth; by the hub's role only when that is unknown, since
    a young person who is 18 now was a child when the events happened).

    ``nev`` holds the events of ``named_types`` held on another person's record (police intelligence
    on an adult) once for each child they name: ``person_id`` is the child named (a child on the
    event's day, by the same test), ``holder_id`` whose record holds it, and ``others`` the other
    people it names. Only the rules that ask for them read them (``for_named_children``)."""
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE cev AS
        SELECT e.event_pk, e.person_id, e.agency_id, e.event_type, e.ts,
               CASE WHEN e.ended <= $as_of THEN e.ended END AS ended,
               e.vehicle, e.phone, e.place, e.others
        FROM ev e LEFT JOIN person p USING (person_id)
        WHERE e.ts <= $as_of
          AND CASE WHEN p.dob IS NOT NULL THEN e.ts < p.dob + INTERVAL 18 YEAR
                   ELSE coalesce(p.role, '') <> 'adult' END
        """,
        {"as_of": as_of},
    )
    types = _in(sorted(set(named_types))) if named_types else "(NULL)"
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE nev AS
        SELECT e.event_pk, e.other AS person_id, e.person_id AS holder_id, e.agency_id, e.event_type, e.ts,
               CASE WHEN e.ended <= $as_of THEN e.ended END AS ended,
               e.vehicle, e.phone, e.place, list_filter(e.others, lambda x: x <> e.other) AS others
        FROM (SELECT *, unnest(others) AS other FROM ev
              WHERE ts <= $as_of AND event_type IN {types} AND len(others) > 0) e
        JOIN person p ON p.person_id = e.other
        WHERE e.other <> e.person_id
          AND CASE WHEN p.dob IS NOT NULL THEN e.ts < p.dob + INTERVAL 18 YEAR
                   ELSE coalesce(p.role, '') <> 'adult' END
        """,
        {"as_of": as_of},
    )


def named_types_of(specs: Sequence[RuleSpec]) -> list[str]:
    """The event types any of these rules counts for the children they name (``prepare``'s ``nev``)."""
    return sorted({t for spec in specs if spec.kind == RuleKind.SCORE for t in spec.params.get("for_named_children") or ()})


def _window(days: int) -> str:
    return (
        f"(PARTITION BY person_id ORDER BY ts RANGE BETWEEN INTERVAL {int(days)} DAYS PRECEDING AND CURRENT ROW)"
    )


def _sql_for(spec: RuleSpec, as_of: dt.datetime) -> str:
    p = spec.params
    code = spec.code.replace("'", "''")
    kind = spec.kind
    if kind == RuleKind.REPEATED:
        return f"""
            SELECT '{code}', person_id, event_pk, ts, evidence, ''
            FROM (SELECT person_id, event_pk, ts, count(*) OVER w AS n, list(event_pk) OVER w AS evidence
                  FROM cev WHERE event_type IN {_in(p['event_types'])} WINDOW w AS {_window(p['window_days'])})
            WHERE n >= {int(p['count'])}"""
    if kind == RuleKind.AGENCIES:
        where = "TRUE"
        if p.get("event_types"):
            where += f" AND event_type IN {_in(p['event_types'])}"
        if p.get("exclude_event_types"):
            where += f" AND event_type NOT IN {_in(p['exclude_event_types'])}"
        return f"""
            SELECT '{code}', person_id, event_pk, ts, evidence, ''
            FROM (SELECT person_id, event_pk, ts, list(agency_id) OVER w AS agencies, list(event_pk) OVER w AS evidence
                  FROM cev WHERE {where} WINDOW w AS {_window(p['window_days'])})
            WHERE len(list_distinct(agencies)) >= {int(p['agencies'])}"""
    if kind == RuleKind.COMBINATION:
        return f"""
            SELECT '{code}', person_id, event_pk, ts, evidence, ''
            FROM (SELECT person_id, event_pk, ts, list(event_type) OVER w AS kinds, list(event_pk) OVER w AS evidence
                  FROM cev WHERE event_type IN {_in(p['event_types'])} WINDOW w AS {_window(p['window_days'])})
            WHERE len(list_distinct(kinds)) >= {int(p['distinct'])}"""
    if kind == RuleKind.TOGETHER:
        days = int(p["window_days"])
        return f"""
            SELECT '{code}', a.person_id,
                   CASE WHEN b.ts >= a.ts THEN b.event_pk ELSE a.event_pk END,
                   greatest(a.ts, b.ts), [a.event_pk, b.event_pk], ''
            FROM cev a JOIN cev b ON a.person_id = b.person_id
            WHERE a.event_type IN {_in(p['event_types'])} AND b.event_type IN {_in(p['with_event_types'])}
              AND a.event_pk <> b.event_pk
              AND b.ts >= a.ts - INTERVAL {days} DAYS
              AND b.ts <= coalesce(a.ended, a.ts) + INTERVAL {days} DAYS"""
    if kind == RuleKind.UNDER_AGE:
        return f"""
            SELECT '{code}', c.person_id, c.event_pk, c.ts, [c.event_pk], ''
            FROM cev c JOIN person p USING (person_id)
            WHERE c.event_type IN {_in(p['event_types'])} AND p.dob IS NOT NULL
              AND c.ts < p.dob + INTERVAL {int(p['under_age'])} YEAR"""
    if kind == RuleKind.NO_FOLLOW_UP:
        hours = int(p["within_hours"])
        return f"""
            SELECT '{code}', m.person_id, m.event_pk, m.ended + INTERVAL {hours} HOURS, [m.event_pk], ''
            FROM cev m
            WHERE m.event_type IN {_in(p['event_types'])} AND m.ended IS NOT NULL
              AND m.ended + INTERVAL {hours} HOURS <= TIMESTAMP '{as_of.isoformat(sep=' ')}'
              AND NOT EXISTS (
                  SELECT 1 FROM cev f
                  WHERE f.person_id = m.person_id AND f.event_type IN {_in(p['follow_up_types'])}
                    AND f.ts >= m.ts AND f.ts <= m.ended + INTERVAL {hours} HOURS)"""
    if kind == RuleKind.SCORE:
        return _score_sql(spec)
    raise ValueError(f"no SQL for rule kind {kind}")


def _score_sql(spec: RuleSpec) -> str:
    """Weighted signs over a window. Each of the rule's events is worth its kind's points, plus the
    extra points when it names an adult present or a vehicle; at each such event, the events of the
    window before it (itself and its peers included, as every windowed kind counts them) are added
    up, counting at most ``repeats`` of each kind (the strongest first), and the rule holds where
    they reach the threshold. The score at every event comes from one window pass (a running best
    of each kind), over the children whose signs could reach the threshold at all; only at the
    events where the rule holds are the window's events gathered, the strongest of each kind, as the
    evidence. The score is kept with the trigger."""
    p = spec.params
    code = spec.code.replace("'", "''")
    kinds = list(p["weights"])
    weights = " UNION ALL ".join(
        f"SELECT '{t}' AS event_type, {int(points)} AS points" for t, points in p["weights"].items()
    )
    adult, vehicle = int(p.get("adult_points", 0)), int(p.get("vehicle_points", 0))
    repeats = int(p["repeats"])
    days = int(p["window_days"])
    # The child's own events, and (``named``) those on another person's record that name the child, of the
    # types the rule counts so. A named event may tip the rule (the alert is raised at its moment), but only
    # beside a sign of the child's own in the window, and the alert is keyed by the latest of those (``own``):
    # an alert is one per rule and tipping event, and the adult's intelligence may name several children.
    # That event is part of the evidence.
    named_types = list(p.get("for_named_children") or ())
    source = "(SELECT event_pk, person_id, event_type, ts, vehicle, others, FALSE AS named FROM cev"
    if named_types:
        source += (" UNION ALL SELECT event_pk, person_id, event_type, ts, vehicle, others, TRUE FROM nev "
                   f"WHERE event_type IN {_in(named_types)}")
    source += ")"

    def best(kind: str) -> str:
        only = f"FILTER (WHERE event_type = '{kind}')"
        if repeats == 1:
            return f"coalesce(max(pts) {only} OVER win, 0)"
        return f"coalesce(list_sum(list_slice(list_reverse_sort(list(pts) {only} OVER win), 1, {repeats})), 0)"

    score = " + ".join(best(kind) for kind in kinds)
    # the latest of the child's own signs in the window (for a named event that tips the rule: the alert's key)
    own = ("arg_max(event_pk, struct_pack(t := ts, k := event_pk)) FILTER (WHERE NOT named) OVER win"
           if named_types else "CAST(NULL AS BIGINT)")
    if repeats == 1:
        # Each kind counts once: the window pass also names each kind's strongest event (the same
        # order as below: most points, then latest), which is the evidence, with no second pass.
        strongest = ", ".join(
            f"arg_max(event_pk, struct_pack(p := pts, t := ts, k := event_pk)) FILTER (WHERE event_type = '{kind}') "
            "OVER win" for kind in kinds
        )
        evidence = f"""
        scored AS (
            SELECT person_id, event_pk, ts, named, CAST({score} AS INTEGER) AS score, [{strongest}] AS counted,
                   {own} AS own
            FROM candidates WINDOW win AS {_window(days)}
        )
        SELECT '{code}', person_id, CASE WHEN named THEN own ELSE event_pk END, ts,
               list_sort(list_distinct(list_filter(CASE WHEN named THEN list_append(counted, own) ELSE counted END,
                                                   lambda pk: pk IS NOT NULL))), '', score
        FROM scored WHERE score >= {int(p['threshold'])} AND (NOT named OR own IS NOT NULL)"""
    else:
        evidence = f"""
        scored AS (
            SELECT person_id, event_pk, ts, named, CAST({score} AS INTEGER) AS score, {own} AS own
            FROM candidates WINDOW win AS {_window(days)}
        ),
        held AS (SELECT * FROM scored WHERE score >= {int(p['threshold'])} AND (NOT named OR own IS NOT NULL)),
        counted AS (
            SELECT h.person_id, CASE WHEN h.named THEN h.own ELSE h.event_pk END AS trig, h.named, h.ts AS trig_ts,
                   h.score, y.event_pk,
                   row_number() OVER (PARTITION BY h.person_id, h.event_pk, y.event_type
                                      ORDER BY y.pts DESC, y.ts DESC, y.event_pk DESC) AS nth
            FROM held h JOIN candidates y ON y.person_id = h.person_id
             AND y.ts <= h.ts AND y.ts >= h.ts - INTERVAL {days} DAYS
        )
        SELECT '{code}', person_id, trig, trig_ts,
               list_sort(CASE WHEN named THEN list_distinct(list_append(list(event_pk), trig)) ELSE list(event_pk) END),
               '', score
        FROM counted WHERE nth <= {repeats}
        GROUP BY person_id, trig, named, trig_ts, score"""
    return f"""
        WITH w AS ({weights}),
        -- events naming an adult as present: a person held as an adult, or 18 by the event's day
        named_adult AS (
            SELECT DISTINCT o.event_pk
            FROM (SELECT event_pk, ts, unnest(others) AS other FROM {source}
                  WHERE {adult} > 0 AND len(others) > 0 AND event_type IN {_in(kinds)}) o
            JOIN person a ON a.person_id = o.other
            WHERE a.role = 'adult' OR (a.dob IS NOT NULL AND o.ts >= a.dob + INTERVAL 18 YEAR)
        ),
        s AS (
            SELECT c.person_id, c.event_pk, c.ts, c.event_type, c.named,
                   w.points + CASE WHEN n.event_pk IS NOT NULL THEN {adult} ELSE 0 END
                   + CASE WHEN c.vehicle <> '' THEN {vehicle} ELSE 0 END AS pts
            FROM {source} c JOIN w USING (event_type) LEFT JOIN named_adult n USING (event_pk)
        ),
        -- Only children whose signs could ever add up to the threshold (each kind at its best over
        -- all their history) are scored: most children's events are absences and the like alone.
        possible AS (
            SELECT person_id FROM (
                SELECT person_id, {"max(pts)" if repeats == 1 else
                                   f"list_sum(list_slice(list_reverse_sort(list(pts)), 1, {repeats}))"} AS best
                FROM s GROUP BY person_id, event_type)
            GROUP BY person_id HAVING sum(best) >= {int(p['threshold'])}
        ),
        candidates AS (SELECT * FROM s WHERE person_id IN (SELECT person_id FROM possible)),{evidence}"""


def _contacts_sql(spec: RuleSpec) -> str:
    """Every link from a child's event to an adult, vehicle, phone or place, as (kind, key)."""
    p = spec.params
    where = f"event_type IN {_in(p['event_types'])}" if p.get("event_types") else "TRUE"
    parts = []
    if "vehicle" in p["contacts"]:
        parts.append(f"SELECT person_id, event_pk, ts, 'vehicle' AS kind, vehicle AS key FROM cev "
                     f"WHERE {where} AND vehicle <> ''")
    if "phone" in p["contacts"]:
        parts.append(f"SELECT person_id, event_pk, ts, 'phone', phone FROM cev WHERE {where} AND phone <> ''")
    if "place" in p["contacts"]:
        places = f"event_type IN {_in(p['place_event_types'])}" if p.get("place_event_types") else where
        parts.append(f"SELECT person_id, event_pk, ts, 'place', place FROM cev WHERE {places} AND place <> ''")
    if "adult" in p["contacts"]:
        parts.append(
            f"""SELECT c.person_id, c.event_pk, c.ts, 'adult', CAST(c.other AS VARCHAR)
                FROM (SELECT person_id, event_pk, ts, unnest(others) AS other FROM cev
                      WHERE {where} AND len(others) > 0) c
                JOIN person a ON a.person_id = c.other
                WHERE a.role = 'adult' OR (a.dob IS NOT NULL AND c.ts >= a.dob + INTERVAL 18 YEAR)"""
        )
    return " UNION ALL ".join(parts)


def triggers(
    con: duckdb.DuckDBPyConnection,
    specs: Sequence[RuleSpec],
    as_of: dt.datetime,
    known_at_risk: pa.Table | None = None,
    complete: pa.Table | None = None,
    dismissed: pa.Table | None = None,
) -> None:
    """Fill the temp table ``triggers`` with every firing of every rule up to ``as_of``.
    ``prepare`` must have run. Rules linking children to others at risk run last: they read who
    was already at risk, and from when, from the other rules' firings — and from
    ``known_at_risk`` (person_id, since), the children alerted before, when only part of the
    history was read (an incremental scan). Then ``complete`` (person_id) names the children whose
    whole history was read: only their firings say who is at risk, since a partial history (the
    events naming contacts, without, say, the return home interview that followed) could fire
    where the whole would not. ``dismissed`` (person_id, until): children whose own alerts were all
    dismissed, whose firings up to ``until`` make no one else at risk."""
    con.execute(f"CREATE OR REPLACE TEMP TABLE triggers ({TRIGGER_COLUMNS})")
    direct = [s for s in specs if s.kind != RuleKind.SHARED_CONTACT]
    for spec in direct:
        fields = "" if spec.kind == RuleKind.SCORE else _TRIGGER_FIELDS
        con.execute(f"INSERT INTO triggers {fields} {_sql_for(spec, as_of)}")
    for spec in (s for s in specs if s.kind == RuleKind.SHARED_CONTACT):
        days = int(spec.params["window_days"])
        code = spec.code.replace("'", "''")
        known, fired = "", "TRUE"
        if known_at_risk is not None:
            con.register("known_at_risk", known_at_risk)
            known = f" UNION ALL SELECT person_id, since FROM known_at_risk WHERE since <= TIMESTAMP '{as_of}'"
        if complete is not None:
            con.register("complete_persons", complete)
            fired = "person_id IN (SELECT person_id FROM complete_persons)"
        if dismissed is not None:
            con.register("dismissed_persons", dismissed)
            fired += (" AND NOT EXISTS (SELECT 1 FROM dismissed_persons d WHERE d.person_id = triggers.person_id"
                      " AND triggers.trigger_at <= d.until)")
        con.execute(
            "CREATE OR REPLACE TEMP TABLE at_risk AS SELECT person_id, min(since) AS since FROM ("
            f"SELECT person_id, trigger_at AS since FROM triggers WHERE {fired}{known}) GROUP BY person_id"
        )
        for name, table in (("known_at_risk", known_at_risk), ("complete_persons", complete),
                            ("dismissed_persons", dismissed)):
            if table is not None:
                con.unregister(name)
        con.execute(f"CREATE OR REPLACE TEMP TABLE contacts AS {_contacts_sql(spec)}")
        # The other child's link must come from the time they were at risk or within the window
        # before it; the alert fires when the last of the three facts is known.
        con.execute(
            f"""
            INSERT INTO triggers {_TRIGGER_FIELDS}
            SELECT '{code}', x.person_id, x.event_pk, greatest(x.ts, y.ts, r.since), [x.event_pk],
                   -- kind, key, the other child, and the two events that link them (so that the
                   -- words can leave out a link resting on police intelligence a reader may not see)
                   y.kind || ' ' || y.key || ' ' || CAST(y.person_id AS VARCHAR) || ' '
                   || CAST(x.event_pk AS VARCHAR) || ' ' || CAST(y.event_pk AS VARCHAR)
            FROM contacts x
            JOIN contacts y ON y.kind = x.kind AND y.key = x.key AND y.person_id <> x.person_id
            JOIN at_risk r ON r.person_id = y.person_id
            WHERE abs(epoch(x.ts) - epoch(y.ts)) <= {days} * 86400
              AND y.ts >= r.since - INTERVAL {days} DAYS
              AND greatest(x.ts, y.ts, r.since) <= x.ts + INTERVAL {days} DAYS
            """
        )


def episodes(con: duckdb.DuckDBPyConnection, specs: Sequence[RuleSpec]) -> pa.Table:
    """One row per episode of a rule for a child: its first trigger (the alert's key and moment),
    the last, and every event in it. A trigger more than the rule's window after the one before
    it starts a new episode."""
    gaps = pa.table({
        "rule_code": [s.code for s in specs],
        "gap_days": [s.episode_days for s in specs],
        # a rule weighing signs: the points at which its alerts are high (NULL for other kinds)
        "high_mark": pa.array([s.params.get("high_threshold") if s.kind == RuleKind.SCORE else None for s in specs],
                              type=pa.int64()),
    })
    con.register("rule_gaps", gaps)
    try:
        result = arrow_table(con.sql(
            """
            WITH d AS (
                -- One row per moment: the same event can tip a rule more than once at the same
                -- moment (linked to two children at risk); a unique order keeps episodes stable.
                SELECT rule_code, person_id, trigger_pk, trigger_at,
                       flatten(list(evidence)) AS evidence, list(note) AS notes_here, max(score) AS score
                FROM triggers GROUP BY rule_code, person_id, trigger_pk, trigger_at
            ), t AS (
                SELECT d.*, g.gap_days, g.high_mark,
                       lag(trigger_at) OVER (PARTITION BY rule_code, person_id ORDER BY trigger_at, trigger_pk) AS prev
                FROM d JOIN rule_gaps g USING (rule_code)
            ), b AS (
                SELECT *, sum(CASE WHEN prev IS NULL OR trigger_at > prev + to_days(gap_days) THEN 1 ELSE 0 END)
                          OVER (PARTITION BY rule_code, person_id ORDER BY trigger_at, trigger_pk
                                ROWS UNBOUNDED PRECEDING) AS episode
                FROM t
            )
            SELECT rule_code, person_id, episode,
                   first(trigger_pk ORDER BY trigger_at, trigger_pk) AS first_pk,
                   min(trigger_at) AS first_at,
                   max(trigger_at) AS last_at,
                   list_sort(list_distinct(flatten(list(evidence)))) AS evidence,
                   list_filter(list_distinct(flatten(list(notes_here))), lambda n: n <> '') AS notes,
                   -- a score rule's strongest points in the episode, and when they first reached
                   -- its high mark (NULL for other kinds)
                   max(score) AS score,
                   min(CASE WHEN score >= high_mark THEN trigger_at END) AS high_at
            FROM b GROUP BY rule_code, person_id, episode
            ORDER BY rule_code, person_id, episode
            """
        ))
    finally:
        con.unregister("rule_gaps")
    return result
