"""The working-day calendar: weekends and England and Wales bank holidays do not count."""

import datetime as dt

from safeguarding.core.calendar import (
    ENGLAND,
    add_months,
    add_working_days,
    deadline_months,
    deadline_working_days,
    is_working_day,
    on_time,
    working_days_between,
)


def test_weekends_and_bank_holidays_are_not_working_days() -> None:
    assert is_working_day(dt.date(2026, 11, 23))  # Monday
    assert not is_working_day(dt.date(2026, 11, 21))  # Saturday
    assert not is_working_day(dt.date(2026, 12, 25))  # Christmas Day (Friday)
    assert not is_working_day(dt.date(2026, 12, 28))  # Boxing Day substitute (Monday)
    assert not is_working_day(dt.date(2026, 4, 3))  # Good Friday
    assert not is_working_day(dt.date(2026, 4, 6))  # Easter Monday (England and Wales, not Scotland)
    assert not is_working_day(dt.date(2026, 8, 31))  # Summer bank holiday (England, not Scotland)


def test_one_working_day_from_friday_afternoon_is_end_of_monday() -> None:
    received = dt.datetime(2026, 11, 20, 15, 30, tzinfo=ENGLAND)  # Friday
    due = deadline_working_days(received, 1)
    assert due.date() == dt.date(2026, 11, 23)
    assert (due.hour, due.minute) == (23, 59)


def test_concern_on_christmas_eve_is_due_after_the_holidays() -> None:
    received = dt.datetime(2026, 12, 24, 10, 0, tzinfo=ENGLAND)  # Thursday
    # Fri 25 Christmas, Sat, Sun, Mon 28 substitute Boxing Day -> Tuesday 29th.
    assert deadline_working_days(received, 1).date() == dt.date(2026, 12, 29)


def test_saturday_concern_is_due_monday() -> None:
    received = dt.datetime(2026, 11, 21, 9, 0, tzinfo=ENGLAND)
    assert deadline_working_days(received, 1).date() == dt.date(2026, 11, 23)


def test_deadline_uses_england_local_date_not_utc() -> None:
    # 23:30 UTC on Friday 19 June 2026 is 00:30 on Saturday in England (BST).
    received = dt.datetime(2026, 6, 19, 23, 30, tzinfo=dt.UTC)
    assert deadline_working_days(received, 1).date() == dt.date(2026, 6, 22)


def test_forty_five_working_days_for_an_assessment() -> None:
    start = dt.date(2026, 12, 1)
    end = add_working_days(start, 45)
    assert working_days_between(start, end) == 45
    # December 2026 has 3 bank holidays after the 1st (25th, 28th) and 1 January 2027.
    assert end == dt.date(2027, 2, 5)


def test_fifteen_working_days_across_christmas_and_the_year_end() -> None:
    # A strategy discussion on Monday 21 December 2026: Christmas Day (Friday), Boxing Day (a
    # Saturday, so the bank holiday is Monday 28th) and New Year's Day (Friday) are not counted.
    due = deadline_working_days(dt.datetime(2026, 12, 21, 10, tzinfo=ENGLAND), 15)
    assert due.date() == dt.date(2027, 1, 14)


def test_five_working_days_across_easter() -> None:
    # An NRM referral on Wednesday 1 April 2026: Good Friday (3rd) and Easter Monday (6th) skipped.
    assert add_working_days(dt.date(2026, 4, 1), 5) == dt.date(2026, 4, 10)
    assert working_days_between(dt.date(2026, 4, 1), dt.date(2026, 4, 10)) == 5


def test_a_decision_in_the_last_second_of_the_due_day_is_in_time() -> None:
    due = deadline_working_days(dt.datetime(2026, 11, 23, 9, tzinfo=ENGLAND), 1)  # end of Tuesday
    assert on_time(dt.datetime(2026, 11, 24, 23, 59, 59, 400_000, tzinfo=ENGLAND), due)
    assert not on_time(dt.datetime(2026, 11, 25, 0, 0, 0, tzinfo=ENGLAND), due)


def test_months_are_calendar_months_ending_on_the_shorter_months_last_day() -> None:
    assert add_months(dt.date(2026, 1, 15), 3) == dt.date(2026, 4, 15)
    assert add_months(dt.date(2025, 11, 30), 3) == dt.date(2026, 2, 28)
    assert add_months(dt.date(2027, 11, 30), 3) == dt.date(2028, 2, 29)  # a leap year
    assert add_months(dt.date(2026, 8, 31), 6) == dt.date(2027, 2, 28)
    assert add_months(dt.date(2026, 10, 1), 6) == dt.date(2027, 4, 1)
    # Within 3 months of a conference held late on 30 November: by the end of 28 February, in England.
    due = deadline_months(dt.datetime(2026, 11, 30, 23, 30, tzinfo=dt.UTC), 3)
    assert due.astimezone(ENGLAND).date() == dt.date(2027, 3, 1) - dt.timedelta(days=1) and due.hour == 23
