"""Whether a person was a child or an adult on a day: the date of birth first, else the records' role."""

from __future__ import annotations

import datetime as dt

import pytest

from safeguarding.people.models import child_or_adult

DAY = dt.date(2026, 12, 7)


@pytest.mark.parametrize(("role", "born", "expected"), [
    ("child", "1990-01-01", "adult"),  # a child when an agency last sent the record, an adult on the day
    ("adult", "2010-01-01", "child"),
    ("adult", "", "adult"),
    ("child", "", "child"),
    ("", "2008-12-08", "child"),  # 18 tomorrow
    ("", "2008-12-07", "adult"),  # 18 today
    ("", "2008", "child"),  # could be born on 31 December 2008, as the early-warning rules count it
    ("", "2008-11", "adult"),
    ("", "2008-13-01", ""),  # not a date
    ("", "", ""),
])
def test_the_date_of_birth_decides_and_without_one_the_role_an_agency_sends(role: str, born: str, expected: str) -> None:
    assert child_or_adult(role, born, DAY) == expected


@pytest.mark.django_db
@pytest.mark.parametrize("day", [dt.date(2026, 12, 7), dt.date(2026, 11, 30), dt.date(2026, 12, 31),
                                 dt.date(2026, 2, 28), dt.date(2026, 3, 1), dt.date(2027, 1, 1)])
def test_the_database_finds_the_children_the_rule_finds(day: dt.date) -> None:
    """``children_on`` (the network analysis's children, asked of the database) agrees with ``child_or_adult``
    for every date of birth either side of the day 18 years before, whole or partial."""
    from safeguarding.people.models import Person, adults_on, children_on
    from tests.factories import PersonFactory

    around = [day.replace(year=day.year - 18) if (day.month, day.day) != (2, 29) else dt.date(day.year - 18, 2, 28)]
    around += [around[0] + dt.timedelta(days=d) for d in (-40, -1, 1, 2, 40)]
    births = {""} | {b.isoformat() for b in around} | {b.isoformat()[:7] for b in around} | {str(b.year) for b in around}
    births |= {"2008-02-29", "2008-02", "2009-03-01", "1990", "2020-06"}
    people = [PersonFactory(date_of_birth=born, role=role) for born in sorted(births) for role in ("child", "adult", "")]

    ours = Person.objects.filter(pk__in=[p.pk for p in people])
    found = set(ours.filter(children_on(day)).values_list("pk", flat=True))
    adults = set(ours.filter(adults_on(day)).values_list("pk", flat=True))

    expected = {p.pk for p in people if child_or_adult(p.role, p.date_of_birth, day) == "child"}
    assert found == expected
    assert len(expected) > 10 and len(people) - len(expected) > 10
    assert adults == {p.pk for p in people if child_or_adult(p.role, p.date_of_birth, day) == "adult"}
    assert len(people) - len(found) - len(adults) == 1  # no date of birth, no role: neither
