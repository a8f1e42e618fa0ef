"""``safeguarding scan``: run every switched-on rule over the agencies' events and turn what fires
into alerts, with the events behind each one.

An alert's ``raised_at`` is the moment in the data when its rule first held, so a scan ``as of`` a
past date raises exactly the alerts a scan on that day would have raised, and the rules can be
tested against history. Scanning again adds nothing twice: an alert is keyed by its rule and the
event that tipped it over, and later events of the same episode are added to it as evidence. A
child under an active plan is not alerted again for a rule that has alerted before; the new
evidence goes to the existing alert.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
from django.conf import settings
from django.db import transaction
from django.db.models import F, Max, QuerySet
from django.utils import timezone

from safeguarding.accounts.models import Agency, User
from safeguarding.audit.models import AuditEventType
from safeguarding.audit.services import audit_record
from safeguarding.core.arrow import arrow_table
from safeguarding.core.bulk import BulkTable, Same, foreign_keys_checked_once
from safeguarding.core.errors import ServiceError
from safeguarding.earlywarning import engine, loader
from safeguarding.earlywarning.models import (
    LEVEL_RANK,
    LINK_NOTE_ENDING,
    NAMED_NOTE_ENDING,
    OPEN_STATUSES,
    RAISED_ELSEWHERE,
    Alert,
    AlertEvidence,
    AlertLevel,
    AlertStatus,
    Rule,
    RuleKind,
    ScanRun,
    evidence_remarked_since_written,
)
from safeguarding.earlywarning.rules import RuleError, RuleSpec, alert_level, describe, rule_spec
from safeguarding.earlywarning.sources import children_under_plan
from safeguarding.people.models import Event, EventType, SourceRecord, person_reference, restricted_event_parts

Stage = Callable[[str, int | None], Callable[[int], None]]
SHOWN_IN_EXPLANATION = 12


@dataclass
class ScanResult:
    scan: ScanRun
    rules: int
    events: int
    episodes: int
    alerts_raised: int
    evidence_added: int
    fired_by_rule: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    refused_rules: list[str] = field(default_factory=list)


def _utc_naive(moment: dt.datetime) -> dt.datetime:
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment.astimezone(dt.UTC).replace(tzinfo=None)


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment.replace(tzinfo=dt.UTC)


def evaluate(
    con: duckdb.DuckDBPyConnection,
    specs: Sequence[RuleSpec],
    as_of: dt.datetime,
    known_at_risk: pa.Table | None = None,
    complete: Sequence[int] | None = None,
    dismissed: pa.Table | None = None,
) -> pa.Table:
    """The episodes of every rule as of a moment, from the ``ev``/``person`` tables already loaded
    (for an incremental scan: ``complete`` names the children whose whole history was read;
    ``dismissed``: see ``set_aside_by_dismissal``)."""
    naive = _utc_naive(as_of)
    specs = [spec for spec in specs if spec.kind not in RAISED_ELSEWHERE]
    engine.prepare(con, naive, engine.named_types_of(specs))
    whole = None if complete is None else pa.table({"person_id": pa.array(list(complete), type=pa.int64())})
    engine.triggers(con, specs, naive, known_at_risk, whole, dismissed)
    return engine.episodes(con, specs)


def known_at_risk(rules: Sequence[Rule]) -> pa.Table:
    """Children already alerted by a rule of their own history, and since when (for an
    incremental scan, which does not read everyone's history again)."""
    from django.db.models import Min

    direct = [r for r in rules if r.kind != RuleKind.SHARED_CONTACT]
    rows = (
        Alert.objects.filter(rule__in=direct)
        .exclude(status=AlertStatus.DISMISSED)  # judged not to be exploitation (set_aside_by_dismissal)
        .values("person_id")
        .annotate(since=Min("raised_at"))
        .values_list("person_id", "since")
    )
    # A dismissed alert's episode that went on after the dismissal: the first new sign puts the child
    # at risk again, from when it happened.
    again = (
        AlertEvidence.objects.filter(alert__rule__in=direct, alert__status=AlertStatus.DISMISSED,
                                     added_at__gt=F("alert__actioned_at"))
        .values("alert__person_id")
        .annotate(since=Min("event__occurred_at"))
        .values_list("alert__person_id", "since")
    )
    earliest: dict[int, dt.datetime] = {}
    for person_id, moment in [*rows.iterator(chunk_size=20_000), *again.iterator(chunk_size=20_000)]:
        if person_id not in earliest or moment < earliest[person_id]:
            earliest[person_id] = moment
    return pa.table({"person_id": pa.array(list(earliest), type=pa.int64()),
                     "since": pa.array([_utc_naive(m) for m in earliest.values()], type=pa.timestamp("us"))})


def set_aside_by_dismissal(rules: Sequence[Rule]) -> pa.Table:
    """Children whose alerts of their own history were all dismissed, and the last moment those
    alerts' evidence reaches (person_id, until). Someone who knows the child judged the pattern not
    to be exploitation (a child in care running from a placement, a young carer missing school), so
    up to that moment the child does not make others "at risk" by being with them; a sign after it
    counts again, as it would raise a new alert of the child's own."""
    direct = [r for r in rules if r.kind != RuleKind.SHARED_CONTACT]
    # Read as the child linkage knows now (an alert may name a record since merged into another).
    until: dict[int, dt.datetime] = {}
    dismissed = Alert.objects.filter(rule__in=direct, status=AlertStatus.DISMISSED)
    if dismissed.exists():  # most scans: none, and no need to read every live alert
        live = Alert.objects.filter(rule__in=direct).exclude(status=AlertStatus.DISMISSED).values("person__root_id")
        dismissed = dismissed.exclude(person__root_id__in=live)
    else:
        dismissed = dismissed.none()
    for person_id, moment in dismissed.values("person__root_id").annotate(m=Max("raised_at")).values_list(
        "person__root_id", "m"
    ):
        until[person_id] = moment
    # Only the evidence the person dismissing it had before them: a scan after the dismissal adds later
    # events of the same episode to the alert, and those are new signs, which count again.
    evidence = (AlertEvidence.objects.filter(alert__in=dismissed, added_at__lte=F("alert__actioned_at"))
                .values("alert__person__root_id")
                .annotate(m=Max("event__occurred_at")).values_list("alert__person__root_id", "m"))
    for person_id, moment in evidence:
        if moment is not None and moment > until[person_id]:
            until[person_id] = moment
    return pa.table({"person_id": pa.array(list(until), type=pa.int64()),
                     "until": pa.array([_utc_naive(m) for m in until.values()], type=pa.timestamp("us"))})


def persons_named(events: QuerySet[Event], event_types: Sequence[str]) -> set[int]:
    """The persons named among the other people of these events of these types (``other_record_ids``: the
    ids of records of the same system, as the loader reads them)."""
    if not event_types:
        return set()
    wanted: dict[int, set[str]] = defaultdict(set)
    for system_id, others in (events.filter(event_type__in=list(event_types)).exclude(other_record_ids="")
                              .values_list("source_system_id", "other_record_ids").iterator(chunk_size=10_000)):
        wanted[system_id].update(part.strip() for part in others.split(";") if part.strip())
    named: set[int] = set()
    for system_id, record_ids in wanted.items():
        for chunk in _chunks(sorted(record_ids)):
            named.update(SourceRecord.objects.filter(source_system_id=system_id, record_id__in=chunk)
                         .values_list("person_id", flat=True))
    return named


def _children_under_active_plan() -> set[int]:
    """Asked of the rooms that hold plans (``earlywarning.sources``): they stand above this one."""
    return children_under_plan()


def _chunks(values: Sequence[Any], size: int = 2000) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


class _Explainer:
    """Words for an alert: the rule, and the events (date, what, which agency) that caused it.
    The events' details are read from DuckDB in one query for all alerts (``load``).

    Two texts: the shared one, built only from what every casework reader may see (police
    intelligence whose handling code is not P is counted, never described, and a link to another
    child resting on it is left out), and the full one for readers who may see restricted
    intelligence, kept only when it differs."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con
        self.agencies = dict(Agency.objects.values_list("pk", "name"))
        self.labels = dict(EventType.choices)
        self.details: dict[int, tuple[dt.datetime, str, str]] = {}  # event -> (moment, agency, line)
        self.holder: dict[int, int] = {}  # event -> the person whose record holds it
        # event -> (type, names a vehicle, names an adult as present): what a rule weighing signs adds up
        self.signs: dict[int, tuple[str, bool, bool]] = {}
        self.described: dict[str, str] = {}
        self._restricted: set[int] | None = None

    def load(self, pks: Iterable[int]) -> None:
        wanted = sorted(set(pks) - self.details.keys())
        if not wanted:
            return
        self.con.register("wanted_events", pa.table({"event_pk": pa.array(wanted, type=pa.int64())}))
        try:
            # Moments are written in the hub's time zone by DuckDB, a column at a time: done one by
            # one in Python it was a fifth of a large first scan.
            found = arrow_table(self.con.sql(
                """
                SELECT e.event_pk, e.event_type, e.ts, e.agency_id, e.person_id,
                       strftime(timezone($zone, timezone('UTC', e.ts)), '%-d %B %Y, %H:%M') AS moment,
                       e.vehicle <> '' AS vehicle, a.event_pk IS NOT NULL AS adult
                FROM ev e JOIN wanted_events USING (event_pk)
                LEFT JOIN (
                    -- the events that name an adult as present (as the rules engine reads them)
                    SELECT DISTINCT o.event_pk FROM (
                        SELECT e2.event_pk, e2.ts, unnest(e2.others) AS other
                        FROM ev e2 JOIN wanted_events USING (event_pk) WHERE len(e2.others) > 0) o
                    JOIN person p ON p.person_id = o.other
                    WHERE p.role = 'adult' OR (p.dob IS NOT NULL AND o.ts >= p.dob + INTERVAL 18 YEAR)
                ) a USING (event_pk)
                """,
                params={"zone": settings.TIME_ZONE},
            ))
        finally:
            self.con.unregister("wanted_events")
        columns = [found[name].to_pylist()
                   for name in ("event_pk", "event_type", "ts", "agency_id", "person_id", "moment", "vehicle", "adult")]
        labels, agencies = self.labels, self.agencies
        for pk, event_type, ts, agency, holder, when, vehicle, adult in zip(*columns, strict=True):
            name = agencies.get(agency, "an agency")
            line = f"- {when}: {labels.get(event_type, event_type)} ({agencies.get(agency, '')})"
            self.details[pk] = (ts, name, line)
            self.holder[pk] = int(holder)
            self.signs[pk] = (event_type, bool(vehicle), bool(adult))

    @property
    def restricted(self) -> set[int]:
        """Every event that stays with the police (``people.models.is_restricted``): read once, a
        query for each half of the rule, each on its own index."""
        if self._restricted is None:
            self._restricted = set()
            for part in restricted_event_parts():
                self._restricted.update(
                    Event.objects.filter(part).values_list("pk", flat=True).iterator(chunk_size=50_000)
                )
        return self._restricted

    def texts(
        self, spec: RuleSpec, pks: Sequence[int], notes: Sequence[str], score: int | None = None,
        person_id: int | None = None,
    ) -> tuple[str, str]:
        """(shared text, full text or "" when it says nothing more). ``person_id``: the child the alert is
        about (as the scan read them), so that an event held on another person's record that names the
        child (police intelligence on an adult) is told as such."""
        named = {pk for pk in pks if person_id is not None and self.holder.get(pk, person_id) != person_id}
        full = self._text(spec, pks, notes, score=score, named=named)
        visible = [pk for pk in pks if pk not in self.restricted]
        hidden = [pk for pk in pks if pk in self.restricted]
        shared_notes = [n for n in notes if not (set(_note_events(n)) & self.restricted)]
        shared = self._text(spec, visible, shared_notes, hidden=hidden, score=score, named=named)
        return shared, (full if full != shared else "")

    def points(self, spec: RuleSpec, pk: int) -> tuple[int, str]:
        """What one event is worth to a rule weighing signs, and why (the extra for an adult named as
        present or a vehicle named)."""
        event_type, vehicle, adult = self.signs.get(pk, ("", False, False))
        p = spec.params
        worth = int(p["weights"].get(event_type, 0))
        why = []
        if adult and p.get("adult_points"):
            worth += int(p["adult_points"])
            why.append("an adult named as present")
        if vehicle and p.get("vehicle_points"):
            worth += int(p["vehicle_points"])
            why.append("a vehicle named")
        return worth, " and ".join(why)

    def _text(
        self, spec: RuleSpec, pks: Sequence[int], notes: Sequence[str], hidden: Sequence[int] = (),
        score: int | None = None, named: Collection[int] = (),
    ) -> str:
        details = self.details
        # Events held on another person's record that name the child are told apart, after the child's own,
        # each line ending so that it can be left out for readers who do not see networks (``without_links``).
        others = sorted((details[pk][0], pk) for pk in pks if pk in details and pk in named)
        rows = sorted((details[pk][0], pk) for pk in pks if pk in details and pk not in named)
        agencies = sorted({details[pk][1] for _, pk in rows})
        if spec.code not in self.described:
            self.described[spec.code] = f"{spec.name}: {describe(spec)}."
        lines = [self.described[spec.code]]
        weighs = spec.kind == RuleKind.SCORE
        if weighs and score is not None:
            # Counted, never described: points from intelligence a reader may not see are a number.
            secret = sum(self.points(spec, pk)[0] for pk in hidden)
            from_hidden = f", {secret} of them from police intelligence not shared beyond the police" if secret else ""
            lines.append(f"The signs add up to {score} points at their strongest{from_hidden}.")
            kinds = [self.signs.get(pk, ("",))[0] for _, pk in rows]
            if len(set(kinds)) < len(kinds):
                # The list below is every sign of the episode: read as a sum, it came to more than the total.
                repeats = int(spec.params.get("repeats", 1))
                counted = "once" if repeats == 1 else f"up to {repeats} times"
                lines.append(f"Each kind of sign counts {counted}, at its strongest, within {int(spec.params['window_days'])} "
                             "days; every sign seen is listed, so a kind seen more often is listed more often.")
        if rows and len(agencies) > 1:
            lines.append(f"{len(rows)} events recorded by {len(agencies)} agencies ({', '.join(agencies)}):")
        elif rows:
            plural = "s" if len(rows) != 1 else ""
            lines.append(f"{len(rows)} event{plural} recorded by {agencies[0] if agencies else 'an agency'}:")
        for _, pk in rows[:SHOWN_IN_EXPLANATION]:
            line = details[pk][2]
            if weighs:
                worth, why = self.points(spec, pk)
                line += f": {worth} point{'s' if worth != 1 else ''}" + (f" ({why})" if why else "")
            lines.append(line)
        if len(rows) > SHOWN_IN_EXPLANATION:
            lines.append(f"- and {len(rows) - SHOWN_IN_EXPLANATION} more")
        for _, pk in others:
            line = details[pk][2]
            if weighs:
                worth, why = self.points(spec, pk)
                line += f": {worth} point{'s' if worth != 1 else ''}" + (f" ({why})" if why else "")
            lines.append(line + NAMED_NOTE_ENDING)
        if hidden:
            plural = "s" if len(hidden) != 1 else ""
            lines.append(
                f"{len(hidden)} more event{plural}: police intelligence not shared beyond the police. "
                "Ask the police safeguarding team if you need it."
            )
        # A link is noted once per pair of events; the words name the adult or thing and the other
        # child only, so several pairs read the same: each is said once.
        lines.extend(dict.fromkeys(self._note(note) for note in notes))
        return "\n".join(lines)

    def _note(self, note: str) -> str:
        kind, key, other = _note_parts(note)
        child = person_reference(int(other)) if other.isdecimal() else "another child"
        if kind == "adult" and key.isdecimal():
            return f"Seen with adult {person_reference(int(key))}, who was also with {child}{LINK_NOTE_ENDING}"
        return f"Shares the {kind} {key} with {child}{LINK_NOTE_ENDING}"


def _note_parts(note: str) -> tuple[str, str, str]:
    """A shared-contact note (``kind key other_child this_event other_event``; a key may hold
    spaces) as (kind, key, other child)."""
    parts = note.split(" ")
    if len(parts) < 5:
        return note, "", ""
    return parts[0], " ".join(parts[1:-3]), parts[-3]


def _note_events(note: str) -> tuple[int, ...]:
    """The two events a shared-contact note rests on."""
    parts = note.split(" ")
    if len(parts) < 5:
        return ()
    return tuple(int(p) for p in parts[-2:] if p.isdecimal())


def scan_run(
    *,
    as_of: dt.datetime | None = None,
    incremental: bool = False,
    acting_user: User | None = None,
    rules: Sequence[Rule] | None = None,
    stage: Stage | None = None,
) -> ScanResult:
    """Scan the agencies' events with the rules (all switched-on rules unless given) as of a moment
    (now unless given), raise new alerts and add new evidence to existing ones."""
    started = timezone.now()
    moment = as_of or started
    seconds: dict[str, float] = {}
    chosen = list(rules) if rules is not None else list(Rule.objects.filter(enabled=True))
    # New-link rules are raised by network analysis when links are built, not by the scan.
    chosen = [rule for rule in chosen if rule.kind not in RAISED_ELSEWHERE]
    specs: list[RuleSpec] = []
    refused: list[str] = []
    for rule in chosen:
        try:
            specs.append(rule_spec(rule))
        except RuleError as error:
            refused.append(f"{rule.code}: {error.message}")
    by_code = {rule.code: rule for rule in chosen}

    if incremental and as_of is not None:
        raise ServiceError("An incremental scan reads what is new now; scan as of a past date in full")
    tick = time.perf_counter()
    # Events newer than the last scan of the present (a scan as of a past date read later events
    # only to set them aside, so it does not count).
    last_scan = (
        ScanRun.objects.filter(finished_at__isnull=False, as_of__isnull=True).aggregate(last=Max("last_event_id"))[
            "last"
        ]
        or 0
    )
    newest_event = Event.objects.aggregate(last=Max("pk"))["last"] or 0
    new_events = Event.objects.filter(pk__gt=last_scan).count()
    person_ids: list[int] | None = None
    known: pa.Table | None = None
    if incremental:
        # The children with new events, and every event that names a contact (for the rule
        # linking children through them); who was at risk before comes from the alerts held.
        touched = set(
            Event.objects.filter(pk__gt=last_scan).values_list("source_record__person_id", flat=True).distinct()
        )
        # and the children named by new events that a rule counts for the children they name (police
        # intelligence on an adult's record): their signs have changed too.
        touched |= persons_named(Event.objects.filter(pk__gt=last_scan), engine.named_types_of(specs))
        person_ids = sorted(touched)
        known = known_at_risk(chosen)
    con = engine.connect()
    try:
        reading = stage("Reading events", None) if stage else None
        events = loader.load_events(con, person_ids=person_ids, with_contacts=incremental, progress=reading)
        seconds["load"] = time.perf_counter() - tick
        tick = time.perf_counter()
        if stage:
            stage("Evaluating rules", None)(0)
        episodes = evaluate(con, specs, moment, known, person_ids, set_aside_by_dismissal(chosen))
        naive = _utc_naive(moment)
        set_aside = int(con.execute("SELECT count(*) FROM ev WHERE ts > $m", {"m": naive}).fetchall()[0][0])
        children = len(touched) if incremental else int(
            con.execute("SELECT count(DISTINCT person_id) FROM cev").fetchall()[0][0]
        )
        seconds["rules"] = time.perf_counter() - tick
        tick = time.perf_counter()
        if person_ids is not None:
            # Only the children with new events get new alerts; the others were read to know who is at risk.
            touched_filter = pa.array(sorted(touched), type=pa.int64())
            episodes = episodes.filter(pc.is_in(episodes["person_id"], value_set=touched_filter))
        result = _apply(
            con,
            episodes,
            specs,
            by_code,
            started=started,
            as_of=as_of,
            incremental=incremental,
            events=events,
            new_events=new_events,
            set_aside=set_aside,
            children=children,
            last_event_id=newest_event,
            acting_user=acting_user,
            stage=stage,
        )
        seconds["alerts"] = time.perf_counter() - tick
    finally:
        con.close()
    result.seconds = seconds
    result.refused_rules = refused
    return result


def _apply(
    con: duckdb.DuckDBPyConnection,
    episodes: pa.Table,
    specs: Sequence[RuleSpec],
    by_code: dict[str, Rule],
    *,
    started: dt.datetime,
    as_of: dt.datetime | None,
    incremental: bool,
    events: int,
    new_events: int,
    set_aside: int,
    children: int,
    last_event_id: int,
    acting_user: User | None,
    stage: Stage | None,
) -> ScanResult:
    spec_by_code = {s.code: s for s in specs}
    rows = episodes.to_pylist()
    explainer = _Explainer(con)
    fired: dict[str, int] = defaultdict(int)
    for row in rows:
        fired[row["rule_code"]] += 1
    under_plan = _children_under_active_plan()
    now = timezone.now()
    rules = list(by_code.values())
    with transaction.atomic():
        scan = ScanRun.objects.create(
            started_at=started,
            as_of=as_of,
            incremental=incremental,
            started_by=acting_user,
        )
        keys = [(by_code[r["rule_code"]].pk, int(r["first_pk"])) for r in rows]
        # What the hub already holds, as plain values: (alert id, person, how many events it names,
        # the points a rule weighing signs last found).
        existing: dict[tuple[int, int], tuple[int, int, int, int | None]] = {}
        for chunk in _chunks(sorted({pk for _, pk in keys})):
            for pk, rule_id, trigger, person, count, score in Alert.objects.filter(
                rule__in=rules, trigger_event_id__in=chunk
            ).values_list("pk", "rule_id", "trigger_event_id", "person__root_id", "evidence_count", "score"):
                existing[(rule_id, trigger)] = (pk, person, count, score)
        # For children under an active plan: their latest alert for each rule takes the new evidence.
        latest_for_plan: dict[tuple[int, int], int] = {}
        plan_people = sorted(under_plan & {int(r["person_id"]) for r in rows})
        for chunk in _chunks(plan_people):
            for pk, person, rule_id in (
                Alert.objects.filter(person__root_id__in=chunk, rule__in=rules)
                .order_by("raised_at", "pk")
                .values_list("pk", "person__root_id", "rule_id")
            ):
                latest_for_plan[(person, rule_id)] = pk
        # Alerts whose shared words may describe an event the police have marked since they were written
        # (shown to no one outside the police meanwhile): a scan of the present writes them again from
        # this evaluation, with the events' marking now. A scan as of a past date does not: its episodes
        # are the past's.
        remarked: set[int] = set()
        if as_of is None:
            for chunk in _chunks(sorted(pk for pk, *_ in existing.values())):
                remarked.update(evidence_remarked_since_written().filter(alert_id__in=chunk)
                                .values_list("alert_id", flat=True).distinct())

        to_create: list[tuple[dict[str, Any], list[int], RuleSpec, list[str]]] = []
        # (alert, evidence, rule, notes, the person the alert is about now if it must follow its
        # evidence to another person (None when it stays: alerts are never moved on a merge, they are
        # read through the child's identity), the points a rule weighing signs found, and the child as this
        # scan read them)
        to_extend: list[tuple[int, list[int], RuleSpec, list[str], int | None, int | None, int]] = []
        progress = stage("Raising alerts", len(rows)) if stage else None
        for row, key in zip(rows, keys, strict=True):
            spec = spec_by_code[row["rule_code"]]
            rule = by_code[row["rule_code"]]
            person_id = int(row["person_id"])
            evidence = row["evidence"]
            notes = [str(n) for n in (row["notes"] or [])]
            score = None if row["score"] is None else int(row["score"])
            if key in existing:
                # The alert's own episode only grows (events are never deleted, and the key fixes
                # where the episode starts): no larger than the alert already is, nothing is new.
                alert_pk, person_before, count, score_before = existing[key]
                # A split may have given the tipping event's record to another person.
                follow = person_id if person_before != person_id else None
                stronger = score is not None and (score_before is None or score > score_before)
                if len(evidence) > count or follow is not None or stronger or alert_pk in remarked:
                    to_extend.append((alert_pk, evidence, spec, notes, follow, score, person_id))
            elif person_id in under_plan and (person_id, rule.pk) in latest_for_plan:
                to_extend.append((latest_for_plan[(person_id, rule.pk)], evidence, spec, notes, None, score, person_id))
            else:
                to_create.append((
                    {
                        "rule_id": rule.pk,
                        "rule_version": rule.version,
                        "person_id": person_id,
                        # the strength of the evidence: a rule weighing signs is high at its high mark
                        "level": alert_level(spec, score),
                        "score": score,
                        "raised_at": _aware(row["first_at"]),
                        "trigger_event_id": int(row["first_pk"]),
                        "created_at": now,
                        "evidence_updated_at": now,
                        "evidence_count": len(evidence),
                    },
                    evidence,
                    spec,
                    notes,
                ))
            if progress:
                progress(1)
        explainer.load(pk for _, evidence, _, _ in to_create for pk in evidence)
        for alert_row, evidence, spec, notes in to_create:
            alert_row["explanation"], alert_row["explanation_restricted"] = explainer.texts(
                spec, evidence, notes, alert_row["score"], alert_row["person_id"]
            )

        # Bulk writes (COPY on PostgreSQL): a first scan of a large area raises alerts by the
        # hundred thousand, with millions of pieces of evidence.
        created = BulkTable(Alert).insert_returning_ids([alert for alert, *_ in to_create], now)
        extended = _extend(to_extend, explainer, now, rewrite=remarked)
        evidence_alerts = [alert_id for alert_id, (_, pks, *_) in zip(created, to_create, strict=True) for _ in pks]
        evidence_alerts += [alert_id for alert_id, _ in extended]
        evidence_events = [pk for _, pks, *_ in to_create for pk in pks] + [pk for _, pk in extended]
        added = len(evidence_events)
        # Each alert's words were written (just now) with the events' marking in ``explainer.restricted``.
        restricted = explainer.restricted if added else set()
        with foreign_keys_checked_once(AlertEvidence, added):
            BulkTable(AlertEvidence).insert_columns(
                {"alert_id": evidence_alerts, "event_id": evidence_events, "added_at": Same(now), "scan_id": Same(scan.pk),
                 "police_only_when_written": [pk in restricted for pk in evidence_events]},
                added,
                now,
            )

        scan.finished_at = timezone.now()
        scan.events_scanned = events
        scan.events_new = new_events
        scan.events_set_aside = set_aside
        scan.children_scanned = children
        scan.alerts_raised = len(created)
        scan.evidence_added = added
        scan.last_event_id = last_event_id
        scan.save()
        audit_record(
            event_type=AuditEventType.SCAN_RUN,
            actor=acting_user,
            actor_label="" if acting_user else "safeguarding scan",
            target_kind="scan",
            target_id=scan.pk,
            detail={
                "as_of": as_of.isoformat() if as_of else None,
                "incremental": incremental,
                "events": events,
                "alerts_raised": len(created),
                "evidence_added": added,
                "rules": sorted(by_code),
            },
        )
    return ScanResult(
        scan=scan,
        rules=len(specs),
        events=events,
        episodes=len(rows),
        alerts_raised=len(created),
        evidence_added=added,
        fired_by_rule=dict(fired),
    )


def _extend(
    items: list[tuple[int, list[int], RuleSpec, list[str], int | None, int | None, int]],
    explainer: _Explainer,
    now: dt.datetime,
    *,
    rewrite: Collection[int] = (),
) -> list[tuple[int, int]]:
    """New evidence for existing alerts (given by id), as (alert, event) pairs; an alert already
    dealt with is flagged as having some (by the status it holds when written: the alerts are read
    locked, and the flag is set only where the alert is closed then, never written back as read, so
    an alert a worker dismisses or acts on while the scan runs is neither left out of the queue with
    its new evidence nor put back in it with an old flag). An alert follows its child when record linkage has since
    joined the child to another person. An alert of a rule weighing signs keeps its strongest
    points, and rises to high when they reach the rule's high mark (never falls: a level once
    shown to a panel is not quietly lowered). The words of an alert in ``rewrite`` (one of its events
    marked by the police since they were written) are written again, new evidence or not; whenever an
    alert's words are written, its evidence records which events stayed with the police then."""
    if not items:
        return []
    ids = sorted({alert_pk for alert_pk, *_ in items})
    alerts: dict[int, Alert] = {}
    have: dict[int, set[int]] = defaultdict(set)
    for chunk in _chunks(ids):
        # Locked (in the scan's transaction) until the new evidence and the words are written.
        alerts.update((alert.pk, alert) for alert in Alert.objects.select_for_update().filter(pk__in=list(chunk))
                      .order_by("pk"))
        for alert_id, event_id in AlertEvidence.objects.filter(alert_id__in=chunk).values_list("alert_id", "event_id"):
            have[alert_id].add(event_id)
    rows: list[tuple[int, int]] = []  # (alert, event) of the new evidence
    changed: dict[int, tuple[Alert, RuleSpec, list[str], int]] = {}
    grown: set[int] = set()  # changed by more than the words: new evidence, another child, stronger points
    for alert_pk, evidence, spec, notes, follow, score, person_id in items:
        alert = alerts[alert_pk]
        if alert_pk in rewrite:
            changed[alert.pk] = (alert, spec, notes, person_id)
        if follow is not None and alert.person_id != follow:
            alert.person_id = follow
            changed[alert.pk] = (alert, spec, notes, person_id)
            grown.add(alert.pk)
        if score is not None and (alert.score is None or score > alert.score):
            alert.score = score
            level = alert_level(spec, score)
            if LEVEL_RANK[AlertLevel(level)] > LEVEL_RANK.get(AlertLevel(alert.level), 0):
                alert.level = level
            changed[alert.pk] = (alert, spec, notes, person_id)
            grown.add(alert.pk)
        fresh = [pk for pk in evidence if pk not in have[alert.pk]]
        if not fresh:
            continue
        have[alert.pk].update(fresh)
        rows.extend((alert.pk, pk) for pk in fresh)
        changed[alert.pk] = (alert, spec, notes, person_id)
        grown.add(alert.pk)
    explainer.load(pk for alert_id in changed for pk in have[alert_id])
    for alert, spec, notes, person_id in changed.values():
        alert.explanation, alert.explanation_restricted = explainer.texts(
            spec, sorted(have[alert.pk]), notes, alert.score, person_id
        )
        if alert.pk in grown:  # words written again alone add no evidence to the alert's history
            alert.evidence_updated_at = now
        alert.evidence_count = len(have[alert.pk])
    Alert.objects.bulk_update(
        [alert for alert, *_ in changed.values()],
        ["explanation", "explanation_restricted", "evidence_updated_at", "evidence_count", "person", "score", "level"],
        batch_size=1000,
    )
    # An alert already dealt with comes back to the queue with its new evidence: decided by its status
    # as it is written, whoever changed it since it was read.
    for chunk in _chunks(sorted({alert_id for alert_id, _ in rows})):
        Alert.objects.filter(pk__in=chunk).exclude(status__in=OPEN_STATUSES).update(new_evidence_since_action=True)
    # The evidence already held of each alert whose words were written again says how it was marked then
    # (the new evidence is written so by the caller).
    restricted = explainer.restricted if changed else set()
    for chunk in _chunks(sorted(changed)):
        held = {pk for alert_id in chunk for pk in have[alert_id] if pk in restricted}
        AlertEvidence.objects.filter(alert_id__in=chunk, police_only_when_written=False, event_id__in=held).update(
            police_only_when_written=True)
        AlertEvidence.objects.filter(alert_id__in=chunk, police_only_when_written=True).exclude(event_id__in=held).update(
            police_only_when_written=False)
    return rows
