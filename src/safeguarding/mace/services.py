"""Every change the panel and the agencies make to meetings, plans and actions, each validated and
audited in the same transaction; and the scheduled work that chases them (reminders, escalation).

A meeting goes: scheduled (two co-chairs, police and council) → agenda built (new referrals,
children due for review, plans not reducing risk) → attendance recorded (held) → each child
discussed (decision, confirmed level through the screening service, actions agreed) → minutes
drafted → approved by a co-chair who did not draft them → locked. After that only addenda.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from safeguarding.accounts.access import Capability, has, persons_hidden_from, roles_with
from safeguarding.accounts.models import Agency, AgencyKind, User
from safeguarding.audit.models import AuditEventType
from safeguarding.audit.services import audit_record
from safeguarding.clocks.models import CaseworkStep, ClockStatus, StatutoryClock
from safeguarding.clocks.selectors import police_only_clocks, protection_plans_in_force
from safeguarding.clocks.services import clocks_lock, clocks_refresh
from safeguarding.core import once
from safeguarding.core.calendar import (
    ENGLAND,
    is_working_day,
    local_date,
    next_working_day,
    on_time,
    working_days_between,
)
from safeguarding.core.errors import ServiceError
from safeguarding.earlywarning.models import Alert
from safeguarding.frontdoor.models import Concern, ConcernStatus
from safeguarding.frontdoor.services import front_door_team
from safeguarding.mace import raci
from safeguarding.mace.defaults import DEFAULT_CHANGE_NOTE
from safeguarding.mace.models import (
    PLAN_CLOSED,
    PLAN_REOPENED,
    ActionNote,
    ActionStatus,
    AgendaItem,
    AgendaReason,
    Allocation,
    AllocationKind,
    Attendance,
    AttendanceStatus,
    Discussion,
    Escalation,
    EscalationLevel,
    HealthNotice,
    MeetingStatus,
    MinutesAddendum,
    MinutesVersion,
    PanelDecision,
    PanelMeeting,
    Plan,
    PlanAction,
    PlanGoal,
    PlanHistory,
    PlanOutcome,
    PlanStatus,
    PoliceMinutes,
    RaciVersion,
)
from safeguarding.mace.selectors import minutes_sealed_from, police_member
from safeguarding.notifications.models import NotificationKind
from safeguarding.notifications.services import names_of, notify
from safeguarding.panel.models import PanelReferral, ReferralStatus
from safeguarding.people import identity
from safeguarding.people.models import Event, EventType, Person, PersonRole, person_reference, restricted_events
from safeguarding.screening.services import level_confirm

TEXT_LIMIT = 10_000
MINUTES_LIMIT = 50_000  # the minutes of a meeting with thirty children on its agenda, as the form allows


def _date(day: dt.date) -> str:
    return f"{day:%A} {day.day} {day:%B %Y}"


def _require(user: User, capability: Capability, message: str) -> None:
    if not has(user, capability):
        raise ServiceError(message)


def _text(value: str, message: str, field: str | None = None, limit: int = TEXT_LIMIT) -> str:
    value = (value or "").strip()
    if not value:
        raise ServiceError(message, field=field)
    if len(value) > limit:
        raise ServiceError(f"Keep it to {limit:,} characters or fewer", field=field)
    return value


# --- meetings -----------------------------------------------------------------------------------


def meetings_schedule(
    *,
    acting_user: User,
    first_at: dt.datetime,
    place: str,
    police_chair: User | None,
    council_chair: User | None,
    every_weeks: int = 2,
    count: int = 1,
) -> list[PanelMeeting]:
    """Schedule one meeting, or a series every ``every_weeks`` weeks, co-chaired by a police officer
    and a council officer (both needed: the panel is co-chaired)."""
    _require(acting_user, Capability.RUN_PANEL, "Only a MACE coordinator can schedule panel meetings")
    if police_chair is None or council_chair is None:
        raise ServiceError("A panel meeting needs two co-chairs: choose one from the police and one from the council",
                           field="police_chair" if police_chair is None else "council_chair")
    if police_chair.agency is None or police_chair.agency.kind != AgencyKind.POLICE or not police_chair.is_active:
        raise ServiceError("The police co-chair must be an active user in a police force", field="police_chair")
    if council_chair.agency is None or council_chair.agency.kind != AgencyKind.COUNCIL or not council_chair.is_active:
        raise ServiceError("The council co-chair must be an active user in the council", field="council_chair")
    for chair, field in ((police_chair, "police_chair"), (council_chair, "council_chair")):
        # A chair is sent the agenda and approves the minutes: both on the meeting's page.
        if not has(chair, Capability.VIEW_MEETINGS):
            raise ServiceError(f"{chair.display_name} cannot open the panel's meetings, so cannot chair one: choose "
                               "someone whose role sits on the panel", field=field)
    place = _text(place, "Enter where the meeting will be held", "place")
    if not 1 <= count <= 26:
        raise ServiceError("Schedule between 1 and 26 meetings at a time", field="count")
    if not 1 <= every_weeks <= 12:
        raise ServiceError("Meetings can be every 1 to 12 weeks", field="every_weeks")
    if first_at < timezone.now() - dt.timedelta(days=1):
        raise ServiceError("The first meeting cannot be in the past", field="first_on")
    series = uuid.uuid4().hex[:12] if count > 1 else ""
    now = timezone.now()
    local = first_at.astimezone(ENGLAND)
    with transaction.atomic():
        meetings = []
        for n in range(count):
            # Weekly arithmetic in England's local time, so a series keeps its hour across the clocks changing.
            when = (local.replace(tzinfo=None) + dt.timedelta(weeks=every_weeks * n)).replace(tzinfo=ENGLAND)
            meetings.append(PanelMeeting.objects.create(
                series=series, scheduled_for=when, place=place, police_chair=police_chair,
                council_chair=council_chair, created_by=acting_user, created_at=now,
            ))
        audit_record(
            event_type=AuditEventType.MEETING_SCHEDULED,
            actor=acting_user,
            target_kind="panel_meeting",
            target_id=meetings[0].pk,
            detail={"meetings": [m.pk for m in meetings], "every_weeks": every_weeks, "series": series},
        )
    return meetings


def _lock_meeting(meeting: PanelMeeting) -> PanelMeeting:
    locked = PanelMeeting.objects.select_for_update().get(pk=meeting.pk)
    if locked.status == MeetingStatus.LOCKED:
        raise ServiceError(f"The minutes of meeting {locked.reference} are approved and locked: add an addendum instead")
    if locked.status == MeetingStatus.CANCELLED:
        raise ServiceError(f"Meeting {locked.reference} was cancelled")
    return locked


def last_discussed() -> dict[int, dt.datetime]:
    """Each child (as they are now) to when a held meeting last discussed them."""
    rows = Discussion.objects.filter(item__meeting__held_at__isnull=False).values_list(
        "item__person__root_id", "item__meeting__scheduled_for"
    )
    latest: dict[int, dt.datetime] = {}
    for child, at in rows:
        if child not in latest or at > latest[child]:
            latest[child] = at
    return latest


def not_reducing_risk(children: Iterable[int]) -> set[int]:
    """Children whose level the panel confirmed unchanged or higher at each of their last two reviews
    (three discussions: the first and two reviews)."""
    ranks: dict[int, list[tuple[dt.datetime, int]]] = {}
    rows = Discussion.objects.filter(
        item__person__root_id__in=list(children), confirmed_level_rank__isnull=False
    ).values_list("item__person__root_id", "item__meeting__scheduled_for", "confirmed_level_rank")
    for child, at, rank in rows:
        if rank is not None:
            ranks.setdefault(child, []).append((at, rank))
    flagged = set()
    for child, seen in ranks.items():
        last = [rank for _, rank in sorted(seen)][-3:]
        if len(last) == 3 and last[1] >= last[0] and last[2] >= last[1]:
            flagged.add(child)
    return flagged


def agenda_build(*, acting_user: User, meeting: PanelMeeting) -> list[AgendaItem]:
    """Add to the meeting's agenda every child referred and not yet discussed, every child whose plan
    is due for review by the meeting's date (flagged when the plan is not reducing risk), in that
    order. Children already on the agenda stay where they are. The co-chairs and panel members are
    told the agenda is ready (no names in the e-mail)."""
    _require(acting_user, Capability.RUN_PANEL, "Only a MACE coordinator can build the agenda")
    with transaction.atomic():
        meeting = _lock_meeting(meeting)
        if meeting.status != MeetingStatus.SCHEDULED:
            raise ServiceError("The meeting has been held: its agenda can no longer change")
        on_agenda = set(meeting.items.values_list("person__root_id", flat=True))
        position = max(meeting.items.values_list("position", flat=True), default=0)
        discussed = last_discussed()
        added: list[AgendaItem] = []

        def add(person_id: int, reason: str, referral: PanelReferral | None = None) -> None:
            nonlocal position
            if person_id in on_agenda:
                return
            position += 1
            on_agenda.add(person_id)
            added.append(AgendaItem.objects.create(
                meeting=meeting, person_id=person_id, reason=reason, referral=referral, position=position,
                added_by=acting_user,
            ))

        for referral in PanelReferral.objects.filter(status=ReferralStatus.OPEN).select_related("child").order_by(
            "referred_at", "pk"
        ):
            child = referral.child.root_id
            if discussed.get(child) is None or discussed[child] < referral.referred_at:
                add(child, AgendaReason.NEW_REFERRAL, referral)
        due = list(
            Plan.objects.filter(status=PlanStatus.OPEN, review_due_on__lte=local_date(meeting.scheduled_for))
            .select_related("child").order_by("review_due_on", "pk")
        )
        flagged = not_reducing_risk(p.child.root_id for p in due)
        for plan in due:
            child = plan.child.root_id
            add(child, AgendaReason.NOT_REDUCING_RISK if child in flagged else AgendaReason.REVIEW_DUE)
        meeting.agenda_built_at = timezone.now()
        meeting.save(update_fields=["agenda_built_at"])
        audit_record(
            event_type=AuditEventType.MEETING_AGENDA_CHANGED,
            actor=acting_user,
            target_kind="panel_meeting",
            target_id=meeting.pk,
            detail={"added": [{"person": i.person_id, "reason": i.reason} for i in added]},
            shown=[i.person_id for i in added],  # in each child's trail: put before the panel
        )
        members = User.objects.filter(
            Q(pk__in=meeting.chairs)
            | Q(role__in=[*roles_with(Capability.RUN_PANEL), *roles_with(Capability.MANAGE_AGENCY_WORK)]),
            is_active=True,
        )
        count = meeting.items.count()
        notify(
            recipients=members,
            kind=NotificationKind.MEETING_AGENDA,
            subject=f"Agenda for panel meeting {meeting.reference}",
            body=(
                f"The agenda for panel meeting {meeting.reference} on "
                f"{timezone.localtime(meeting.scheduled_for):%-d %B %Y at %H:%M} ({meeting.place}) is ready: "
                f"{count} item{'s' if count != 1 else ''}."
            ),
            link=reverse("mace:meeting", args=[meeting.pk]),
        )
    return added


def agenda_item_add(*, acting_user: User, meeting: PanelMeeting, person: Person, note: str) -> AgendaItem:
    """The coordinator adds a child (or an adult the panel follows) to the agenda, saying why."""
    _require(acting_user, Capability.RUN_PANEL, "Only a MACE coordinator can change the agenda")
    note = _text(note, "Say why the panel should discuss them", "note")
    person = identity.current(person)
    with transaction.atomic():
        meeting = _lock_meeting(meeting)
        if meeting.status != MeetingStatus.SCHEDULED:
            raise ServiceError("The meeting has been held: its agenda can no longer change")
        if meeting.items.filter(person__root_id=person.pk).exists():
            raise ServiceError("They are already on this meeting's agenda")
        position = max(meeting.items.values_list("position", flat=True), default=0) + 1
        item = AgendaItem.objects.create(meeting=meeting, person=person, reason=AgendaReason.ADDED, note=note,
                                         position=position, added_by=acting_user)
        audit_record(
            event_type=AuditEventType.MEETING_AGENDA_CHANGED,
            actor=acting_user,
            target_kind="panel_meeting",
            target_id=meeting.pk,
            person_id=person.pk,
            reason=note,
            detail={"added": [{"person": person.pk, "reason": AgendaReason.ADDED}]},
        )
    return item


def attendance_record(
    *, acting_user: User, meeting: PanelMeeting, entries: dict[int, tuple[str, str]]
) -> PanelMeeting:
    """Record, for each agency (by id), whether it attended (and who came) or sent apologies; the
    meeting is then held. Recording again replaces the earlier record until the minutes are locked."""
    _require(acting_user, Capability.RUN_PANEL, "Only a MACE coordinator can record attendance")
    if not entries:
        raise ServiceError("Record at least one agency's attendance")
    if not any(status == AttendanceStatus.ATTENDED for status, _ in entries.values()):
        raise ServiceError("A meeting needs at least one agency attending")
    agencies = {a.pk: a for a in Agency.objects.filter(pk__in=list(entries))}
    for agency_id, (status, _names) in entries.items():
        if agency_id not in agencies:
            raise ServiceError("Choose agencies from the list")
        if status not in AttendanceStatus.values:
            raise ServiceError(f"Say whether {agencies[agency_id].name} attended")
    with transaction.atomic():
        meeting = _lock_meeting(meeting)
        if local_date(meeting.scheduled_for) > timezone.localdate():
            raise ServiceError("Attendance can be recorded on the day of the meeting, not before")
        meeting.attendance.all().delete()
        Attendance.objects.bulk_create([
            Attendance(meeting=meeting, agency_id=agency_id, status=status, names=names.strip()[:400])
            for agency_id, (status, names) in entries.items()
        ])
        if meeting.status == MeetingStatus.SCHEDULED:
            meeting.status = MeetingStatus.HELD
            meeting.held_at = timezone.now()
            meeting.save(update_fields=["status", "held_at"])
        audit_record(
            event_type=AuditEventType.MEETING_ATTENDANCE_RECORDED,
            actor=acting_user,
            target_kind="panel_meeting",
            target_id=meeting.pk,
            detail={"attendance": {str(k): v[0] for k, v in entries.items()}},
        )
    return meeting


@dataclass(frozen=True)
class ActionInput:
    description: str
    owner: User | None
    due_on: dt.date | None
    step: str = ""
    goal: str = ""


def discussion_record(
    *,
    acting_user: User,
    item: AgendaItem,
    summary: str,
    decision: str,
    confirmed_level: str = "",
    level_reasons: str = "",
    downgrade_reason: str = "",
    actions: Sequence[ActionInput] = (),
    goals: Sequence[str] = (),
    outcome: str = "",
    closure_reason: str = "",
    child_views: str = "",
) -> Discussion:
    """The panel's discussion of one child: what was said, the decision (open, continue or close the
    plan, or none), the risk level the panel confirmed (put in force through the screening service:
    a lower level needs its reason and, where the tool says so, a second person), the goals and the
    actions agreed. Recorded once; a correction after the minutes are approved is an addendum."""
    _require(acting_user, Capability.RUN_PANEL, "Only a MACE coordinator can record the panel's discussion")
    summary = _text(summary, "Summarise the discussion", "summary")
    if decision not in PanelDecision.values:
        raise ServiceError("Choose the panel's decision", field="decision")
    person = identity.current(item.person)
    # A plan is opened for a child today; one opened before the 18th birthday may be continued until the panel
    # closes it (a young adult's move to adult services is planned, not cut off on the day).
    if decision == PanelDecision.OPEN_PLAN and person.child_or_adult() == PersonRole.ADULT:
        raise ServiceError("Plans are for children: for an adult the panel follows, record the discussion only",
                           field="decision")
    if confirmed_level and not level_reasons.strip():
        raise ServiceError("Give the panel's reasons for the level", field="level_reasons")
    if (actions or goals) and decision not in (PanelDecision.OPEN_PLAN, PanelDecision.CONTINUE_PLAN):
        raise ServiceError("Actions and goals belong to a plan: choose to open or continue the plan", field="decision")
    with transaction.atomic():
        meeting = _lock_meeting(item.meeting)
        clocks_lock([person.pk])  # before the plan and the audit trail's head, as every clock write
        if meeting.status == MeetingStatus.SCHEDULED:
            raise ServiceError("Record who attended first: the meeting has not been held yet")
        if Discussion.objects.filter(item=item).exists():
            raise ServiceError("The panel's discussion of this child has already been recorded: say more in the minutes")
        # Locked: a close under way finishes first, and the plan it closed is no longer open here.
        plan = Plan.objects.select_for_update(of=("self",)).filter(
            identity.same_person("child", person), status=PlanStatus.OPEN).order_by("pk").first()
        review_on = local_date(meeting.scheduled_for) + dt.timedelta(weeks=settings.PANEL_REVIEW_WEEKS)
        if decision == PanelDecision.OPEN_PLAN and plan is not None:
            raise ServiceError(f"The child already has an open plan ({plan.reference}): choose to continue it",
                               field="decision")
        if decision in (PanelDecision.CONTINUE_PLAN, PanelDecision.CLOSE_PLAN) and plan is None:
            raise ServiceError("The child has no open plan to continue or close: choose to open one", field="decision")
        screening = None
        level_name, level_rank = "", None
        if confirmed_level:
            screening = level_confirm(
                acting_user=acting_user, child=person, level_code=confirmed_level,
                reasoning=level_reasons, confirmed_at=f"panel meeting {meeting.reference}",
                downgrade_reason=downgrade_reason,
            )
            level_name = screening.judgement_level_name
            level_rank = screening.tool_version.tool.rank(confirmed_level)
        if decision == PanelDecision.OPEN_PLAN:
            plan = plan_open(acting_user=acting_user, child=person, meeting=meeting, review_due_on=review_on)
        elif decision == PanelDecision.CONTINUE_PLAN and plan is not None:
            _plan_review_set(plan, acting_user, review_on, f"Reviewed at panel meeting {meeting.reference}")
        discussion = Discussion.objects.create(
            item=item, summary=summary, child_views=child_views.strip(), decision=decision,
            confirmed_level=confirmed_level,
            confirmed_level_name=level_name, confirmed_level_rank=level_rank, screening=screening,
            plan=plan if decision != PanelDecision.NO_PLAN else None,
            recorded_by=acting_user, recorded_at=timezone.now(),
        )
        for text in goals:
            if text.strip() and plan is not None:
                plan_goal_add(acting_user=acting_user, plan=plan, text=text)
        for action in actions:
            assert plan is not None
            action_create(
                acting_user=acting_user, plan=plan, description=action.description, owner=action.owner,
                due_on=action.due_on, step=action.step, discussion=discussion,
            )
        if decision == PanelDecision.CLOSE_PLAN and plan is not None:
            plan_close(acting_user=acting_user, plan=plan, outcome=outcome, reason=closure_reason or summary)
        audit_record(
            event_type=AuditEventType.MEETING_DISCUSSION_RECORDED,
            actor=acting_user,
            target_kind="panel_meeting",
            target_id=meeting.pk,
            person_id=person.pk,
            detail={"item": item.pk, "decision": decision, "confirmed_level": confirmed_level,
                    "actions": len(actions), "plan": plan.pk if plan else None},
        )
        _review_clocks_now(person.pk, acting_user)
    return discussion


def _review_clocks_now(child: int, acting_user: User) -> None:
    """The child's clocks worked out again in the caller's transaction (which locked them first,
    ``clocks_lock``): a discussion starts or meets the panel's review clock, a plan closed or reopened
    moves it, and the single view shows it at once, not after the worker's next run."""
    clocks_refresh(children=[child], acting_user=acting_user)


def _minutes_sealed_from(user: User, meeting: PanelMeeting) -> None:
    """The minutes are about every child on the agenda: someone a seal hides one of them from neither
    reads nor writes them (the meeting's page does not show them either)."""
    if minutes_sealed_from(user, meeting):
        raise ServiceError("A child on this meeting's agenda has a sealed record that does not name you: ask the "
                           "panel's coordinator, or the data protection officer")


def minutes_draft(*, acting_user: User, meeting: PanelMeeting, text: str) -> PanelMeeting:
    """Draft (or redraft) the minutes; they then wait for a co-chair's approval."""
    if not (has(acting_user, Capability.RUN_PANEL) or acting_user.pk in meeting.chairs):
        raise ServiceError("Only the MACE coordinator or a co-chair can draft the minutes")
    _minutes_sealed_from(acting_user, meeting)
    text = _text(text, "Write the minutes", "minutes", MINUTES_LIMIT)
    with transaction.atomic():
        meeting = _lock_meeting(meeting)
        if meeting.status == MeetingStatus.SCHEDULED:
            raise ServiceError("The meeting has not been held yet: record who attended first")
        now = timezone.now()
        # A redraft keeps what the minutes said before: no draft is lost, and what the co-chair approves
        # can be set beside every earlier one.
        version = _version_kept(meeting=meeting, police_part=None, text=meeting.minutes, written_by=meeting.minutes_by_id,
                                written_at=meeting.minutes_at, new_text=text, by=acting_user, at=now)
        meeting.minutes, meeting.minutes_by, meeting.minutes_at = text, acting_user, now
        meeting.status = MeetingStatus.MINUTES_DRAFTED
        meeting.save(update_fields=["minutes", "minutes_by", "minutes_at", "status"])
        audit_record(
            event_type=AuditEventType.MINUTES_DRAFTED if version is None else AuditEventType.MINUTES_REDRAFTED,
            actor=acting_user,
            target_kind="panel_meeting",
            target_id=meeting.pk,
            detail={"characters": len(text), **({"version": version.pk} if version is not None else {})},
        )
    return meeting


def _version_kept(
    *, meeting: PanelMeeting, police_part: PoliceMinutes | None, text: str, written_by: int | None,
    written_at: dt.datetime | None, new_text: str, by: User, at: dt.datetime,
) -> MinutesVersion | None:
    """Keep the text a redraft replaces, as a version; nothing when there was none or it is unchanged."""
    if not text or text == new_text:
        return None
    return MinutesVersion.objects.create(
        meeting=meeting, police_part=police_part, text=text, written_by_id=written_by,
        written_at=written_at or at, replaced_by=by, replaced_at=at,
    )


POLICE_PART_LIMIT = MINUTES_LIMIT


def minutes_version_withhold(*, acting_user: User, version: MinutesVersion, reason: str) -> MinutesVersion:
    """Withhold an earlier draft of the minutes every member reads from everyone outside the police: a
    draft that held what the police told the panel, pasted into the wrong part and redrafted out, would
    otherwise stay before every member for good. The police's members of the panel do it (they see what
    is theirs), saying why; the draft is kept, and they still read it. Once withheld it stays withheld."""
    meeting = version.meeting
    _minutes_sealed_from(acting_user, meeting)
    if not police_member(acting_user):
        raise ServiceError("Only the police co-chair or a police member of the panel can withhold an earlier draft")
    if version.police_part_id is not None:
        raise ServiceError("An earlier draft of the police-only part is read by the police alone already")
    reason = _text(reason, "Say why the draft is withheld", "reason")
    with transaction.atomic():
        locked = MinutesVersion.objects.select_for_update().get(pk=version.pk)
        if locked.withheld_at is not None:
            raise ServiceError("That draft is withheld already")
        locked.withheld_at, locked.withheld_by, locked.withheld_reason = timezone.now(), acting_user, reason
        locked.save(update_fields=["withheld_at", "withheld_by", "withheld_reason"])
        # The reason stays out of the trail's words a subject access bundle shows (it is police work).
        audit_record(event_type=AuditEventType.MINUTES_DRAFT_WITHHELD, actor=acting_user, target_kind="panel_meeting",
                     target_id=meeting.pk, detail={"version": locked.pk})
    return locked


def police_minutes_draft(
    *, acting_user: User, meeting: PanelMeeting, texts: Mapping[int | None, str]
) -> list[PoliceMinutes]:
    """Draft (or redraft) the police-only part of the minutes: what the police told the panel
    (intelligence about suspects, operations), for the meeting as a whole (key ``None``) and for a
    child's discussion (key: the agenda item's id). Written and read only by the police co-chair and
    the police's members of the panel (``selectors.sees_police_minutes``), never by another agency's.
    A part left empty that was never written writes nothing; a written part cannot be emptied (say
    what changed instead). A redraft keeps the earlier text as a version. Refused once the minutes
    are approved and locked. Returns the parts written or changed."""
    _minutes_sealed_from(acting_user, meeting)
    if not police_member(acting_user):
        raise ServiceError("Only the police co-chair or a police member of the panel can write the police-only part "
                           "of the minutes")
    items = dict(meeting.items.values_list("pk", "person_id"))
    cleaned: dict[int | None, str] = {}
    for key, value in texts.items():
        if key is not None and key not in items:
            raise ServiceError("Choose a child on this meeting's agenda")
        value = (value or "").strip()
        field = "meeting" if key is None else f"item_{key}"
        if len(value) > POLICE_PART_LIMIT:
            raise ServiceError(f"Keep it to {POLICE_PART_LIMIT:,} characters or fewer", field=field)
        cleaned[key] = value
    with transaction.atomic():
        meeting = _lock_meeting(meeting)
        if meeting.status == MeetingStatus.SCHEDULED:
            raise ServiceError("The meeting has not been held yet: record who attended first")
        # Unordered: the model's ordering joins the agenda item, and PostgreSQL locks no outer join's rows.
        existing = {p.item_id: p for p in PoliceMinutes.objects.select_for_update().filter(meeting=meeting).order_by()}
        now = timezone.now()
        written: list[PoliceMinutes] = []
        kept: list[dict[str, object]] = []
        for key, text in cleaned.items():
            part = existing.get(key)
            if part is None:
                if text:
                    written.append(PoliceMinutes.objects.create(
                        meeting=meeting, item_id=key, text=text, written_by=acting_user, written_at=now))
                    kept.append({"item": key, "characters": len(text), "version": None})
                continue
            if not text:
                raise ServiceError("A police-only part once written cannot be emptied: redraft it to say what changed",
                                   field="meeting" if key is None else f"item_{key}")
            version = _version_kept(meeting=meeting, police_part=part, text=part.text, written_by=part.written_by_id,
                                    written_at=part.written_at, new_text=text, by=acting_user, at=now)
            if version is None:
                continue
            part.text, part.written_by, part.written_at = text, acting_user, now
            part.save(update_fields=["text", "written_by", "written_at"])
            written.append(part)
            kept.append({"item": key, "characters": len(text), "version": version.pk})
        if written:
            # The words stay out of the trail: it is read outside the police (the data protection officer).
            audit_record(
                event_type=AuditEventType.POLICE_MINUTES_DRAFTED,
                actor=acting_user,
                target_kind="panel_meeting",
                target_id=meeting.pk,
                detail={"parts": kept},
                shown=sorted({items[p.item_id] for p in written if p.item_id is not None}),
            )
    return written


def meeting_record(meeting: PanelMeeting) -> dict[str, object]:
    """The whole meeting as it stands, as data: what approval locks and hashes."""
    items = []
    for item in meeting.items.select_related("discussion").order_by("position", "pk"):
        discussion = getattr(item, "discussion", None)
        items.append({
            "person": item.person_id, "reason": item.reason, "note": item.note,
            "discussion": None if discussion is None else {
                "summary": discussion.summary, "decision": discussion.decision,
                # only when given, so minutes approved before the child's views were asked keep their hash
                **({"child_views": discussion.child_views} if discussion.child_views else {}),
                "confirmed_level": discussion.confirmed_level, "plan": discussion.plan_id,
                "actions": [
                    {"id": a.pk, "description": a.description, "owner": a.owner_id, "agency": a.owner_agency_id,
                     "due_on": a.due_on.isoformat()}
                    for a in discussion.actions.order_by("pk")
                ],
            },
        })
    # The police-only part is fingerprinted, not copied: the approved record is the meeting's, read by
    # whoever checks it, and the police's words stay in the part only police members read.
    police = [
        {"item": p.item_id, "sha256": hashlib.sha256(p.text.encode()).hexdigest(), "written_by": p.written_by_id}
        for p in sorted(PoliceMinutes.objects.filter(meeting=meeting), key=lambda p: (p.item_id or 0, p.pk))
    ]
    return {
        "meeting": meeting.pk, "scheduled_for": meeting.scheduled_for.isoformat(), "place": meeting.place,
        "co_chairs": list(meeting.chairs),
        "attendance": [{"agency": a.agency_id, "status": a.status, "names": a.names}
                       for a in meeting.attendance.order_by("agency_id")],
        "items": items, "minutes": meeting.minutes, "minutes_by": meeting.minutes_by_id,
        # only when written, so minutes approved before the police-only part existed keep their hash
        **({"police_minutes": police} if police else {}),
    }


def record_hash(record: dict[str, object]) -> str:
    return hashlib.sha256(json.dumps(record, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def minutes_approve(*, acting_user: User, meeting: PanelMeeting, based_on: str | None = None) -> PanelMeeting:
    """A co-chair who did not draft the minutes approves them: the meeting is locked, and the whole
    record (attendance, discussions, decisions, actions, minutes) is kept with its hash. ``based_on``
    is the hash of the record as the page the co-chair read showed it: one redrafted or changed since
    (the other co-chair, the coordinator or the police at the same time) is not approved unread."""
    _minutes_sealed_from(acting_user, meeting)
    with transaction.atomic():
        meeting = _lock_meeting(meeting)
        if acting_user.pk not in meeting.chairs:
            raise ServiceError("Only one of the meeting's co-chairs can approve its minutes")
        if meeting.status != MeetingStatus.MINUTES_DRAFTED:
            raise ServiceError("There are no draft minutes to approve")
        if meeting.minutes_by_id == acting_user.pk:
            raise ServiceError("You drafted these minutes: the other co-chair must approve them")
        record = meeting_record(meeting)
        if based_on is not None and based_on != record_hash(record):
            raise ServiceError("The minutes or the meeting's record changed after you opened the page: read them "
                               "again, then approve them")
        meeting.status = MeetingStatus.LOCKED
        meeting.approved_by, meeting.approved_at = acting_user, timezone.now()
        meeting.approved_record, meeting.approved_hash = record, record_hash(record)
        meeting.save(update_fields=["status", "approved_by", "approved_at", "approved_record", "approved_hash"])
        audit_record(
            event_type=AuditEventType.MINUTES_APPROVED,
            actor=acting_user,
            target_kind="panel_meeting",
            target_id=meeting.pk,
            detail={"hash": meeting.approved_hash},
        )
    return meeting


def minutes_addendum_add(
    *, acting_user: User, meeting: PanelMeeting, text: str, police_only: bool = False
) -> MinutesAddendum:
    """A correction or addition to locked minutes: kept beside them, never in them. A police-only
    addendum corrects or adds to the police-only part: written and read by the police's members of the
    panel only, as that part is (``selectors.sees_police_minutes``)."""
    if police_only:
        if not police_member(acting_user):
            raise ServiceError("Only the police co-chair or a police member of the panel can add to the police-only "
                               "minutes")
    elif not (has(acting_user, Capability.RUN_PANEL) or acting_user.pk in meeting.chairs):
        raise ServiceError("Only the MACE coordinator or a co-chair can add to the minutes")
    _minutes_sealed_from(acting_user, meeting)
    text = _text(text, "Write the addendum", "text")
    with transaction.atomic():
        locked = PanelMeeting.objects.select_for_update().get(pk=meeting.pk)
        if locked.status != MeetingStatus.LOCKED:
            raise ServiceError("The minutes are not locked yet: change the draft instead")
        addendum = MinutesAddendum.objects.create(meeting=locked, text=text, added_by=acting_user,
                                                  added_at=timezone.now(), police_only=police_only)
        audit_record(
            event_type=AuditEventType.MINUTES_ADDENDUM,
            actor=acting_user,
            target_kind="panel_meeting",
            target_id=locked.pk,
            detail={"addendum": addendum.pk, "police_only": police_only},
        )
    return addendum


# --- plans --------------------------------------------------------------------------------------


def _history(plan: Plan, by: User, what: str, reason: str = "") -> None:
    PlanHistory.objects.create(plan=plan, at=timezone.now(), by=by, what=what, reason=reason)


def plan_open(
    *, acting_user: User, child: Person, meeting: PanelMeeting | None = None, review_due_on: dt.date | None = None
) -> Plan:
    _require(acting_user, Capability.RUN_PANEL, "Only a MACE coordinator can open a plan")
    child = identity.current(child)
    if child.child_or_adult() == PersonRole.ADULT:
        raise ServiceError("Plans are for children")
    today = timezone.localdate()
    review = review_due_on or today + dt.timedelta(weeks=settings.PANEL_REVIEW_WEEKS)
    with transaction.atomic():
        Person.objects.select_for_update().filter(pk=child.pk).exists()
        if Plan.objects.filter(identity.same_person("child", child), status=PlanStatus.OPEN).exists():
            raise ServiceError("The child already has an open plan")
        try:
            with transaction.atomic():
                plan = Plan.objects.create(child=child, opened_at=timezone.now(), opened_by=acting_user,
                                           meeting=meeting, review_due_on=review)
        except IntegrityError as exc:
            raise ServiceError("The child already has an open plan") from exc
        _history(plan, acting_user, "Opened" + (f" at panel meeting {meeting.reference}" if meeting else ""))
        audit_record(event_type=AuditEventType.PLAN_OPENED, actor=acting_user, target_kind="plan",
                     target_id=plan.pk, person_id=child.pk, detail={"meeting": meeting.pk if meeting else None})
    return plan


def _plan_review_set(plan: Plan, by: User, review_on: dt.date, what: str) -> None:
    plan.review_due_on = review_on
    plan.save(update_fields=["review_due_on"])
    _history(plan, by, f"{what}; next review by {_date(review_on)}")
    audit_record(event_type=AuditEventType.PLAN_CHANGED, actor=by, target_kind="plan", target_id=plan.pk,
                 person_id=plan.child_id, detail={"review_due_on": review_on.isoformat()})


def _plan_open_locked(plan: Plan) -> bool:
    """Whether the plan is open, its row locked until the caller's transaction ends: a goal or action
    added waits for a close under way (``plan_close`` locks the row too) and is then refused, so that no
    plan closes with an open action it never saw."""
    return Plan.objects.select_for_update().filter(pk=plan.pk, status=PlanStatus.OPEN).exists()


def plan_goal_add(*, acting_user: User, plan: Plan, text: str, form_token: str | None = None) -> PlanGoal:
    """Add a goal to an open plan. ``form_token``: the goal form's (``core.once``): sent twice, one goal."""
    _require(acting_user, Capability.RUN_PANEL, "Only a MACE coordinator can change a plan's goals")
    text = _text(text, "Describe the goal", "text")
    with transaction.atomic():
        if not _plan_open_locked(plan):
            raise ServiceError("The plan is closed: reopen it first")
        once.spend(form_token, made="The goal was already added")
        goal = PlanGoal.objects.create(plan=plan, text=text, added_by=acting_user, added_at=timezone.now())
        _history(plan, acting_user, "Goal added", text)
        audit_record(event_type=AuditEventType.PLAN_CHANGED, actor=acting_user, target_kind="plan",
                     target_id=plan.pk, person_id=plan.child_id, detail={"goal": goal.pk})
    return goal


def plan_close(*, acting_user: User, plan: Plan, outcome: str, reason: str) -> Plan:
    """Close a plan with its outcome and why. Refused without an outcome, or while actions are open."""
    _require(acting_user, Capability.RUN_PANEL, "Only a MACE coordinator can close a plan")
    if outcome not in PlanOutcome.values:
        raise ServiceError("Choose the plan's outcome: why it is closing", field="outcome")
    reason = _text(reason, "Say why the plan is closing", "reason")
    with transaction.atomic():
        clocks_lock([plan.child_id])
        locked = Plan.objects.select_for_update().get(pk=plan.pk)
        if not locked.is_open:
            raise ServiceError(f"Plan {locked.reference} is already closed")
        still_open = locked.actions.filter(status=ActionStatus.OPEN).count()
        if still_open:
            raise ServiceError(
                f"{still_open} action{'s are' if still_open != 1 else ' is'} still open: complete "
                f"{'them' if still_open != 1 else 'it'}, saying what happened, before the plan closes"
            )
        locked.status, locked.outcome, locked.closure_reason = PlanStatus.CLOSED, outcome, reason
        locked.closed_at, locked.closed_by = timezone.now(), acting_user
        locked.save(update_fields=["status", "outcome", "closure_reason", "closed_at", "closed_by"])
        _history(locked, acting_user, f"{PLAN_CLOSED}{PlanOutcome(outcome).label}", reason)
        audit_record(event_type=AuditEventType.PLAN_CLOSED, actor=acting_user, target_kind="plan",
                     target_id=locked.pk, person_id=locked.child_id, reason=reason, detail={"outcome": outcome})
        _review_clocks_now(locked.child_id, acting_user)
    return locked


def plan_reopen(*, acting_user: User, plan: Plan, reason: str) -> Plan:
    """Reopen a closed plan; its closure stays in the history."""
    _require(acting_user, Capability.RUN_PANEL, "Only a MACE coordinator can reopen a plan")
    reason = _text(reason, "Say why the plan is being reopened", "reason")
    with transaction.atomic():
        clocks_lock([plan.child_id])
        locked = Plan.objects.select_for_update().get(pk=plan.pk)
        if locked.is_open:
            raise ServiceError("The plan is already open")
        if Plan.objects.filter(identity.same_person("child", locked.child), status=PlanStatus.OPEN).exists():
            raise ServiceError("The child has another open plan")
        locked.status = PlanStatus.OPEN
        locked.review_due_on = timezone.localdate() + dt.timedelta(weeks=settings.PANEL_REVIEW_WEEKS)
        locked.save(update_fields=["status", "review_due_on"])
        _history(locked, acting_user, PLAN_REOPENED, reason)
        audit_record(event_type=AuditEventType.PLAN_REOPENED, actor=acting_user, target_kind="plan",
                     target_id=locked.pk, person_id=locked.child_id, reason=reason)
        _review_clocks_now(locked.child_id, acting_user)
    return locked


# --- actions ------------------------------------------------------------------------------------


_MOVED_FROM = "Due date moved from "


def working_due_date(day: dt.date) -> tuple[dt.date, str]:
    """A due date on a working day: a weekend or bank holiday moves to the next working day, and says so."""
    if is_working_day(day):
        return day, ""
    moved = next_working_day(day)
    why = "a weekend" if day.weekday() >= 5 else "a bank holiday"
    return moved, f"{_MOVED_FROM}{_date(day)} to {_date(moved)}: {why} is not a working day"


def due_date_asked(due_on: dt.date, due_note: str) -> dt.date:
    """The day an action was asked to be due on: its due date, unless its note (``working_due_date``'s)
    says it was moved from another."""
    found = re.match(rf"{_MOVED_FROM}\w+ (\d{{1,2}} \w+ \d{{4}}) to ", due_note)
    return dt.datetime.strptime(found.group(1), "%d %B %Y").date() if found else due_on


def can_update_action(user: User, action: PlanAction) -> bool:
    """The owner, the owning agency's safeguarding manager, or the MACE coordinator."""
    if not has(user, Capability.VIEW_PLANS):
        return False
    return (
        action.owner_id == user.pk
        or has(user, Capability.RUN_PANEL)
        or (has(user, Capability.MANAGE_AGENCY_WORK) and user.agency_id == action.owner_agency_id)
    )


def action_create(
    *,
    acting_user: User,
    plan: Plan,
    description: str,
    owner: User | None,
    due_on: dt.date | None,
    step: str = "",
    goal: PlanGoal | None = None,
    discussion: Discussion | None = None,
    form_token: str | None = None,
) -> PlanAction:
    """Agree an action: owned by a named person and their agency, due on a working day (a weekend or
    bank holiday moves to the next, and the action says so). The owner is told by e-mail.
    ``form_token``: the action form's (``core.once``): sent twice, one action and one e-mail."""
    _require(acting_user, Capability.RUN_PANEL, "Only a MACE coordinator can agree actions on a plan")
    description = _text(description, "Describe the action", "description")
    if owner is None:
        raise ServiceError("Every action needs an owner: choose the person who will do it", field="owner")
    if not owner.is_active or owner.agency is None or not has(owner, Capability.VIEW_PLANS):
        raise ServiceError(f"{owner} cannot own actions: choose someone in casework at a partner agency",
                           field="owner")
    if plan.child_id in persons_hidden_from(owner):
        # As allocation: the action's page would answer them not found.
        raise ServiceError("This child's record is restricted, and its seal does not name that person: choose "
                           "someone it names, or ask the data protection officer", field="owner")
    if due_on is None:
        raise ServiceError("Enter the date the action is due", field="due_on")
    if due_on < timezone.localdate():
        raise ServiceError("The due date cannot be in the past", field="due_on")
    due, note = working_due_date(due_on)
    if step:
        steps = {s.code for s in raci.parse(raci_current().matrix)}
        if step not in steps:
            raise ServiceError("Choose the kind of action from the list", field="step")
    with transaction.atomic():
        if not _plan_open_locked(plan):
            raise ServiceError("The plan is closed: reopen it first")
        once.spend(form_token, made="The action was already agreed")
        action = PlanAction.objects.create(
            plan=plan, goal=goal, discussion=discussion, description=description, step=step,
            owner_agency=owner.agency, owner=owner, due_on=due, due_note=note,
            created_by=acting_user, created_at=timezone.now(),
        )
        audit_record(event_type=AuditEventType.ACTION_CREATED, actor=acting_user, target_kind="action",
                     target_id=action.pk, person_id=plan.child_id,
                     detail={"owner": owner.pk, "agency": owner.agency_id, "due_on": due.isoformat(), "moved": note})
        notify(
            recipients=[owner],
            kind=NotificationKind.ACTION_ASSIGNED,
            subject=f"Action {action.reference} assigned to you",
            body=f"You own action {action.reference} on plan {plan.reference}, due by {_date(due)}.",
            link=reverse("mace:action", args=[action.pk]),
            keep_out=names_of(plan.child),
            about=plan.child_id,
        )
    return action


def action_note_add(*, acting_user: User, action: PlanAction, text: str) -> ActionNote:
    if not can_update_action(acting_user, action):
        raise ServiceError("Only the action's owner, their agency's safeguarding manager or the MACE coordinator "
                           "can update it")
    text = _text(text, "Write the progress note", "text")
    with transaction.atomic():
        note = ActionNote.objects.create(action=action, text=text, by=acting_user, at=timezone.now())
        audit_record(event_type=AuditEventType.ACTION_PROGRESS_NOTED, actor=acting_user, target_kind="action",
                     target_id=action.pk, person_id=action.plan.child_id, detail={"note": note.pk})
    return note


def action_complete(*, acting_user: User, action: PlanAction, outcome: str) -> PlanAction:
    """Complete an action, saying what was done and what came of it."""
    if not can_update_action(acting_user, action):
        raise ServiceError("Only the action's owner, their agency's safeguarding manager or the MACE coordinator "
                           "can complete it")
    outcome = _text(outcome, "Say what was done and what came of it", "outcome")
    with transaction.atomic():
        locked = PlanAction.objects.select_for_update().select_related("plan").get(pk=action.pk)
        if not locked.is_open:
            raise ServiceError(f"Action {locked.reference} has already been completed")
        locked.status, locked.outcome = ActionStatus.COMPLETED, outcome
        locked.completed_at, locked.completed_by = timezone.now(), acting_user
        locked.save(update_fields=["status", "outcome", "completed_at", "completed_by"])
        audit_record(event_type=AuditEventType.ACTION_COMPLETED, actor=acting_user, target_kind="action",
                     target_id=locked.pk, person_id=locked.plan.child_id,
                     detail={"late": timezone.localdate() > locked.due_on})
    return locked


# --- chasing: reminders and escalation (scheduled in the background worker) --------------------


def reminders_send(*, today: dt.date | None = None) -> int:
    """Remind each owner of their open actions due within the partnership's reminder period (once)."""
    today = today or timezone.localdate()
    horizon = today
    for _ in range(settings.ACTION_REMINDER_WORKING_DAYS):
        horizon = next_working_day(horizon)
    due = list(PlanAction.objects.filter(status=ActionStatus.OPEN, reminded_at__isnull=True, due_on__gte=today,
                                         due_on__lte=horizon).select_related("owner", "plan__child"))
    if not due:
        return 0
    now = timezone.now()
    with transaction.atomic():
        for action in due:
            notify(
                recipients=[action.owner],
                kind=NotificationKind.ACTION_DUE_SOON,
                subject=f"Action {action.reference} is due by {_date(action.due_on)}",
                body=f"Action {action.reference} on plan {action.plan.reference} is due by {_date(action.due_on)}.",
                link=reverse("mace:action", args=[action.pk]),
                keep_out=names_of(action.plan.child),
                about=action.plan.child_id,
            )
        PlanAction.objects.filter(pk__in=[a.pk for a in due]).update(reminded_at=now)
        audit_record(event_type=AuditEventType.REMINDERS_SENT, actor_label="scheduled reminders",
                     target_kind="actions", detail={"actions": [a.pk for a in due]})
    return len(due)


def _managers(agency_ids: Iterable[int]) -> dict[int, list[User]]:
    found: dict[int, list[User]] = {}
    managing = roles_with(Capability.MANAGE_AGENCY_WORK)  # agency managers, and any own role that manages
    for user in User.objects.filter(role__in=managing, agency_id__in=list(agency_ids), is_active=True):
        found.setdefault(user.agency_id or 0, []).append(user)
    return found


def _levels_due(done: set[tuple[int, int]], pk: int, late: int, threshold: int) -> list[int]:
    """The levels an overdue action, clock or concern is now due to go to: level 1 at once, level 2
    past the partnership's threshold of working days; each once (``done`` holds (pk, level))."""
    return [level for level in (1, 2) if (pk, level) not in done and (level == 1 or late >= threshold)]


# An escalation notice: its recipients, subject, body and link, the names it must not carry, its child,
# and those of its recipients it is escalated to (who must hear of it).
_Told = tuple[list[User], str, str, str, list[str], int, list[User]]


def escalations_run(*, now: dt.datetime | None = None) -> list[Escalation]:
    """Escalate what is overdue: each overdue action and chased clock goes at once to its agency's
    safeguarding managers (level 1) and, once the partnership's threshold of working days overdue is
    passed, to the strategic group (level 2); each level once, recorded and notified."""
    now = now or timezone.now()
    today = local_date(now)
    threshold = settings.ESCALATE_TO_STRATEGIC_WORKING_DAYS
    done_actions = set(Escalation.objects.filter(action__isnull=False).values_list("action_id", "level"))
    done_clocks = set(Escalation.objects.filter(clock__isnull=False).values_list("clock_id", "level"))
    actions = list(PlanAction.objects.filter(status=ActionStatus.OPEN, due_on__lt=today)
                   .select_related("plan__child", "owner"))
    chase_from = now - dt.timedelta(days=settings.CLOCK_CHASE_DAYS)
    # The police's own clocks are not chased through agencies' managers and the strategic group.
    clocks = list(StatutoryClock.objects.filter(status=ClockStatus.OVERDUE, met_at__isnull=True,
                                                due_at__gte=chase_from, due_at__lt=now)
                  .exclude(police_only_clocks()).select_related("child"))
    new: list[Escalation] = []
    told: list[_Told] = []
    managers = _managers({a.owner_agency_id for a in actions} | {c.agency_id for c in clocks if c.agency_id})
    strategic = list(User.objects.filter(role__in=roles_with(Capability.STRATEGIC_GROUP), is_active=True))
    # The strategic group sees no child's records: its notices lead to the escalations page.
    to_the_group = reverse("mace:escalations")
    for action in actions:
        late = working_days_between(action.due_on, today)
        link = reverse("mace:action", args=[action.pk])
        for level in _levels_due(done_actions, action.pk, late, threshold):
            new.append(Escalation(action=action, level=level, agency_id=action.owner_agency_id, escalated_at=now,
                                  working_days_overdue=late))
            who = managers.get(action.owner_agency_id, []) if level == 1 else strategic
            # The owner hears of it too; those it is escalated to must (a seal naming the owner but none
            # of them is told to its keeper: ``notify``'s ``essential``).
            told.append(([*who, action.owner] if level == 1 else who,
                         f"Action {action.reference} is overdue and has been escalated",
                         f"Action {action.reference} on plan {action.plan.reference} was due by "
                         f"{_date(action.due_on)} and is {late} working day{'s' if late != 1 else ''} overdue. "
                         f"It has been escalated {EscalationLevel(level).label.lower()}.",
                         link if level == 1 else to_the_group, names_of(action.plan.child), action.plan.child_id,
                         who))
    for clock in clocks:
        late = working_days_between(local_date(clock.due_at), today)
        for level in _levels_due(done_clocks, clock.pk, late, threshold):
            new.append(Escalation(clock=clock, level=level, agency_id=clock.agency_id, escalated_at=now,
                                  working_days_overdue=late))
            who = managers.get(clock.agency_id or 0, []) if level == 1 else strategic
            told.append((who, f"Statutory clock {clock.reference} is overdue and has been escalated",
                         f"Statutory clock {clock.reference} ({clock.get_kind_display().lower()}) was due by "
                         f"{timezone.localtime(clock.due_at):%-d %B %Y %H:%M} and has not been met. "
                         f"It has been escalated {EscalationLevel(level).label.lower()}.",
                         reverse("clocks:clock", args=[clock.pk]) if level == 1 else to_the_group,
                         names_of(clock.child), clock.child_id, who))
    new_concerns, told_concerns = _concern_escalations(now, today, threshold, chase_from, strategic)
    new += new_concerns
    told += told_concerns
    if not new:
        return []
    with transaction.atomic():
        Escalation.objects.bulk_create(new)
        for recipients, subject, body, link, names, child, essential in told:
            notify(recipients=recipients, kind=NotificationKind.ESCALATED, subject=subject, body=body, link=link,
                   keep_out=names, about=child, essential=essential)
        audit_record(event_type=AuditEventType.ESCALATED, actor_label="scheduled escalation",
                     target_kind="escalations",
                     detail={"actions": sorted({e.action_id for e in new if e.action_id}),
                             "clocks": sorted({e.clock_id for e in new if e.clock_id}),
                             "concerns": sorted({e.concern_id for e in new if e.concern_id}), "count": len(new)},
                     shown=[child for *_, child, _ in told if child])  # in each child's trail
    return new


def _concern_escalations(
    now: dt.datetime, today: dt.date, threshold: int, chase_from: dt.datetime, strategic: list[User]
) -> tuple[list[Escalation], list[_Told]]:
    """Concerns still awaiting the front door's decision past their working day (DOMAIN.md: every
    concern decided within 1 working day): at once to the front door's team and the safeguarding
    managers of their agencies (level 1), and past the partnership's threshold to the strategic
    group (level 2). Only those due within the chase window, as for clocks."""
    concerns = [c for c in Concern.objects.filter(status=ConcernStatus.AWAITING_DECISION, decision_due_at__lt=now,
                                                  decision_due_at__gte=chase_from).select_related("child")
                if not on_time(now, c.decision_due_at)]
    if not concerns:
        return [], []
    done = set(Escalation.objects.filter(concern__in=concerns).values_list("concern_id", "level"))
    team = list(front_door_team())
    to_the_group = reverse("mace:escalations")  # the strategic group sees no child's records
    managers = [m for ms in _managers({u.agency_id for u in team if u.agency_id}).values() for m in ms]
    new: list[Escalation] = []
    told: list[_Told] = []
    for concern in concerns:
        late = working_days_between(local_date(concern.decision_due_at), today)
        for level in _levels_due(done, concern.pk, late, threshold):
            new.append(Escalation(concern=concern, level=level, agency=None, escalated_at=now,
                                  working_days_overdue=late))
            to = "to the front door's team and their managers" if level == 1 else "to the strategic group"
            escalated_to = [*team, *managers] if level == 1 else strategic
            told.append((escalated_to,
                         f"Concern {concern.reference} has not been decided and has been escalated",
                         f"Concern {concern.reference}{' (urgent)' if concern.urgent else ''} was raised on "
                         f"{timezone.localtime(concern.raised_at):%-d %B %Y} and was due a decision by "
                         f"{timezone.localtime(concern.decision_due_at):%-d %B %Y %H:%M}. It has not been decided: "
                         f"{late} working day{'s' if late != 1 else ''} overdue. It has been escalated {to}.",
                         reverse("frontdoor:detail", args=[concern.pk]) if level == 1 else to_the_group,
                         names_of(concern.child), concern.child_id, escalated_to))
    return new, told


# Records a health service keeps that the people working with a child on a plan must hear of at
# once (DOMAIN.md: health staff need "flags for children on plans"; CP-IS tells the council when a
# child on a plan attends urgent care).
HEALTH_NOTICE_TYPES = (EventType.AE_ATTENDANCE, EventType.SEXUAL_HEALTH_ATTENDANCE, EventType.PREGNANCY,
                       EventType.TERMINATION, EventType.SELF_HARM, EventType.INJURY)


@dataclass
class _Watched:
    """A child whose health records those working with them must hear of: on an open panel plan, or
    subject to a child protection plan (and no panel plan)."""

    child: Person
    since: dt.datetime  # when the plan was made: records the people working with the child did not know
    label: str  # how the e-mail names the plan, without the child's name
    who: str  # how the e-mail names the child, likewise
    plan: Plan | None = None
    conference: CaseworkStep | None = None

    @property
    def key(self) -> tuple[str, int]:
        return ("plan", self.plan.pk) if self.plan is not None else ("conference", self.conference.pk)  # type: ignore[union-attr]


def _watched_children() -> dict[int, _Watched]:
    watched = {p.child.root_id: _Watched(p.child, p.opened_at, f"Plan {p.reference}", f"The child on plan {p.reference}",
                                         plan=p)
               for p in Plan.objects.filter(status=PlanStatus.OPEN).select_related("child")}
    for child, made in protection_plans_in_force().items():
        if child not in watched:
            step = made.made_by
            reference = person_reference(child)
            watched[child] = _Watched(step.child, step.occurred_at, f"Child protection plan of {reference}",
                                      f"The child {reference}, subject to a child protection plan,", conference=step)
    return watched


def health_notices_send(*, now: dt.datetime | None = None) -> int:
    """Tell the people working with each child on an open plan, or subject to a child protection
    plan a conference recorded in the hub made, of a health record dated, or received, since the
    plan was made (and dated within ``HEALTH_NOTICE_DAYS``), once per record: the workers the child
    is allocated to and the owners of the panel plan's open actions (for a child protection plan
    alone, whoever recorded its conference), or, with none, the panel's coordinators. The e-mail says a plan has a new health record and when, never what kind (it is
    health data), which service recorded it, nor whose. A record the police marked C is the
    police's, and says nothing here. Returns how many records were told."""
    now = now or timezone.now()
    watched = _watched_children()
    if not watched:
        return 0
    since = now - dt.timedelta(days=settings.HEALTH_NOTICE_DAYS)
    candidates = (
        Event.objects.filter(event_type__in=HEALTH_NOTICE_TYPES, occurred_at__gte=since, occurred_at__lte=now,
                             source_record__person__root_id__in=list(watched))
        .exclude(restricted_events())
        .select_related("source_record__person")
    )
    told_before = {("plan", p, e) for p, e in HealthNotice.objects.filter(
        plan__in=[w.plan for w in watched.values() if w.plan]).values_list("plan_id", "event_id")}
    # A child protection plan's watch tells a record once, whichever watch told it: it takes over when
    # a panel plan closes, and what was told under the panel plan is not told again.
    told_any = set(HealthNotice.objects.filter(event__in=candidates).values_list("event_id", flat=True))
    fresh: dict[tuple[str, int], list[Event]] = defaultdict(list)
    by_key: dict[tuple[str, int], _Watched] = {}
    for event in candidates:
        child = watched[event.source_record.person.root_id]
        news = event.occurred_at >= child.since or event.imported_at >= child.since  # not known when it was made
        known = event.pk in told_any if child.conference is not None else (*child.key, event.pk) in told_before
        if news and not known:
            fresh[child.key].append(event)
            by_key[child.key] = child
    if not fresh:
        return 0
    coordinators = list(User.objects.filter(role__in=roles_with(Capability.RUN_PANEL), is_active=True))
    notices = []
    with transaction.atomic():
        for key, events in fresh.items():
            child = by_key[key]
            workers = {a.worker for a in Allocation.objects.filter(
                identity.same_person("child", child.child), kind=AllocationKind.CHILD, ended_at__isnull=True
            ).select_related("worker")}
            if child.plan is not None:
                workers |= {a.owner for a in child.plan.actions.filter(status=ActionStatus.OPEN).select_related("owner")}
            elif not workers and child.conference is not None and child.conference.recorded_by.is_active:
                workers = {child.conference.recorded_by}  # the worker who recorded the conference
            newest = max(e.occurred_at for e in events)
            told = notify(
                recipients=workers or coordinators,
                about=child.child.pk,  # a seal's: those it hides the child from are not told, its keeper is
                kind=NotificationKind.HEALTH_RECORD,
                subject=f"{child.label}: a new health record of the child",
                # Not which service recorded it either: "the sexual health clinic" would say what it is.
                body=f"{child.who} has {len(events)} new health record"
                     f"{'s' if len(events) != 1 else ''}, the latest dated "
                     f"{timezone.localtime(newest):%-d %B %Y}. Open the child's record in the hub to see "
                     "what it is, and whether the plan needs to change.",
                link=reverse("people:detail", args=[child.child.root_id]),
                keep_out=names_of(child.child),
            )
            notices += [HealthNotice(plan=child.plan, conference=child.conference, event=e, told_at=now,
                                     told=len(told)) for e in events]
        HealthNotice.objects.bulk_create(notices)
        audit_record(event_type=AuditEventType.HEALTH_NOTICES_SENT, actor_label="scheduled health notices",
                     target_kind="plans",
                     detail={"plans": sorted(k for kind, k in fresh if kind == "plan"),
                             "child_protection_plans": sorted(k for kind, k in fresh if kind == "conference"),
                             "records": len(notices)},
                     shown=[by_key[key].child.pk for key in fresh])  # in each child's trail
    return len(notices)


# --- roles and responsibilities ------------------------------------------------------------------


RACI_STALE = "Someone else saved a new version meanwhile: look at it and make your change again"


def raci_current() -> RaciVersion:
    """The current matrix. Version 1 is installed at setup (``mace.defaults``); were it missing, the
    default is read, unsaved: reading the matrix never writes it (``raci_change`` saves it, audited)."""
    version = RaciVersion.objects.order_by("-number").first()
    if version is None:
        version = RaciVersion(number=1, matrix=raci.as_json(raci.parse(raci.default_matrix())),
                              created_at=timezone.now(), change_note=DEFAULT_CHANGE_NOTE)
    return version


def raci_change(*, acting_user: User, based_on: int, matrix: dict[str, object], change_note: str) -> RaciVersion:
    """Save a changed matrix as a new version (refused with every problem if it does not hold)."""
    _require(acting_user, Capability.CONFIGURE_TOOLS, "Only an administrator can change the roles and responsibilities")
    change_note = _text(change_note, "Say what you changed and why", "change_note")
    steps = raci.parse(matrix)
    with transaction.atomic():
        current = raci_current()
        if current.number != based_on:
            raise ServiceError(RACI_STALE)
        data = raci.as_json(steps)
        if data == raci.as_json(raci.parse(current.matrix)):
            raise ServiceError("Nothing has changed, so no new version was saved")
        try:
            with transaction.atomic():
                if current.pk is None:  # the default, read but never installed: kept as the version it changes
                    current.save(force_insert=True)
                version = RaciVersion.objects.create(number=current.number + 1, matrix=data, created_by=acting_user,
                                                     created_at=timezone.now(), change_note=change_note)
        except IntegrityError as exc:  # another save committed after this one read the current version
            raise ServiceError(RACI_STALE) from exc
        audit_record(event_type=AuditEventType.RACI_CHANGED, actor=acting_user, target_kind="raci_version",
                     target_id=version.number, reason=change_note, detail={"from_version": current.number})
    return version


def responsible_agency_for(step_code: str) -> Agency | None:
    """The agency accountable for a step, by the current matrix: the first active agency of that kind."""
    for step in raci.parse(raci_current().matrix):
        if step.code == step_code:
            kinds = step.kinds_with("A") or step.kinds_with("R")
            return Agency.objects.filter(kind__in=kinds, is_active=True).order_by("pk").first()
    return None


def suggested_agency(step_code: str) -> Agency | None:
    """For a new action of a kind: the agency the matrix makes responsible (else accountable)."""
    for step in raci.parse(raci_current().matrix):
        if step.code == step_code:
            kinds = step.kinds_with("R") or step.kinds_with("A")
            return Agency.objects.filter(kind__in=kinds, is_active=True).order_by("pk").first()
    return None


# --- allocation ----------------------------------------------------------------------------------


def allocate(
    *,
    acting_user: User,
    worker: User,
    concern: Concern | None = None,
    alert: Alert | None = None,
    child: Person | None = None,
) -> Allocation:
    """Allocate a concern, an alert or a child to a named worker (ending any earlier allocation of it)."""
    _require(acting_user, Capability.ALLOCATE, "You cannot allocate work")
    given = [x for x in (concern, alert, child) if x is not None]
    if len(given) != 1:
        raise ServiceError("Allocate one concern, alert or child at a time")
    if not worker.is_active or not has(worker, Capability.VIEW_PERSON):
        raise ServiceError("Choose a worker in casework", field="worker")
    if has(acting_user, Capability.MANAGE_AGENCY_WORK) and not has(acting_user, Capability.TRIAGE) \
            and worker.agency_id != acting_user.agency_id:
        raise ServiceError("You can allocate work to people in your own agency", field="worker")
    kind = AllocationKind.CONCERN if concern else AllocationKind.ALERT if alert else AllocationKind.CHILD
    person = concern.child if concern else alert.person if alert else child
    assert person is not None
    if person.pk in persons_hidden_from(worker):
        raise ServiceError("This child's record is restricted, and its seal does not name that worker: ask the data "
                           "protection officer", field="worker")
    now = timezone.now()
    target = {"concern": concern, "alert": alert, "child": identity.current(child) if child else None}
    try:
        allocation = _allocate_now(acting_user=acting_user, worker=worker, kind=kind, target=target,
                                   target_id=given[0].pk, person=person, now=now)
    except IntegrityError as exc:
        # Someone else allocated it at the same moment (the database keeps one live allocation of each).
        live = Allocation.objects.filter(ended_at__isnull=True, **target).select_related("worker", "allocated_by").first()
        if live is None or "one_live_allocation" not in str(exc):  # another clash: not someone else's allocation
            raise
        raise ServiceError(f"{live.allocated_by} allocated this {AllocationKind(kind).label.lower()} to {live.worker} "
                           "at the same moment: allocate it again to change that", field="worker") from exc
    return allocation


def _allocate_now(*, acting_user: User, worker: User, kind: AllocationKind, target: Mapping[str, Concern | Alert | Person | None],
                  target_id: int, person: Person, now: dt.datetime) -> Allocation:
    """End the live allocation of the target and allocate it to the worker, in one savepoint: the database's
    one-live-allocation constraint refuses it (IntegrityError) if someone else allocated it meanwhile."""
    concern, alert = target["concern"], target["alert"]
    with transaction.atomic():
        current = Allocation.objects.filter(kind=kind, ended_at__isnull=True, **target)
        current.update(ended_at=now)
        allocation = Allocation.objects.create(
            kind=kind, **target, worker=worker, allocated_by=acting_user, allocated_at=now,
        )
        audit_record(event_type=AuditEventType.ALLOCATED, actor=acting_user, target_kind=kind,
                     target_id=target_id, person_id=person.pk,
                     detail={"worker": worker.pk})
        what = {AllocationKind.CONCERN: f"concern {concern.reference}" if concern else "",
                AllocationKind.ALERT: f"alert {alert.reference}" if alert else "",
                AllocationKind.CHILD: f"the child {person.reference}"}[kind]
        notify(recipients=[worker], kind=NotificationKind.ALLOCATED, subject="Work allocated to you",
               body=f"{acting_user.get_full_name() or acting_user.username} allocated {what} to you.",
               link=reverse("mace:my-work"), keep_out=names_of(person))
    return allocation
