"""A support worker and a survivor for the support room's tests."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from safeguarding.accounts.models import AgencyKind, Role, User
from tests.factories import UserFactory


def born_years_ago(years: int, *, days_later: int = 0) -> str:
    """A date of birth: ``years`` years before today, moved ``days_later`` days towards today (so the
    birthday is that many days away)."""
    today = timezone.localdate()
    try:
        born = today.replace(year=today.year - years)
    except ValueError:  # 29 February
        born = dt.date(today.year - years, 3, 1)
    return (born + dt.timedelta(days=days_later)).isoformat()


@pytest.fixture
def worker(agencies) -> User:  # type: ignore[no-untyped-def]
    return UserFactory(
        username="jo.green", first_name="Jo", last_name="Green", role=Role.SUPPORT_WORKER,
        agency=agencies[AgencyKind.VOLUNTARY],
    )
