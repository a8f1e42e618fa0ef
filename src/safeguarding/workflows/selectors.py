"""Reads that compose several rooms: the child's single view, put together from each room's own
selectors (no room reads another's tables, and no template tag runs a query)."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse
from django.utils.http import urlencode

from safeguarding.accounts.access import Capability, has
from safeguarding.accounts.models import User
from safeguarding.clocks.models import StatutoryClock
from safeguarding.clocks.selectors import clocks_for_person
from safeguarding.earlywarning.models import Alert
from safeguarding.earlywarning.selectors import alerts_for_person
from safeguarding.frontdoor.selectors import concerns_for_person, raise_token
from safeguarding.linkage.selectors import pending_review_record_ids
from safeguarding.mace.models import Allocation, Plan, PlanAction
from safeguarding.mace.selectors import allocation_for_child, plan_actions, plan_for_person
from safeguarding.panel.models import PanelReferral
from safeguarding.panel.selectors import open_referral_for_person
from safeguarding.people.models import Person, PersonRole, Relationship, SourceRecord
from safeguarding.people.selectors import PersonRecords, TimelineEntry, person_records
from safeguarding.screening.selectors import ScreeningSummary, screening_summary
from safeguarding.support.selectors import SupportSummary, support_summary


@dataclass
class ChildView:
    """Everything the single view shows about a person, for one viewer."""

    person: Person
    people: PersonRecords  # records, events, relationships (the people room's part)
    timeline: list[TimelineEntry]  # agencies' events and concerns raised in the hub, newest first
    awaiting_review: set[int]  # source records in a pair awaiting match review
    alerts: list[Alert]
    can_work_alerts: bool
    screening: ScreeningSummary
    open_referral: PanelReferral | None
    raise_url: str  # where this viewer raises a concern about the child ("" if they may not)
    support: SupportSummary  # support plans held (who holds them, not what), and a wish for no contact
    plan: Plan | None = None  # the plan in force (open), else the latest
    plan_actions: list[PlanAction] | None = None  # its open actions and who owns them
    clocks: list[StatutoryClock] | None = None
    can_record_casework: bool = False
    can_record_interview: bool = False
    can_allocate: bool = False
    allocation: Allocation | None = None

    @property
    def records(self) -> list[SourceRecord]:
        return self.people.records

    @property
    def relationships(self) -> list[Relationship]:
        return self.people.relationships

    @property
    def hidden_restricted(self) -> int:
        return self.people.hidden_restricted


def child_view(*, user: User, person: Person) -> ChildView:
    """The single view of ``person``, who must come from ``people.selectors.person_for_user_or_404``
    (which checks access and logs the view)."""
    people = person_records(user=user, person=person)
    timeline = list(people.timeline)
    for concern in concerns_for_person(user=user, person=person):
        decision = getattr(concern, "decision", None)
        timeline.append(
            TimelineEntry(
                when=concern.raised_at,
                date_only=False,
                title=f"Concern {concern.reference}{' (urgent)' if concern.urgent else ''}",
                agency=concern.agency.name,
                source=f"raised in the hub by {concern.raised_by.get_full_name() or concern.raised_by.username}",
                detail=concern.description,
                kind="concern",
                extra={
                    "concern_id": concern.pk,
                    "indicators": concern.indicator_labels(),
                    "decision": decision.get_outcome_display() if decision else "Awaiting decision",
                },
            )
        )
    timeline.sort(key=lambda entry: entry.when, reverse=True)
    raise_url = ""
    if has(user, Capability.RAISE_CONCERN) and person.role != PersonRole.ADULT:
        raise_url = f"{reverse('frontdoor:raise')}?{urlencode({'child': raise_token(user=user, person=person)})}"
    sees_panel_referral = has(user, Capability.TRIAGE) or has(user, Capability.WORK_ALERTS)
    plan = plan_for_person(user=user, person=person)
    return ChildView(
        person=person,
        people=people,
        timeline=timeline,
        awaiting_review=pending_review_record_ids([r.pk for r in people.records]),
        alerts=list(alerts_for_person(user=user, person=person)),
        can_work_alerts=has(user, Capability.WORK_ALERTS),
        screening=screening_summary(user=user, person=person),
        open_referral=open_referral_for_person(person) if sees_panel_referral else None,
        raise_url=raise_url,
        support=support_summary(user=user, person=person),


        plan=plan,
        plan_actions=[a for a in plan_actions(plan=plan) if a.is_open] if plan is not None else [],
        clocks=clocks_for_person(user=user, person=person),
        can_record_casework=has(user, Capability.RECORD_CASEWORK),
        can_record_interview=has(user, Capability.RECORD_CASEWORK),
        can_allocate=has(user, Capability.ALLOCATE),
        allocation=allocation_for_child(person) if has(user, Capability.VIEW_PLANS) else None,
    )
