"""A partnership ready for a panel meeting: co-chairs, a coordinator, owners in two agencies and
their managers, and a child referred to the panel."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from django.utils import timezone

from safeguarding.accounts.models import AgencyKind, Role, User
from safeguarding.core.calendar import ENGLAND
from safeguarding.mace.models import PanelMeeting
from safeguarding.mace.services import meetings_schedule
from safeguarding.panel.services import panel_refer
from safeguarding.people.models import Person
from tests.factories import PersonFactory


def hours_on(hours: int) -> dt.datetime:
    """A meeting time ``hours`` (1 or 2) on from now, kept on today's date in England: attendance can
    be recorded only from the meeting's day, so a suite run late in the evening must not put its
    meetings tomorrow. From 22:00 the two are put a third and two thirds of the way to midnight, still
    ahead and in order (only a test still running as midnight passes sees its meeting go by)."""
    now = timezone.now()
    today = now.astimezone(ENGLAND).date()
    if (now + dt.timedelta(hours=2)).astimezone(ENGLAND).date() == today:
        return now + dt.timedelta(hours=hours)
    midnight = dt.datetime.combine(today + dt.timedelta(days=1), dt.time(), tzinfo=ENGLAND)
    return now + (midnight - now) * hours / 3


@dataclass
class Panel:
    coordinator: User
    police_chair: User
    council_chair: User
    officer: User
    practitioner: User
    police_manager: User
    council_manager: User
    strategic: User
    child: Person
    meeting: PanelMeeting


@pytest.fixture
def panel(make_user) -> Panel:  # type: ignore[no-untyped-def]
    coordinator = make_user(role=Role.MACE_COORDINATOR, agency_kind=AgencyKind.COUNCIL, email="mace@example.org")
    police_chair = make_user(role=Role.INTELLIGENCE_OFFICER, agency_kind=AgencyKind.POLICE, email="chair.p@example.org")
    council_chair = make_user(role=Role.MACE_COORDINATOR, agency_kind=AgencyKind.COUNCIL, email="chair.c@example.org")
    officer = make_user(role=Role.INTELLIGENCE_OFFICER, agency_kind=AgencyKind.POLICE, email="officer@example.org")
    practitioner = make_user(role=Role.LEAD_PRACTITIONER, agency_kind=AgencyKind.COUNCIL, email="lp@example.org")
    police_manager = make_user(role=Role.AGENCY_MANAGER, agency_kind=AgencyKind.POLICE, email="pm@example.org")
    council_manager = make_user(role=Role.AGENCY_MANAGER, agency_kind=AgencyKind.COUNCIL, email="cm@example.org")
    strategic = make_user(role=Role.PARTNERSHIP_MANAGER, agency_kind=AgencyKind.COUNCIL, email="sg@example.org")
    child = PersonFactory(given_name="Chloe", family_name="Barker")
    panel_refer(child=child, referred_by=coordinator, reason="Repeat missing with adults")
    [meeting] = meetings_schedule(
        acting_user=coordinator, first_at=hours_on(1), place="Town hall, room 2",
        police_chair=police_chair, council_chair=council_chair,
    )
    return Panel(coordinator, police_chair, council_chair, officer, practitioner, police_manager, council_manager,
                 strategic, child, meeting)
