"""Lists a page at a time: true totals, the address of every page, sorting, filters that say what
is in force and remove themselves, and the CSV values. Pure: no database."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from django import forms
from django.http import QueryDict

from safeguarding.core.forms import GovukDateField
from safeguarding.core.lists import ListFilters, Sort, csv_values, listing, period


@dataclass
class Row:
    name: str
    age: int | None


ROWS = [Row(f"child {n:03d}", n % 17 or None) for n in range(127)]


class Filters(ListFilters):
    level = forms.MultipleChoiceField(required=False, label="Level", widget=forms.CheckboxSelectMultiple,
                                      choices=[("high", "High"), ("low", "Low")])
    child = forms.CharField(required=False, label="Child")
    since = GovukDateField(required=False, label="Raised on or after")


def _q(text: str) -> QueryDict:
    return QueryDict(text)


def test_the_count_is_the_true_total_and_each_page_holds_its_share() -> None:
    first = listing(ROWS, query=_q(""), noun=("child", "children"), per_page=50)
    assert first.total == 127 and first.pages == 3
    assert first.count_text == "127 children"
    assert first.showing_text == "Showing 1 to 50 of 127 children"
    last = listing(ROWS, query=_q("page=3"), noun=("child", "children"), per_page=50)
    assert [r.name for r in last.items] == [r.name for r in ROWS[100:]]
    assert last.showing_text == "Showing 101 to 127 of 127 children"
    assert last.next_href == "" and last.previous_href == "?page=2"
    assert {r.name for r in first.items}.isdisjoint({r.name for r in last.items})


def test_a_page_past_the_end_shows_the_last_and_nonsense_the_first() -> None:
    assert listing(ROWS, query=_q("page=99"), noun=("a", "b"), per_page=50).page == 3
    assert listing(ROWS, query=_q("page=x"), noun=("a", "b"), per_page=50).page == 1
    assert listing(ROWS, query=_q("page=-4"), noun=("a", "b"), per_page=50).page == 1
    empty = listing([], query=_q(""), noun=("alert", "alerts"))
    assert empty.total == 0 and empty.pages == 1 and empty.page_links == [] and empty.count_text == "0 alerts"
    assert listing(ROWS[:1], query=_q(""), noun=("alert", "alerts")).count_text == "1 alert"


def test_page_links_keep_the_filters_and_put_an_ellipsis_between_far_pages() -> None:
    rows = list(range(1000))
    page = listing(rows, query=_q("child=amy&page=10&sort=name"), noun=("a", "b"), per_page=10)
    numbers = [link.number for link in page.page_links]
    assert numbers == [1, None, 9, 10, 11, None, 100]
    current = [link for link in page.page_links if link.current]
    assert [link.number for link in current] == [10]
    assert page.page_href(1) == "?child=amy&sort=name"  # page 1 has no page in its address
    assert page.next_href == "?child=amy&sort=name&page=11"


def test_two_lists_on_one_page_keep_apart_by_prefix() -> None:
    query = _q("page=2&decided-page=3")
    waiting = listing(ROWS, query=query, noun=("a", "b"), per_page=10)
    decided = listing(ROWS, query=query, noun=("a", "b"), per_page=10, prefix="decided")
    assert waiting.page == 2 and decided.page == 3
    assert decided.next_href == "?page=2&decided-page=4"


def test_sorting_by_a_column_either_way_and_its_aria_sort() -> None:
    sorts = [Sort("age", ("age",))]
    up = listing(ROWS, query=_q("sort=age"), noun=("a", "b"), sorts=sorts, per_page=200)
    ages = [r.age for r in up.items]
    assert ages[:2] == [None, None] and ages[-1] == 16  # no value sorts first, never breaks the sort
    assert up.sort_link("age") == {"href": "?sort=age&order=desc", "aria_sort": "ascending"}
    down = listing(ROWS, query=_q("sort=age&order=desc&page=2"), noun=("a", "b"), sorts=sorts, per_page=200)
    assert down.items[0].age == 16
    assert down.sort_link("age")["aria_sort"] == "descending"
    assert down.sort_link("age")["href"] == "?sort=age&order=asc"  # and back to the first page
    unsorted = listing(ROWS, query=_q("sort=unknown"), noun=("a", "b"), sorts=sorts, per_page=200)
    assert unsorted.items == ROWS and unsorted.sort_link("age")["aria_sort"] == "none"


def test_selected_filters_name_each_value_and_remove_only_it() -> None:
    query = _q("level=high&level=low&child=amy&since_0=1&since_1=2&since_2=2026&page=2&sort=age")
    filters = Filters(query)
    page = listing(ROWS, query=query, noun=("a", "b"), filters=filters)
    categories = {c.heading: c.tags for c in page.selected_filters}
    assert [t.text for t in categories["Level"]] == ["High", "Low"]
    assert categories["Level"][0].href == "?level=low&child=amy&since_0=1&since_1=2&since_2=2026&sort=age"
    assert [t.text for t in categories["Raised on or after"]] == ["1 February 2026"]
    assert "since" not in categories["Raised on or after"][0].href
    assert page.clear_filters_href == "?sort=age"
    assert ("sort", "age") in page.kept_when_filtering and all(k != "page" for k, _ in page.kept_when_filtering)


def test_a_filter_that_does_not_validate_is_reported_and_left_out() -> None:
    filters = Filters(_q("since_0=31&since_1=2&since_2=2026&child=amy"))
    assert filters.values() == {"child": "amy"}
    assert filters.errors["since"] == ["Enter a real date"]


def test_downloads_are_offered_within_the_limit_only(settings) -> None:  # type: ignore[no-untyped-def]
    settings.LIST_DOWNLOAD_MAX_ROWS = 100
    small = listing(ROWS[:100], query=_q("download=csv"), noun=("a", "b"), downloadable=True)
    assert small.download_href == "?download=csv" and small.wants_download
    big = listing(ROWS, query=_q("download=csv"), noun=("a", "b"), downloadable=True)
    assert big.download_href == "" and big.download_too_big and not big.wants_download
    assert not listing(ROWS[:5], query=_q("download=csv"), noun=("a", "b")).wants_download


def test_csv_values_and_periods() -> None:
    assert csv_values(None) == "" and csv_values(True) == "yes" and csv_values(dt.date(2026, 2, 1)) == "2026-02-01"
    bounds = period("raised_at", dt.date(2026, 2, 1), dt.date(2026, 2, 1))
    assert bounds["raised_at__lt"] - bounds["raised_at__gte"] == dt.timedelta(days=1)
    assert period("raised_at", None, None) == {}


@pytest.mark.parametrize("text,expected", [("P0000239", 239), ("p239", 239), (" P 0000239 ", 239), ("239", None),
                                           ("Q0000239", None), ("", None)])
def test_hub_references(text: str, expected: int | None) -> None:
    from safeguarding.core.normalise import person_reference

    assert person_reference(text) == expected
