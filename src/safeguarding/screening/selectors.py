"""Reads for screening, each through the access gateway: the tool, a child's screenings and level,
the events that suggest answers, the approvals queue, and the counts at each level on a date."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import F, OuterRef, Q, QuerySet, Subquery
from django.http import Http404
from django.utils import timezone

from safeguarding.accounts.access import Capability, has, not_hidden, require, sees_restricted_intelligence
from safeguarding.accounts.models import User
from safeguarding.core.calendar import ENGLAND
from safeguarding.people import identity
from safeguarding.people.models import Event, Person, PersonRole, adults_on
from safeguarding.people.selectors import events_visible_to, person_for_user_or_404
from safeguarding.screening.models import (
    ApprovalStatus,
    RiskLevelChange,
    ScreeningAssessment,
    ScreeningStatus,
    ScreeningToolVersion,
)
from safeguarding.screening.tool import Section, SectionStatus, ToolConfig, sections

# --- the tool ----------------------------------------------------------------------------------


def tool_current() -> ScreeningToolVersion:
    """The newest version: the one new screenings are answered against. Setup installs version 1."""
    version = ScreeningToolVersion.objects.order_by("-number").first()
    if version is None:
        raise RuntimeError("No screening tool is installed: run `safeguarding migrate`")
    return version


def downgrade_needs_approval(version: ScreeningToolVersion) -> bool:
    """Whether a lower level judged on a screening answered against ``version`` waits for a second
    person: as that version says, or as the tool says now (a draft saved before the partnership
    switched approval on must not complete a downgrade without it)."""
    return version.tool.downgrade_needs_approval or tool_current().tool.downgrade_needs_approval


def tool_versions(*, user: User) -> QuerySet[ScreeningToolVersion]:
    require(user, Capability.CONFIGURE_TOOLS)
    return ScreeningToolVersion.objects.select_related("created_by").order_by("-number")


def tool_version_for_admin_or_404(*, user: User, number: int) -> ScreeningToolVersion:
    require(user, Capability.CONFIGURE_TOOLS)
    version = ScreeningToolVersion.objects.select_related("created_by").filter(number=number).first()
    if version is None:
        raise Http404
    return version


# --- a child's identity and level --------------------------------------------------------------


def level_in_force(person: Person) -> RiskLevelChange | None:
    """The child's latest level change, or None if never screened. Access already checked."""
    return (
        RiskLevelChange.objects.filter(identity.same_person("child", person))
        .select_related("assessment", "changed_by", "approved_by")
        .order_by("-effective_at", "-pk")
        .first()
    )


def children_screened_at_risk() -> set[int]:
    """Children (as record linkage now knows them) whose level in force is above the tool's lowest:
    asked by the rooms above, for their own rules (no user: the caller checks access)."""
    tool = tool_current().tool
    at_risk = set()
    for root, (_, code, _name, recorded_rank) in _latest_levels().items():
        rank = tool.rank(code)  # its place in the tool now, or where it stood if the tool dropped it
        if (recorded_rank if rank is None else rank) > 0:
            at_risk.add(root)
    return at_risk


def _latest_levels(before: dt.datetime | None = None) -> dict[int, tuple[dt.datetime, str, str, int]]:
    """Each child's level in force (by the id they are now): (since, code, name, rank), from the level
    history as it stood ``before`` a moment, or now. A child whose records were merged may have had
    levels under two ids: the latest counts."""
    changes = RiskLevelChange.objects.all() if before is None else RiskLevelChange.objects.filter(effective_at__lt=before)
    latest = changes.filter(child=OuterRef("child")).order_by("-effective_at", "-pk").values("pk")[:1]
    by_root: dict[int, tuple[dt.datetime, str, str, int]] = {}
    for root, code, name, rank, effective_at in (
        changes.annotate(latest=Subquery(latest)).filter(pk=F("latest"))
        .values_list("child__root_id", "level_code", "level_name", "level_rank", "effective_at")
    ):
        if root not in by_root or effective_at > by_root[root][0]:
            by_root[root] = (effective_at, code, name, rank)
    return by_root


def _level_name(current: RiskLevelChange | None) -> str:
    """The current tool's name for the level (the partnership may have renamed it since)."""
    if current is None:
        return ""
    return tool_current().tool.level_name(current.level_code, current.level_name)


@dataclass(frozen=True)
class ScreeningSummary:
    """The screening part of the child's single view: the level in force and every screening."""

    show: bool
    current: RiskLevelChange | None = None
    current_name: str = ""
    screenings: list[ScreeningAssessment] = field(default_factory=list)
    can_screen: bool = False

    @property
    def awaiting(self) -> list[ScreeningAssessment]:
        return [s for s in self.screenings if s.status == ScreeningStatus.AWAITING_APPROVAL]

    @property
    def own_draft(self) -> ScreeningAssessment | None:
        return next((s for s in self.screenings if s.status == ScreeningStatus.DRAFT), None)


def screening_summary(*, user: User, person: Person) -> ScreeningSummary:
    """``person`` is the one the single view opened through ``person_for_user_or_404``."""
    if not has(user, Capability.VIEW_PERSON):
        return ScreeningSummary(show=False)
    current = level_in_force(person)
    screenings = screenings_for_child(user=user, person=person)
    adult = person.child_or_adult() == PersonRole.ADULT
    return ScreeningSummary(
        # An adult's page (a suspect, a parent) has no "risk of exploitation" unless they were screened as a child.
        show=not adult or current is not None or bool(screenings),
        current=current,
        current_name=_level_name(current),
        screenings=screenings,
        can_screen=has(user, Capability.SCREEN) and not adult,
    )


# --- events that suggest answers ---------------------------------------------------------------

EVENT_CHOICES_PER_INDICATOR = 25


@dataclass
class IndicatorEvidence:
    """For one indicator: the child's events (that the user may see) of its evidence types, newest
    first, and which of them fall inside its look-back window (those make the hub suggest yes)."""

    offered: list[Event] = field(default_factory=list)
    suggested: list[Event] = field(default_factory=list)


def evidence_for_child(*, user: User, person: Person, tool: ToolConfig) -> dict[str, IndicatorEvidence]:
    """``person`` must come from ``person_for_user_or_404``. Restricted police intelligence is left
    out for users outside the police (``events_visible_to``), so it is never offered or suggested."""
    wanted = {t for i in tool.indicators for t in i.evidence_event_types}
    evidence = {i.code: IndicatorEvidence() for i in tool.indicators}
    if not wanted:
        return evidence
    events = list(
        Event.objects.filter(
            events_visible_to(user), identity.same_person("source_record__person", person), event_type__in=wanted
        )
        .select_related("source_system__agency")
        .order_by("-occurred_at", "-pk")
    )
    now = timezone.now()
    for indicator in tool.indicators:
        since = now - dt.timedelta(days=indicator.lookback_days)
        entry = evidence[indicator.code]
        for event in events:
            if event.event_type in indicator.evidence_event_types:
                if event.occurred_at >= since:
                    entry.suggested.append(event)
                if len(entry.offered) < EVENT_CHOICES_PER_INDICATOR or event.occurred_at >= since:
                    entry.offered.append(event)
    return evidence


def supporting_events_visible(
    *, user: User, assessments: Iterable[ScreeningAssessment]
) -> dict[int, list[Event]]:
    """Each answer's supporting events that this user may see, keyed by answer id. Those hidden from them
    (restricted intelligence the police attached, a record marked C since) are left out uncounted: a
    count, or a sentence shown only when there are some, would tell a reader outside the police what
    the police hold. Their pages say one fixed sentence instead (``police_may_hold``)."""
    from safeguarding.screening.models import ScreeningAnswer

    through = ScreeningAnswer.supporting_events.through
    answer_ids = [a.pk for assessment in assessments for a in assessment.answers.all()]
    links = list(
        through.objects.filter(screeninganswer_id__in=answer_ids).values_list("screeninganswer_id", "event_id")
    )
    visible = {
        e.pk: e
        for e in Event.objects.filter(events_visible_to(user), pk__in={e for _, e in links}).select_related(
            "source_system__agency"
        )
    }
    by_answer: dict[int, list[Event]] = {}
    for answer_id, event_id in links:
        if event_id in visible:
            by_answer.setdefault(answer_id, []).append(visible[event_id])
    for events in by_answer.values():
        events.sort(key=lambda e: e.occurred_at, reverse=True)
    return by_answer


def police_may_hold(user: User) -> bool:
    """Whether a screening's pages tell this reader, in one fixed sentence on every screening, that the
    police may hold supporting records not shared with them: everyone outside the police."""
    return not sees_restricted_intelligence(user)


# --- screenings --------------------------------------------------------------------------------


def _assessments() -> QuerySet[ScreeningAssessment]:
    return ScreeningAssessment.objects.select_related(
        "child",
        "tool_version",
        "started_by__agency",
        "completed_by__agency",
        "approval_by__agency",
        "level_before",
    )


def screenings_for_child(*, user: User, person: Person) -> list[ScreeningAssessment]:
    """Every screening of the child, newest first; drafts only the viewer's own. ``person`` must
    come from ``person_for_user_or_404``."""
    if not has(user, Capability.VIEW_PERSON):
        return []
    return list(
        _assessments()
        .filter(identity.same_person("child", person))
        .filter(~Q(status=ScreeningStatus.DRAFT) | Q(started_by=user))
        .order_by("-started_at", "-pk")
    )


def assessment_for_user_or_404(
    *, user: User, assessment_id: int, purpose: str = ""
) -> ScreeningAssessment:
    """A screening, if the user may open the child's record (the gateway logs the view); a draft
    only for the person who started it. Otherwise Http404, as for a missing one."""
    assessment = _assessments().filter(pk=assessment_id).first()
    if assessment is None:
        raise Http404
    if assessment.status == ScreeningStatus.DRAFT and assessment.started_by_id != user.pk:
        raise Http404
    person_for_user_or_404(
        user, assessment.child_id, purpose=purpose or f"opened screening {assessment.reference}"
    )
    return assessment


def own_draft(*, user: User, person: Person) -> ScreeningAssessment | None:
    return (
        _assessments()
        .filter(identity.same_person("child", person), status=ScreeningStatus.DRAFT, started_by=user)
        .order_by("-started_at")
        .first()
    )


@dataclass(frozen=True)
class DraftProgress:
    """The task list of a screening: the current tool's sections, with how far this user's draft
    has answered each. A draft is never a screening in force: it has no level until completed."""

    version: ScreeningToolVersion
    draft: ScreeningAssessment | None
    sections: list[Section]

    @property
    def all_completed(self) -> bool:
        return bool(self.sections) and all(s.status == SectionStatus.COMPLETED for s in self.sections)

    @property
    def completed_count(self) -> int:
        return sum(1 for s in self.sections if s.status == SectionStatus.COMPLETED)

    @property
    def on_older_tool(self) -> bool:
        return self.draft is not None and self.draft.tool_version_id != self.version.pk

    def section(self, code: str) -> Section | None:
        return next((s for s in self.sections if s.code == code), None)


def draft_progress(*, user: User, person: Person) -> DraftProgress:
    """This user's draft screening of the child (under any id the child has had) against the
    current tool, section by section. ``person`` must come from ``person_for_user_or_404``."""
    require(user, Capability.SCREEN)
    version = tool_current()
    draft = own_draft(user=user, person=person)
    answered = list(draft.answers.values_list("indicator", flat=True)) if draft else []
    return DraftProgress(version=version, draft=draft, sections=sections(version.tool, answered))


def approvals_queue(*, user: User) -> QuerySet[ScreeningAssessment]:
    """Lower levels awaiting a second person's approval, oldest first."""
    require(user, Capability.APPROVE_DOWNGRADE)
    return (
        _assessments()
        .filter(not_hidden(user, "child"), status=ScreeningStatus.AWAITING_APPROVAL, approval=ApprovalStatus.AWAITING)
        .order_by("completed_at", "pk")
    )


# --- counts at each level on a date ------------------------------------------------------------


@dataclass(frozen=True)
class LevelCount:
    code: str
    name: str
    children: int


@dataclass(frozen=True)
class LevelsOn:
    on: dt.date
    levels: list[LevelCount]
    not_screened: int

    @property
    def screened(self) -> int:
        return sum(lv.children for lv in self.levels)


def _end_of_day(on: dt.date) -> dt.datetime:
    """The first moment of the next day in England: "on 3 March" means by the end of 3 March."""
    return dt.datetime.combine(on + dt.timedelta(days=1), dt.time(), tzinfo=ENGLAND)


def levels_on(*, user: User, on: dt.date) -> LevelsOn:
    """How many children were at each level at the end of ``on``, from the level history as it was
    then: a later screening, approval or change to the tool cannot alter a past day's counts.
    Children are people who were not adults that day (by date of birth, else the records' role:
    ``people.models.adults_on``), counted once each as record linkage now knows them; those with no
    level by then are "not screened". Counts only, no identities."""
    require(user, Capability.VIEW_AGGREGATES)
    cutoff = _end_of_day(on)
    by_root = _latest_levels(cutoff)

    eligible = Person.objects.filter(merged_into__isnull=True, created_at__lt=cutoff).exclude(adults_on(on))
    root_ids = list(by_root)
    counted: dict[int, None] = {}
    grown: set[int] = set()
    for start in range(0, len(root_ids), 5000):
        chunk = root_ids[start : start + 5000]
        counted.update(dict.fromkeys(eligible.filter(pk__in=chunk).values_list("pk", flat=True)))
        grown.update(Person.objects.filter(adults_on(on), pk__in=chunk).values_list("pk", flat=True))
    not_screened = eligible.count() - len(counted)

    tool = tool_current().tool
    counts: dict[str, int] = {}
    names: dict[str, tuple[int, str]] = {}
    for root, (_, code, name, rank) in by_root.items():
        if root in grown:  # an adult that day (screened as a child, since 18)
            continue
        counts[code] = counts.get(code, 0) + 1
        names.setdefault(code, (rank, name))
    levels = [LevelCount(lv.code, lv.name, counts.pop(lv.code, 0)) for lv in tool.levels]
    # Levels the partnership has since removed still count, under the name they had.
    levels += [LevelCount(code, names[code][1], n) for code, n in sorted(counts.items(), key=lambda kv: names[kv[0]])]
    return LevelsOn(on=on, levels=levels, not_screened=not_screened)


def screenings_for_subject_access(*, user: User, person: Person) -> list[ScreeningAssessment]:
    """Every completed screening of the person under any id they have had, with its answers, for their
    own subject access request (the data protection officer only)."""
    if not has(user, Capability.SUBJECT_ACCESS):
        return []
    return list(
        _assessments()
        .filter(identity.same_person("child", person))
        .exclude(status=ScreeningStatus.DRAFT)
        .prefetch_related("answers")
        .order_by("started_at", "pk")
    )
