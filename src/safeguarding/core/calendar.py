"""The one working-day calendar: weekends and the bank holidays of England and Wales."""

from __future__ import annotations

import calendar
import datetime as dt
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

ENGLAND = ZoneInfo("Europe/London")


@lru_cache(maxsize=64)
def _bank_holidays(year: int) -> holidays.HolidayBase:
    # England and Wales share one list of bank holidays; the library keeps it, including
    # one-off days such as coronations and state funerals.
    return holidays.country_holidays("GB", subdiv="ENG", years=year)


def is_bank_holiday(day: dt.date) -> bool:
    return day in _bank_holidays(day.year)


def is_working_day(day: dt.date) -> bool:
    return day.weekday() < 5 and not is_bank_holiday(day)


def next_working_day(day: dt.date) -> dt.date:
    """The first working day strictly after ``day``."""
    candidate = day + dt.timedelta(days=1)
    while not is_working_day(candidate):
        candidate += dt.timedelta(days=1)
    return candidate


def add_working_days(day: dt.date, count: int) -> dt.date:
    """The date ``count`` working days after ``day`` (the day itself not counted)."""
    result = day
    for _ in range(count):
        result = next_working_day(result)
    return result


def working_days_between(start: dt.date, end: dt.date) -> int:
    """Working days after ``start`` up to and including ``end`` (0 when end <= start)."""
    count = 0
    day = start
    while day < end:
        day += dt.timedelta(days=1)
        if is_working_day(day):
            count += 1
    return count


def local_date(moment: dt.datetime) -> dt.date:
    """The day a moment falls on in England (what a date typed into a form means)."""
    return moment.astimezone(ENGLAND).date()


def end_of_day(day: dt.date) -> dt.datetime:
    """The last moment of ``day`` in England, as an aware datetime."""
    return dt.datetime.combine(day, dt.time(23, 59, 59), tzinfo=ENGLAND)


def on_time(moment: dt.datetime, due: dt.datetime) -> bool:
    """Whether ``moment`` is on or before ``due``, to the second: a deadline is the last second of a
    day (``end_of_day``), and a decision made within that second is in time."""
    return moment.replace(microsecond=0) <= due


def deadline_working_days(received_at: dt.datetime, working_days: int) -> dt.datetime:
    """The deadline for something due within N working days of ``received_at``.

    The day of receipt is not counted: a concern received on Friday afternoon, or on Saturday,
    with one working day to decide, is due by the end of Monday (Tuesday if Monday is a bank
    holiday). This is the common reading of "within 1 working day" at the front door.
    """
    return end_of_day(add_working_days(local_date(received_at), working_days))


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` calendar months on, or the month's last day where it is shorter
    (three months from 30 November is 28 or 29 February)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def deadline_months(started_at: dt.datetime, months: int) -> dt.datetime:
    """The deadline for something due within N calendar months of ``started_at``: the end of the same
    day that many months on (a review conference within 3 months)."""
    return end_of_day(add_months(local_date(started_at), months))


def latest_moment(*moments: dt.datetime | dt.date | None) -> dt.datetime | None:
    """The latest of these moments (None when none is known); a date counts as its last moment, so
    whatever is counted from it (a retention period) never starts early."""
    known = [m if isinstance(m, dt.datetime) else end_of_day(m) for m in moments if m is not None]
    return max(known) if known else None


def keep_latest(latest: dict[int, dt.datetime], key: int, *moments: dt.datetime | dt.date | None) -> None:
    """Raise ``latest[key]`` to the latest of these moments (``latest_moment``), if any is later."""
    moment = latest_moment(latest.get(key), *moments)
    if moment is not None:
        latest[key] = moment
