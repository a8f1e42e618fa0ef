"""A child known to three agencies, and helpers to answer and complete screenings."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest
from django.utils import timezone

from safeguarding.accounts.models import Agency, AgencyKind, User
from safeguarding.people.models import Event, EventType, Handling, Person
from safeguarding.screening import services
from safeguarding.screening.models import ScreeningAssessment
from safeguarding.screening.selectors import tool_current
from safeguarding.screening.services import AnswerInput
from safeguarding.screening.tool import NO, YES
from tests.factories import EventFactory, PersonFactory, SourceRecordFactory, SourceSystemFactory


@dataclass
class Child:
    person: Person
    recent_missing: Event
    old_missing: Event
    sexual_health: Event
    restricted_intel: Event
    shareable_intel: Event


@pytest.fixture
def child(agencies: dict[str, Agency]) -> Child:
    police = SourceSystemFactory(code="police-records", agency=agencies[AgencyKind.POLICE])
    health = SourceSystemFactory(code="nhs-sexual-health", agency=agencies[AgencyKind.HEALTH])
    person = PersonFactory(given_name="Chloe", family_name="Barker")
    p = SourceRecordFactory(source_system=police, record_id="NICHE-1", person=person)
    h = SourceRecordFactory(source_system=health, record_id="NHS-1", person=person)
    now = timezone.now()
    return Child(
        person=person,
        recent_missing=EventFactory(
            source_record=p, event_type=EventType.MISSING_EPISODE, occurred_at=now - dt.timedelta(days=10)
        ),
        old_missing=EventFactory(
            source_record=p, event_type=EventType.MISSING_EPISODE, occurred_at=now - dt.timedelta(days=400)
        ),
        sexual_health=EventFactory(
            source_record=h, event_type=EventType.SEXUAL_HEALTH_ATTENDANCE, occurred_at=now - dt.timedelta(days=30)
        ),
        restricted_intel=EventFactory(
            source_record=p,
            event_type=EventType.INTELLIGENCE,
            handling=Handling.CONDITIONS,
            occurred_at=now - dt.timedelta(days=5),
            detail="restricted-intel-text",
        ),
        shareable_intel=EventFactory(
            source_record=p,
            event_type=EventType.INTELLIGENCE,
            handling=Handling.SHAREABLE,
            occurred_at=now - dt.timedelta(days=6),
            detail="shareable-intel-text",
        ),
    )


def answers_for(yes: dict[str, Any] | None = None) -> dict[str, AnswerInput]:
    """Every indicator of the current tool answered no, except those given (code -> evidence or
    list of event ids)."""
    yes = yes or {}
    out = {}
    for ind in tool_current().tool.indicators:
        given = yes.get(ind.code)
        if given is None:
            out[ind.code] = AnswerInput(answer=NO)
        elif isinstance(given, list):
            out[ind.code] = AnswerInput(answer=YES, event_ids=given)
        else:
            out[ind.code] = AnswerInput(answer=YES, evidence=str(given))
    return out


def screen(
    user: User,
    person: Person,
    level: str,
    *,
    yes: dict[str, Any] | None = None,
    reason: str = "",
) -> ScreeningAssessment:
    """Answer and complete a screening with ``level`` as the practitioner's judgement."""
    draft = services.screening_answers_save(acting_user=user, child=person, answers=answers_for(yes))
    return services.screening_complete(
        acting_user=user,
        assessment=draft,
        judgement_level=level,
        judgement_reasoning="Considered all agencies' records",
        downgrade_reason=reason,
    )
