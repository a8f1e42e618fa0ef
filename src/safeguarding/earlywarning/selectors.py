"""Reading alerts and rules: always through the access gateway."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import (
    BooleanField,
    Case,
    Count,
    DateTimeField,
    Exists,
    ExpressionWrapper,
    F,
    FloatField,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce, NullIf
from django.http import Http404

from safeguarding.accounts.access import (
    Capability,
    has,
    not_hidden,
    one_or_404,
    persons_hidden_from,
    require,
    sees_alerts,
    sees_police_only_links,
    sees_restricted_intelligence,
)
from safeguarding.accounts.models import User
from safeguarding.audit.models import AuditEventType
from safeguarding.audit.services import audit_record
from safeguarding.core.lists import Column, Listing, Sort, listing, period
from safeguarding.earlywarning.forms import AlertFilters
from safeguarding.earlywarning.missed import (
    ChildReview,
    GroupCount,
    MissedOpportunities,
    Sign,
    current_missed_opportunities,
)
from safeguarding.earlywarning.models import (
    LINK_NOTE_ENDING,
    NAMED_NOTE_ENDING,
    OPEN_STATUSES,
    Alert,
    AlertEvidence,
    AlertLevel,
    AlertStatus,
    Rule,
    RuleKind,
    RulePrecision,
    RuleTest,
    evidence_remarked_since_written,
)
from safeguarding.people import identity
from safeguarding.people.models import Event, Person, restricted_events
from safeguarding.people.selectors import events_visible_to, person_named


def alerts_visible_to(user: User) -> Q:
    """A filter on ``Alert`` (``accounts.access.sees_alerts``)."""
    return Q() if sees_alerts(user) else Q(pk__in=[])


def alert_for_user_or_404(user: User, alert_id: int) -> Alert:
    """The alert, if this user may see alerts; the view is audited. Else Http404."""
    return one_or_404(
        Alert.objects.filter(alerts_visible_to(user), pk=alert_id).select_related("rule", "person"),
        user=user,
        event_type=AuditEventType.ALERT_VIEWED,
        target_kind="alert",
        person_of=lambda alert: alert.person_id,
    )

_LEVEL_ORDER = Case(
    When(level=AlertLevel.HIGH, then=Value(3)),
    When(level=AlertLevel.MEDIUM, then=Value(2)),
    default=Value(1),
    output_field=IntegerField(),
)


def _latest_precision() -> QuerySet[RulePrecision]:
    """The latest back-test of the alert's rule version at the alert's level (for ``Subquery``)."""
    return RulePrecision.objects.filter(
        rule=OuterRef("rule"), version=OuterRef("rule_version"), level=OuterRef("level")
    ).order_by("-computed_at", "-pk")


def raised_shown(user: User | None) -> Case | F:
    """When an alert is dated for this reader (``None``: a reader the hub cannot check, such as an export
    or the concern raised from the alert, which goes to the front door). ``raised_at`` is the moment of
    the event that tipped the pattern; when that event stays with the police (``is_restricted``, as the
    event is marked now), its moment would say when the police learnt something. Others are given the
    moment of the latest event of the alert's evidence they may see, up to then, or, if there is none,
    when the hub raised the alert. So too when an event on another person's record that names the child
    tipped a rule weighing signs (police intelligence on an adult's: the alert is keyed by the child's own
    sign before it, so its moment is not the key's, ``engine._score_sql``)."""
    if user is not None and sees_restricted_intelligence(user):
        return F("raised_at")
    # Judged on the evidence's own event (joined), not NOT IN over every restricted event (handling is
    # never NULL, so the negation holds).
    seen = (AlertEvidence.objects.filter(alert=OuterRef("pk"), event__occurred_at__lte=OuterRef("raised_at"))
            .exclude(restricted_events("event__")).order_by("-event__occurred_at").values("event__occurred_at")[:1])
    return Case(
        When(Exists(Event.objects.filter(restricted_events(), pk=OuterRef("trigger_event_id")))
             | (Q(rule__kind=RuleKind.SCORE) & ~Q(raised_at=F("trigger_event__occurred_at"))),
             then=Coalesce(Subquery(seen, output_field=DateTimeField()), F("created_at"))),
        default=F("raised_at"), output_field=DateTimeField(),
    )


def alert_raised_shown(*, user: User | None, alert: Alert) -> dt.datetime:
    """``raised_shown`` for one alert."""
    moment: dt.datetime = Alert.objects.filter(pk=alert.pk).annotate(shown=raised_shown(user)).values_list(
        "shown", flat=True).get()
    return moment


def alert_queue(*, user: User, include_closed: bool = False) -> QuerySet[Alert]:
    """Alerts waiting for someone to act, the strongest evidence first, so that a panel sees the
    likeliest first: by level (a rule weighing signs is high when they reach its high mark), then by
    how precise the rule that raised it has been in back-testing (at that level: the share of the
    children it flagged who were referred later; not yet back-tested last), then by the points of a
    rule weighing signs, then newest. Only for those who work the queue (MACE coordinators and
    triage workers)."""
    if not has(user, Capability.WORK_ALERTS):
        return Alert.objects.none()
    alerts = Alert.objects.filter(alerts_visible_to(user), not_hidden(user, "person"))
    if not include_closed:
        # Closed alerts come back when a scan adds new evidence to them.
        alerts = alerts.filter(Q(status__in=OPEN_STATUSES) | Q(new_evidence_since_action=True))
    share = ExpressionWrapper(
        F("referred_later") * 1.0 / NullIf(F("referred_later") + F("never_referred"), 0), output_field=FloatField()
    )
    return (
        alerts.select_related("rule", "person")
        .annotate(
            level_order=_LEVEL_ORDER,
            referred_share=Subquery(_latest_precision().annotate(later_share=share).values("later_share")[:1],
                                    output_field=FloatField()),
            raised_shown=raised_shown(user),
        )
        .order_by(
            "-level_order", F("referred_share").desc(nulls_last=True), F("score").desc(nulls_last=True),
            "-raised_shown", "-pk",
        )
    )


def precision_of(alerts: Iterable[Alert]) -> dict[int, RulePrecision]:
    """The latest back-test of each alert's rule version at its level, by alert, in one query."""
    alerts = list(alerts)
    keys = {(a.rule_id, a.rule_version, a.level) for a in alerts}
    if not keys:
        return {}
    wanted = Q()
    for rule_id, version, level in keys:
        wanted |= Q(rule_id=rule_id, version=version, level=level)
    latest: dict[tuple[int, int, str], RulePrecision] = {}
    for row in RulePrecision.objects.filter(wanted).order_by("computed_at", "pk"):
        latest[(row.rule_id, row.version, row.level)] = row
    return {
        a.pk: latest[(a.rule_id, a.rule_version, a.level)]
        for a in alerts
        if (a.rule_id, a.rule_version, a.level) in latest
    }


def rule_precision(*, alert: Alert) -> list[RulePrecision]:
    """For one alert's page: the latest back-test of its rule version at each level it has (a rule
    weighing signs: at any strength, and at its high mark), the alert's own level first."""
    latest: dict[str, RulePrecision] = {}
    for row in RulePrecision.objects.filter(rule_id=alert.rule_id, version=alert.rule_version).order_by(
        "computed_at", "pk"
    ):
        latest[row.level] = row
    return sorted(latest.values(), key=lambda row: (row.level != alert.level, row.level))


def alerts_for_person(*, user: User, person: Person) -> QuerySet[Alert]:
    """A child's alerts for their single view, open ones first, with those raised on any person
    record linkage has since merged into them. The caller has already opened the person through
    ``people.selectors.person_for_user_or_404``."""
    return (
        Alert.objects.filter(alerts_visible_to(user), identity.same_person("person", person))
        .select_related("rule")
        .annotate(
            open_first=Case(
                When(status__in=[AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED], then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            ),
            raised_shown=raised_shown(user),
        )
        .order_by("open_first", "-raised_shown")
    )


# The shared words of an alert one of whose events the police hold now (a later extract marked it C)
# and did not hold when the words were written: the words may describe it.
REMARKED_SINCE = ("Some of the records this alert rests on have since been marked by the police as not to be "
                  "shared beyond them, so why it was raised is not shown here: ask the police safeguarding team.")


def remarked_since_written(alerts: Iterable[int] | None = None) -> set[int]:
    """Which alerts' shared words may describe an event the police hold now: one of their events was
    shared when the words were written (``AlertEvidence.police_only_when_written``) and stays with the
    police now. Whether or not the words already counted other police-only events: the newly marked one
    is described in them all the same. Those words are shown to no one outside the police until a scan
    writes them again (``scan._apply``): they come from the rule's evaluation, which the alert does not
    keep, so they cannot be rewritten at each read. Of ``alerts``, or of every alert (an export: one read
    of the evidence)."""
    evidence = evidence_remarked_since_written()
    if alerts is not None:
        evidence = evidence.filter(alert_id__in=list(alerts))
    return set(evidence.values_list("alert_id", flat=True).distinct())


def shared_explanation(alert: Alert) -> str:
    """The words every casework reader may see."""
    return REMARKED_SINCE if alert.pk in remarked_since_written([alert.pk]) else alert.explanation


LINKS_NOT_SHOWN = ("It also rests on what this child shares with another child already alerted (an adult, a "
                   "vehicle, a place or a phone). The networks are shown only to those who work on them: ask the "
                   "MACE coordinator if you need to know.")
NEW_LINK_NOT_SHOWN = ("It rests on a new link between this child and an adult, a vehicle, a place or a phone already "
                      "linked to another child. The networks are shown only to those who work on them: ask the MACE "
                      "coordinator if you need to know.")


NAMED_NOT_SHOWN = ("It also rests on police intelligence you may not see here. Ask the police safeguarding team if "
                   "you need to know.")


def without_named(text: str) -> str:
    """An alert's words without the events held on another person's record that name the child (police
    intelligence on an adult's record), with one sentence saying it rests on police intelligence and whom to
    ask: that someone's record names the child is network knowledge, and which adult is the police's."""
    lines = text.split("\n")
    kept = [line for line in lines if not line.endswith(NAMED_NOTE_ENDING)]
    return "\n".join(kept if len(kept) == len(lines) else [*kept, NAMED_NOT_SHOWN])


def without_links(alert: Alert, text: str) -> str:
    """An alert's words for a reader who does not see networks (a survivor support worker; a child's
    subject access bundle; a concern raised from the alert, which every casework role reads): what the
    child shares with another child already alerted, and the other child, are left out, and one
    sentence says so; so are the events held on another person's record that name the child
    (``without_named``). A new-link alert is all link: it is told in that sentence alone, unless its link is
    police-only (or marked so since), whose shared words already say only whom to ask: the police."""
    if alert.rule.kind == RuleKind.NEW_LINK:
        return text if alert.explanation_restricted or text == REMARKED_SINCE else NEW_LINK_NOT_SHOWN
    lines = without_named(text).split("\n")
    kept = [line for line in lines if not line.endswith(LINK_NOTE_ENDING)]
    return "\n".join(kept if len(kept) == len(lines) else [*kept, LINKS_NOT_SHOWN])


def alert_explanation(*, user: User, alert: Alert) -> str:
    """Why the alert was raised, in the words this reader may see: the full text (describing police
    intelligence that may not go beyond the police) only for those who may see that intelligence; a
    new-link alert's, which names what a police-only link joins, only for those who may see such links;
    the links to other children only for those who see networks (``without_links``)."""
    allowed = sees_police_only_links(user) if alert.rule.kind == RuleKind.NEW_LINK else sees_restricted_intelligence(user)
    text = (alert.explanation_restricted or alert.explanation) if allowed else shared_explanation(alert)
    return text if has(user, Capability.VIEW_NETWORKS) else without_links(alert, text)


_PERSON_REFERENCE = re.compile(r"\bP(\d{7})\b")


@dataclass(frozen=True)
class ExplanationPart:
    """A piece of an alert's explanation: text, or a person it names (``person_id`` set when this
    reader may open their single view, so the page links it)."""

    text: str
    person_id: int | None = None


def alert_explanation_parts(*, user: User, alert: Alert) -> list[ExplanationPart]:
    """The explanation this reader may see (``alert_explanation``), with each person it names by hub
    reference (another child in the same car, the adult both were seen with) made a link for those who
    may open the single view; a person sealed away from the reader is named only as a restricted record."""
    return explanation_parts(alert_explanation(user=user, alert=alert), hidden=persons_hidden_from(user),
                             may_open=has(user, Capability.VIEW_PERSON))


def explanation_parts(text: str, *, hidden: Collection[int], may_open: bool = False) -> list[ExplanationPart]:
    """An explanation's text cut at each person it names by hub reference: a person in ``hidden`` (every
    id a sealed person has had) becomes "a restricted record"; another, when ``may_open``, a link."""
    if not _PERSON_REFERENCE.search(text):
        return [ExplanationPart(text)]
    named = {int(m.group(1)) for m in _PERSON_REFERENCE.finditer(text)}
    existing = set(Person.objects.filter(pk__in=named).values_list("pk", flat=True)) if may_open else set()
    parts: list[ExplanationPart] = []
    at = 0
    for match in _PERSON_REFERENCE.finditer(text):
        parts.append(ExplanationPart(text[at:match.start()]))
        pk = int(match.group(1))
        if pk in hidden:
            parts.append(ExplanationPart("a restricted record"))
        elif may_open and pk in existing:
            parts.append(ExplanationPart(match.group(0), person_id=pk))
        else:
            parts.append(ExplanationPart(match.group(0)))
        at = match.end()
    parts.append(ExplanationPart(text[at:]))
    return [part for part in parts if part.text]


def explanation_in_words(text: str, *, hidden: Collection[int]) -> str:
    """The explanation as plain text with every person in ``hidden`` named only as a restricted record:
    for a CSV, or the start of a concern."""
    return "".join(part.text for part in explanation_parts(text, hidden=hidden))


def alert_evidence(*, user: User, alert: Alert) -> QuerySet[Event]:
    """The events behind an alert that this user may see, oldest first, with their agencies: not
    police-only intelligence for those outside the police, and not the events of another person
    sealed from the user (another child in the same car)."""
    # Another child's events (the other child in the same car), and police intelligence on an adult's record
    # that names the child, are network knowledge.
    own = identity.same_person("source_record__person", alert.person)
    theirs = Q() if has(user, Capability.VIEW_NETWORKS) else own
    return (
        Event.objects.filter(theirs, events_visible_to(user), not_hidden(user, "source_record__person"),
                             pk__in=alert.evidence.values("event_id"))
        .select_related("source_system__agency")
        # for the page: an event on another person's record is said to be so
        .annotate(on_another_record=Case(When(own, then=Value(False)), default=Value(True), output_field=BooleanField()))
        .order_by("occurred_at", "pk")
    )


def hidden_evidence_count(*, user: User, alert: Alert) -> int:
    """How many of the alert's events this user may not see (police-only intelligence, another
    person's sealed record): the page says so, so nobody mistakes a partial picture for the whole."""
    return alert.evidence.count() - alert_evidence(user=user, alert=alert).count()


# --- rules, for administrators -------------------------------------------------------------------


def rules_for_admin(*, user: User) -> QuerySet[Rule]:
    require(user, Capability.CONFIGURE_TOOLS)
    return Rule.objects.all()


def rule_for_admin_or_404(*, user: User, code: str) -> Rule:
    """A rule for an administrator to change. The permission is checked before anything is read,
    so a forbidden page answers the same whether or not the rule exists."""
    require(user, Capability.CONFIGURE_TOOLS)
    rule = Rule.objects.filter(code=code).first()
    if rule is None:
        raise Http404
    return rule


def rule_test_for_admin_or_404(
    *, user: User, test_id: int, kind: str | None = None, rule: Rule | None = None, of_rule: bool = False
) -> RuleTest:
    """A test against history; with ``of_rule``, only if it tests this rule (or a new rule of this kind)."""
    require(user, Capability.CONFIGURE_TOOLS)
    tests = RuleTest.objects.filter(pk=test_id).select_related("rule")
    if of_rule:
        tests = tests.filter(kind=kind, rule=rule)
    test = tests.first()
    if test is None:
        raise Http404
    return test


def alerts_for_subject_access(*, user: User, person: Person) -> list[Alert]:
    """Every alert about the person under any id they have had, for their own subject access request
    (the data protection officer only). Explanations are stored without restricted content."""
    if not has(user, Capability.SUBJECT_ACCESS):
        return []
    return list(
        Alert.objects.filter(identity.same_person("person", person)).select_related("rule")
        .annotate(raised_shown=raised_shown(None)).order_by("raised_shown", "pk")
    )


# --- the missed-opportunity report ------------------------------------------------------------------


@dataclass(frozen=True)
class ChildShown:
    """One referred child as this reader may see them: police intelligence not to be shared beyond
    the police is counted for other readers, never described."""

    child: ChildReview
    signs: list[Sign]
    signs_withheld: int
    # (rule, the day it would have fired): None for a reader who may not see the police intelligence
    # its episode rests on, as its date would say when the police learnt something
    would_fire: list[tuple[str, dt.datetime | None]] = field(default_factory=list)
    # (alert, rule, when it was raised): None likewise, for an alert tipped by such intelligence
    did_fire: list[tuple[str, str, dt.datetime | None]] = field(default_factory=list)


@dataclass
class MissedOpportunityReport:
    report: MissedOpportunities
    identities: bool  # whether this reader sees each child, or the counts only
    total: GroupCount
    by_age: list[GroupCount]
    by_sex: list[GroupCount]
    by_agency: list[GroupCount]
    children: list[ChildShown] = field(default_factory=list)


def missed_opportunity_report(*, user: User) -> MissedOpportunityReport:
    """The report for this reader: the counts for the partnership manager and the MACE coordinator;
    each child, with the signs before their first referral, for the MACE coordinator only. A child
    whose record is sealed from the reader is left out of both. The viewing is audited."""
    require(user, Capability.READ_MISSED_OPPORTUNITIES)
    identities = has(user, Capability.REVIEW_MISSED_OPPORTUNITIES)
    report = current_missed_opportunities()
    hidden = persons_hidden_from(user)
    report.children = [child for child in report.children if child.person_id not in hidden]
    shown: list[ChildShown] = []
    sees_all = sees_restricted_intelligence(user)
    if identities:
        for child in report.children:
            signs = [sign for sign in child.signs if sees_all or not sign.restricted]
            would = [(f.rule, f.at if sees_all or not f.restricted else None) for f in child.would_fire]
            did = [(f.alert, f.rule, f.at if sees_all or not f.restricted else None) for f in child.did_fire]
            shown.append(ChildShown(child, signs, len(child.signs) - len(signs), would, did))
    with transaction.atomic():
        audit_record(
            event_type=AuditEventType.MISSED_OPPORTUNITIES_VIEWED,
            actor=user,
            target_kind="report",
            target_id="missed-opportunities",
            detail={"identities": identities, "children": len(report.children)},
        )
    return MissedOpportunityReport(
        report=report,
        identities=identities,
        total=report.total(sees_restricted=sees_all),
        by_age=report.counts("age", sees_restricted=sees_all),
        by_sex=report.counts("sex", sees_restricted=sees_all),
        by_agency=report.counts("agency", sees_restricted=sees_all),
        children=shown,
    )


# --- the alerts queue as a list: paged, filtered, sorted, downloadable (issue 16) -----------------

ALERT_SORTS = [
    Sort("level", ("level_order",)),
    Sort("child", ("person__family_name", "person__given_name")),
    Sort("rule", ("rule__name",)),
    Sort("raised", ("raised_shown",)),
    Sort("events", ("events_named",)),
]


def alerts_listing(*, user: User, query: Mapping[str, Any]) -> Listing[Alert]:
    """One page of the alerts queue (``alert_queue``'s order unless a column is chosen), narrowed by
    the filters in the address: whether dealt with, level, rule, child (name or hub reference), when
    raised."""
    filters = AlertFilters(query or None, rules=list(Rule.objects.order_by("name").values_list("pk", "name")))
    wanted = filters.values()
    alerts = alert_queue(user=user, include_closed=wanted.get("show") == "all").annotate(events_named=Count("evidence"))
    if wanted.get("level"):
        alerts = alerts.filter(level__in=wanted["level"])
    if wanted.get("rule"):
        alerts = alerts.filter(rule_id=wanted["rule"])
    if wanted.get("child"):
        alerts = alerts.filter(person_named("person", wanted["child"]))
    alerts = alerts.filter(**period("raised_shown", wanted.get("raised_from"), wanted.get("raised_to")))
    return listing(alerts, query=query, noun=("alert", "alerts"), filters=filters, sorts=ALERT_SORTS,
                   downloadable=True)


def alert_columns(*, user: User) -> list[Column[Alert]]:
    """The alerts queue's CSV: what the page shows, and the explanation in the words this reader may see
    (a person sealed from them named only as a restricted record)."""
    hidden = persons_hidden_from(user)
    return [
        Column("Alert", lambda a: a.reference),
        Column("Level", lambda a: a.get_level_display()),
        Column("Status", lambda a: a.get_status_display()),
        Column("Child's hub reference", lambda a: a.person.reference),
        Column("Child", lambda a: a.person.full_name),
        Column("Date of birth", lambda a: a.person.date_of_birth),
        Column("Rule", lambda a: a.rule.name),
        Column("Raised", lambda a: getattr(a, "raised_shown", a.raised_at)),
        Column("Events", lambda a: getattr(a, "events_named", "")),
        Column("Why", lambda a: explanation_in_words(alert_explanation(user=user, alert=a), hidden=hidden)),
    ]
