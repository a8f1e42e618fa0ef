"""The reads that compose several rooms (``workflows.selectors``): the single view's last two years
by agency, as pure figures (the page and who may see what are tested in tests/people/test_single_view.py)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from safeguarding.people.selectors import TimelineEntry
from safeguarding.workflows.selectors import activity_of


def test_the_visual_timeline_has_a_shape_and_a_name_for_every_agency() -> None:
    today = dt.date(2026, 12, 3)
    entries = [
        TimelineEntry(when=timezone.make_aware(dt.datetime(2026, 11, 2, 12)), date_only=True, title="x", agency=name,
                      source="", detail="", kind="event")
        for name in ("Alpha", "Beta", "Beta", "Gamma")
    ]
    activity = activity_of(entries, today=today)
    assert activity.months[0] == dt.date(2025, 1, 1) and activity.months[-1] == dt.date(2026, 12, 1)
    assert [r.agency for r in activity.rows] == ["Alpha", "Beta", "Gamma"]
    assert len({r.shape for r in activity.rows}) == 3
    assert activity.rows[1].marks[0].count == 2 and activity.rows[1].marks[0].text == "2 in November 2026"
    assert activity.rows[1].by_quarter == [0, 0, 0, 0, 0, 0, 0, 2]
    assert activity.quarters[-1] == "Oct 2026 to Dec 2026"


def _entry(day: dt.date, agency: str, kind: str) -> TimelineEntry:
    return TimelineEntry(when=timezone.make_aware(dt.datetime(day.year, day.month, day.day, 9)), date_only=False,
                         title=kind, agency=agency.title(), source="", detail="", kind="event", agency_code=agency,
                         event_type=kind)


def test_months_before_the_two_years_are_left_out_of_the_picture() -> None:
    entries = [_entry(dt.date(2024, 12, 31), "police", "arrest"), _entry(dt.date(2025, 1, 1), "police", "arrest")]
    activity = activity_of(entries, today=dt.date(2026, 12, 3))
    assert [row.total for row in activity.rows] == [1]


def test_the_chronology_filters_and_pages_a_list_in_memory_with_true_counts() -> None:
    from django.http import QueryDict

    from safeguarding.workflows.selectors import chronology_listing

    start = dt.date(2026, 1, 1)
    entries = [_entry(start + dt.timedelta(days=i), "police" if i % 3 == 0 else "school",
                      "missing_episode" if i % 2 == 0 else "absent_from_school") for i in range(120)]
    entries.reverse()  # newest first, as the single view holds them
    everything = chronology_listing(entries, query=QueryDict(""))
    assert everything.total == 120 and everything.pages == 3 and len(everything.items) == 50
    police = chronology_listing(entries, query=QueryDict("agency=police&page=2"))
    assert police.total == 40 and police.page == 1 and len(police.items) == 40  # a page past the end: the last
    both = chronology_listing(entries, query=QueryDict("agency=police&kind=missing_episode"))
    assert both.total == 20 and all(e.agency_code == "police" and e.event_type == "missing_episode" for e in both)
    january = chronology_listing(entries, query=QueryDict("from_0=10&from_1=1&from_2=2026&to_0=19&to_1=1&to_2=2026"))
    assert january.total == 10
    backwards = chronology_listing(entries, query=QueryDict("from_0=19&from_1=1&from_2=2026&to_0=10&to_1=1&to_2=2026"))
    # The end before the start is reported on the end date, which is left out; the start still applies.
    assert backwards.total == 102 and backwards.filters is not None and backwards.filters.has_errors()
    unknown = chronology_listing(entries, query=QueryDict("agency=nobody"))
    assert unknown.total == 120 and unknown.filters is not None and unknown.filters.has_errors()
