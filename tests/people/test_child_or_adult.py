"""Whether a person is a child or an adult on a day: the records' role first, else the date of birth."""

from __future__ import annotations

import datetime as dt

import pytest

from safeguarding.people.models import child_or_adult

DAY = dt.date(2026, 12, 7)


@pytest.mark.parametrize(("role", "born", "expected"), [
    ("child", "1990-01-01", "child"),  # an agency says so: both kept, as the import keeps them
    ("adult", "", "adult"),
    ("", "2008-12-08", "child"),  # 18 tomorrow
    ("", "2008-12-07", "adult"),  # 18 today
    ("", "2008", "child"),  # could be born on 31 December 2008, as the early-warning rules count it
    ("", "2008-11", "adult"),
    ("", "2008-13-01", ""),  # not a date
    ("", "", ""),
])
def test_the_role_an_agency_sends_decides_and_without_one_the_date_of_birth(role: str, born: str, expected: str) -> None:
    assert child_or_adult(role, born, DAY) == expected
