"""The missed-opportunity report: for each child referred to the panel, every sign the agencies held
before the child's first referral (when, in which agency), and which rule would have fired on it or
did — the question a child safeguarding practice review asks — with counts by age, sex and agency,
so the partnership sees whom its rules miss.

The child's *first referral* is the first concern anyone recorded (in an agency's extract or at the
front door) or the panel referral itself, whichever came first (as back-tests count it). A rule
*would have fired* when the switched-on rules, evaluated over the history the hub holds now, raise
an episode for the child that began before that moment; an alert *did fire* when the hub raised
one before it. A child whose signs no rule would have caught before the referral is *missed*.

Only the children referred, and the events naming a contact (for the rule linking children), are
read; who else was at risk comes from the alerts held, as an incremental scan reads it. The report
holds restricted police intelligence marked as such, for the selectors to leave undescribed to
readers who may not see it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import statistics
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

import pyarrow as pa
from django.db import transaction
from django.db.models import Count, F, Max
from django.utils import timezone

from safeguarding.accounts.models import Agency
from safeguarding.core import normalise
from safeguarding.earlywarning import engine, loader, sources
from safeguarding.earlywarning.models import Alert, Rule, RuleKind, StoredMissedOpportunities
from safeguarding.earlywarning.rules import RuleError, RuleSpec, rule_spec
from safeguarding.earlywarning.scan import evaluate, known_at_risk
from safeguarding.exchange.models import ImportRun, ImportStatus
from safeguarding.people.models import Event, EventType, Person, PersonChange, SourceRecord, restricted_events

# Not signs about the child: the referral itself, what agencies did, routine contacts, and what is
# recorded about adults (arrests, charges, convictions, licensing complaints).
NOT_SIGNS = frozenset({
    EventType.CONCERN, EventType.RETURN_HOME_INTERVIEW, EventType.OTHER, EventType.ARREST, EventType.CHARGE,
    EventType.CONVICTION, EventType.LICENSING_COMPLAINT,
})
AGE_BANDS = ((0, 9, "under 10"), (10, 12, "10 to 12"), (13, 15, "13 to 15"), (16, 17, "16 or 17"))
AGE_UNKNOWN = "age not known"
SEXES = {"F": "female", "M": "male", "X": "other"}
SEX_UNKNOWN = "not known"


@dataclass(frozen=True)
class Sign:
    event_id: int
    occurred_at: dt.datetime
    agency: str
    event_type: str
    restricted: bool  # police intelligence not to be shared beyond the police
    rules: tuple[str, ...]  # names of the rules whose episode before the referral includes it


@dataclass(frozen=True)
class Firing:
    rule: str
    at: dt.datetime
    alert: str = ""  # the alert's reference, when the hub did raise it
    restricted: bool = False  # the episode rests on police intelligence not to be shared beyond the police


@dataclass
class ChildReview:
    person_id: int
    reference: str
    name: str
    date_of_birth: str
    sex: str
    age_band: str
    first_referral: dt.datetime
    panel_referral: dt.datetime
    signs: list[Sign] = field(default_factory=list)
    would_fire: list[Firing] = field(default_factory=list)  # the first episode of each rule before the referral
    did_fire: list[Firing] = field(default_factory=list)  # alerts the hub raised before the referral

    @property
    def missed(self) -> bool:
        return bool(self.signs) and not self.would_fire

    @property
    def first_flag(self) -> dt.datetime | None:
        moments = [f.at for f in self.would_fire]
        return min(moments) if moments else None

    @property
    def lead_days(self) -> int | None:
        """Days from the first rule that would have fired to the first referral."""
        first = self.first_flag
        return None if first is None else (self.first_referral - first).days

    def lead_days_shown(self, *, sees_restricted: bool) -> int | None:
        """``lead_days`` as a reader may know it: for one who may not see the police intelligence an
        episode rests on, from the first episode that does not (with the referral's date, the other's
        would say when the police learnt something)."""
        if sees_restricted:
            return self.lead_days
        moments = [f.at for f in self.would_fire if not f.restricted]
        return None if not moments else (self.first_referral - min(moments)).days

    @property
    def agencies(self) -> set[str]:
        return {sign.agency for sign in self.signs}


@dataclass
class GroupCount:
    """One row of the counts: children referred in the group, and what the rules did for them."""

    group: str
    referred: int = 0
    with_signs: int = 0
    would_flag: int = 0
    did_flag: int = 0
    missed: int = 0
    signs: int = 0
    leads: list[int] = field(default_factory=list)

    def add(self, child: ChildReview, signs: int | None = None, *, sees_restricted: bool = True) -> None:
        self.referred += 1
        self.with_signs += bool(child.signs)
        self.would_flag += bool(child.would_fire)
        self.did_flag += bool(child.did_fire)
        self.missed += child.missed
        self.signs += len(child.signs) if signs is None else signs
        lead = child.lead_days_shown(sees_restricted=sees_restricted)
        if lead is not None:
            self.leads.append(lead)

    @property
    def median_lead_days(self) -> float | None:
        return statistics.median(self.leads) if self.leads else None


@dataclass
class MissedOpportunities:
    as_of: dt.datetime
    children: list[ChildReview]
    rules: list[str]

    def counts(self, by: str, *, sees_restricted: bool = True) -> list[GroupCount]:
        """Counts by ``age``, ``sex`` or ``agency`` (a child counts under every agency that held a sign
        about them, with that agency's signs); the median lead as a reader may know it
        (``ChildReview.lead_days_shown``)."""
        groups: dict[str, GroupCount] = {}
        order = {
            "age": [label for *_, label in AGE_BANDS] + [AGE_UNKNOWN],
            "sex": [*SEXES.values(), SEX_UNKNOWN],
        }.get(by, [])
        for label in order:
            groups[label] = GroupCount(label)
        for child in self.children:
            if by == "agency":
                for agency in sorted(child.agencies):
                    groups.setdefault(agency, GroupCount(agency)).add(
                        child, signs=sum(1 for s in child.signs if s.agency == agency), sees_restricted=sees_restricted
                    )
                continue
            label = child.age_band if by == "age" else child.sex
            groups.setdefault(label, GroupCount(label)).add(child, sees_restricted=sees_restricted)
        return [g for g in groups.values() if g.referred or by != "agency"]

    def total(self, *, sees_restricted: bool = True) -> GroupCount:
        everyone = GroupCount("all children referred")
        for child in self.children:
            everyone.add(child, sees_restricted=sees_restricted)
        return everyone


def _age_band(dob: str, on: dt.date) -> str:
    born = normalise.partial_date(dob)
    if born is None:
        return AGE_UNKNOWN
    age = normalise.age_on(born, on)
    for low, high, label in AGE_BANDS:
        if low <= age <= high:
            return label
    return AGE_UNKNOWN


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment


def missed_opportunities(*, as_of: dt.datetime | None = None) -> MissedOpportunities:
    """The report for every child referred to the panel (``earlywarning.sources``), with the rules
    switched on now."""
    moment = as_of or timezone.now()
    panel: dict[int, dt.datetime] = {}
    for person_id, referred in sources.panel_referrals():
        if referred <= moment and (person_id not in panel or referred < panel[person_id]):
            panel[person_id] = referred
    rules = list(Rule.objects.filter(enabled=True))
    specs: list[RuleSpec] = []
    for rule in rules:
        try:
            specs.append(rule_spec(rule))
        except RuleError:
            continue
    names = {spec.code: spec.name for spec in specs}
    report = MissedOpportunities(as_of=moment, children=[], rules=[spec.name for spec in specs])
    if not panel:
        return report
    ids = sorted(panel)
    first = dict(panel)
    for person_id, referred in sources.referrals():
        if person_id in first and referred < first[person_id]:
            first[person_id] = referred

    con = engine.connect()
    try:
        loader.load_events(con, person_ids=ids, with_contacts=True)
        episodes = evaluate(con, specs, moment, known_at_risk(rules), ids).to_pylist()
        # A concern in an agency's extract is a referral too.
        wanted = pa.table({"person_id": pa.array(ids, type=pa.int64())})
        con.register("referred_children", wanted)
        concerns = con.execute(
            "SELECT person_id, event_pk, ts FROM cev JOIN referred_children USING (person_id) "
            "WHERE event_type = 'concern'"
        ).fetchall()
        # The child's own events, and those on another person's record that the rules count for the children
        # they name (police intelligence on an adult's record: ``nev``), with which is which.
        rows = con.execute(
            "SELECT event_pk, person_id, agency_id, event_type, ts, named FROM ("
            "SELECT event_pk, person_id, agency_id, event_type, ts, FALSE AS named FROM cev "
            "UNION ALL SELECT event_pk, person_id, agency_id, event_type, ts, TRUE FROM nev) "
            "JOIN referred_children USING (person_id) ORDER BY person_id, ts, event_pk"
        ).fetchall()
        con.unregister("referred_children")
    finally:
        con.close()

    # But not one the police hold under conditions: it was no referral the partnership could act on, and
    # its date, shown as the first referral to every reader, would say when the police learnt something.
    police_only = _restricted(int(pk) for _, pk, _ in concerns)
    for person_id, pk, at in concerns:
        if int(pk) not in police_only:
            first[int(person_id)] = min(first[int(person_id)], _aware(at))

    # Which rules would have fired before each child's first referral, and on which events.
    would: dict[int, dict[str, dt.datetime]] = defaultdict(dict)
    would_evidence: dict[tuple[int, str], list[int]] = {}
    rules_of_event: dict[int, set[str]] = defaultdict(set)
    for episode in episodes:
        person_id = int(episode["person_id"])
        if person_id not in first:
            continue
        began = _aware(episode["first_at"])
        if began >= first[person_id]:
            continue
        code = episode["rule_code"]
        if code not in would[person_id] or began < would[person_id][code]:
            would[person_id][code] = began
            would_evidence[person_id, code] = [int(pk) for pk in episode["evidence"]]
        for pk in episode["evidence"]:
            rules_of_event[int(pk)].add(names[code])

    signs_of: dict[int, list[tuple[int, int, str, dt.datetime]]] = defaultdict(list)
    named: set[int] = set()
    for pk, person_id, agency_id, event_type, ts, on_another_record in rows:
        moment_at = _aware(ts)
        if event_type in NOT_SIGNS or moment_at >= first[int(person_id)]:
            continue
        signs_of[int(person_id)].append((int(pk), int(agency_id), event_type, moment_at))
        if on_another_record:
            named.add(int(pk))
    sign_pks = [pk for signs in signs_of.values() for pk, *_ in signs]
    # Police intelligence on another person's record that names the child is held as police-only, whatever
    # its marking: that someone's record names the child, and whose, is the police's (and the networks').
    restricted = _restricted([*sign_pks, *(pk for pks in would_evidence.values() for pk in pks)]) | named
    agencies = dict(Agency.objects.values_list("pk", "name"))

    did: dict[int, list[Firing]] = defaultdict(list)
    raised = list(Alert.objects.filter(person__root_id__in=ids).order_by("raised_at", "pk")
                  .values_list("pk", "person__root_id", "rule__name", "raised_at", "trigger_event_id"))
    # An alert tipped by an event that stays with the police is dated by that event: kept from others. So is
    # one a rule weighing signs raised at the moment of intelligence on another person's record that names
    # the child (keyed by the child's own sign before it: ``engine._score_sql``).
    police_tipped = _restricted(trigger for *_, trigger in raised)
    police_tipped |= set(Alert.objects.filter(person__root_id__in=ids, rule__kind=RuleKind.SCORE)
                         .exclude(raised_at=F("trigger_event__occurred_at")).values_list("trigger_event_id", flat=True))
    for alert_pk, person_id, rule_name, raised_at, trigger in raised:
        if raised_at < first[person_id]:
            did[person_id].append(Firing(rule_name, raised_at, f"A{alert_pk:06d}", restricted=trigger in police_tipped))

    people = {p.pk: p for p in Person.objects.filter(pk__in=ids)}
    for person_id in ids:
        person = people.get(person_id)
        if person is None:
            continue
        referred = first[person_id]
        report.children.append(ChildReview(
            person_id=person_id,
            reference=person.reference,
            name=person.full_name,
            date_of_birth=person.date_of_birth,
            sex=SEXES.get(person.sex, SEX_UNKNOWN),
            age_band=_age_band(person.date_of_birth, timezone.localtime(referred).date()),
            first_referral=referred,
            panel_referral=panel[person_id],
            signs=[
                Sign(pk, at, agencies.get(agency_id, "an agency"), event_type, pk in restricted,
                     tuple(sorted(rules_of_event.get(pk, ()))))
                for pk, agency_id, event_type, at in signs_of[person_id]
            ],
            would_fire=sorted((Firing(names[code], at, restricted=any(
                pk in restricted for pk in would_evidence.get((person_id, code), ())))
                for code, at in would[person_id].items()), key=lambda f: f.at),
            did_fire=did[person_id],
        ))
    report.children.sort(key=lambda c: (c.first_referral, c.person_id))
    return report


def _restricted(pks: Iterable[int]) -> set[int]:
    """Which of these events stay with the police (``people.models.is_restricted``)."""
    wanted = sorted(set(pks))
    found: set[int] = set()
    for start in range(0, len(wanted), 2000):
        found.update(
            Event.objects.filter(restricted_events(), pk__in=wanted[start:start + 2000]).values_list("pk", flat=True)
        )
    return found


# --- the report kept between visits ---------------------------------------------------------------
# Working the report out reads every event that names a contact and evaluates every rule: seconds on
# a real partnership. The page reads the stored report while nothing it is worked out from has
# changed (the fingerprint), so it is never stale; the scan after an import stores a fresh one, so a
# reader rarely waits.


def fingerprint() -> str:
    """A digest of everything ``missed_opportunities`` reads: a few indexed aggregates, not the events."""
    parts = {
        "panel": sorted((int(p), r.isoformat()) for p, r in sources.panel_referrals()),
        "referrals": sorted((int(p), r.isoformat()) for p, r in sources.referrals()),
        "rules": list(Rule.objects.filter(enabled=True).order_by("pk").values_list("pk", "version", "changed_at")),
        "events": Event.objects.aggregate(n=Count("pk"), last=Max("pk")),
        "alerts": Alert.objects.aggregate(n=Count("pk"), last=Max("pk")),
        "identity": PersonChange.objects.aggregate(last=Max("pk"))["last"],
        "records": SourceRecord.objects.aggregate(last=Max("pk")),
        # An import that only re-marks events (the police marking one C) adds none, but changes what the
        # report may say of them.
        "imports": ImportRun.objects.filter(status=ImportStatus.COMPLETED).aggregate(last=Max("finished_at")),
    }
    return hashlib.sha256(json.dumps(parts, default=str, sort_keys=True).encode()).hexdigest()


def _when(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def _to_json(report: MissedOpportunities) -> dict[str, object]:
    def firing(f: Firing) -> list[str | bool]:
        return [f.rule, f.at.isoformat(), f.alert, f.restricted]

    return {
        "as_of": report.as_of.isoformat(),
        "rules": report.rules,
        "children": [
            {
                "person_id": c.person_id, "reference": c.reference, "name": c.name,
                "date_of_birth": c.date_of_birth, "sex": c.sex, "age_band": c.age_band,
                "first_referral": c.first_referral.isoformat(), "panel_referral": c.panel_referral.isoformat(),
                "signs": [[s.event_id, s.occurred_at.isoformat(), s.agency, s.event_type, s.restricted, list(s.rules)]
                          for s in c.signs],
                "would_fire": [firing(f) for f in c.would_fire],
                "did_fire": [firing(f) for f in c.did_fire],
            }
            for c in report.children
        ],
    }


def _firing(stored: list[str | bool]) -> Firing:
    """A firing as stored: a report kept before firings said whether they rest on police-only
    intelligence counts them as resting on it (nothing is shown that might)."""
    rule, at, alert, *rest = stored
    return Firing(str(rule), _when(str(at)), str(alert), bool(rest[0]) if rest else True)


def _from_json(data: dict[str, object]) -> MissedOpportunities:
    children = []
    for c in data["children"]:  # type: ignore[attr-defined]
        children.append(ChildReview(
            person_id=c["person_id"], reference=c["reference"], name=c["name"], date_of_birth=c["date_of_birth"],
            sex=c["sex"], age_band=c["age_band"], first_referral=_when(c["first_referral"]),
            panel_referral=_when(c["panel_referral"]),
            signs=[Sign(pk, _when(at), agency, kind, restricted, tuple(rules))
                   for pk, at, agency, kind, restricted, rules in c["signs"]],
            would_fire=[_firing(f) for f in c["would_fire"]],
            did_fire=[_firing(f) for f in c["did_fire"]],
        ))
    return MissedOpportunities(as_of=_when(str(data["as_of"])), children=children, rules=list(data["rules"]))  # type: ignore[call-overload]


def refresh_missed_opportunities(key: str | None = None) -> MissedOpportunities:
    """Work the report out now and keep it (the scan after an import calls this). ``key``: the
    fingerprint, when the caller has just read it."""
    key = key or fingerprint()
    started = time.perf_counter()
    report = missed_opportunities()
    seconds = time.perf_counter() - started
    with transaction.atomic():
        StoredMissedOpportunities.objects.all().delete()
        StoredMissedOpportunities.objects.create(
            fingerprint=key, computed_at=report.as_of, seconds=seconds, payload=_to_json(report),
        )
    return report


def current_missed_opportunities() -> MissedOpportunities:
    """The report as it stands: the stored one while nothing it comes from has changed, otherwise
    worked out again (and stored)."""
    stored = StoredMissedOpportunities.objects.order_by("-computed_at").first()
    key = fingerprint()
    if stored is not None and stored.fingerprint == key:
        return _from_json(stored.payload)
    return refresh_missed_opportunities(key)
