"""Every list the hub shows, read the same way: one page of rows with the true total, filters and a
sort read from the address, the address of every other page, and the rows for a CSV download.

A room's selector builds its list (visibility already applied), narrows it with its filter form's
valid values and hands it to ``listing``, which pages it. The page renders it with one include,
``components/list.html`` (the MoJ filter, the count, the CSV link, the table the page names and the
GOV.UK pagination), and sortable headers with ``{% sort_header %}`` (``core/templatetags/lists``).

Addresses carry everything, so a list works without JavaScript, can be bookmarked and sent, and the
back button returns to the same page of the same filtered list. Two lists on one page keep apart by
a prefix (``decided-page=2``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from django import forms
from django.conf import settings
from django.db.models import QuerySet
from django.http import QueryDict
from django.utils import timezone
from django.utils.dateformat import format as date_format

T = TypeVar("T")

PAGE = "page"
SORT = "sort"
ORDER = "order"
DOWNLOAD = "download"


@dataclass(frozen=True)
class Sort:
    """A column the list may be sorted by: its key in the address and the fields it orders by
    (ascending; descending reverses each). The list's own order breaks ties."""

    key: str
    fields: tuple[str, ...]


class ListFilters(forms.Form):
    """A list's filter form (read from the address). Subclasses declare the fields; a value that does
    not validate is reported on the form and left out of the filtering, never guessed."""

    small_choices = True  # small radios, as the filter's narrow column wants (the form renderer reads it)

    def values(self) -> dict[str, Any]:
        if not self.is_bound:
            return {}
        self.is_valid()
        cleaned = getattr(self, "cleaned_data", {})
        return {name: value for name, value in cleaned.items() if value not in (None, "", [], ())}

    def has_errors(self) -> bool:
        return self.is_bound and bool(self.errors)


@dataclass(frozen=True)
class PageLink:
    number: int | None  # None: the ellipsis between far-apart pages
    href: str = ""
    current: bool = False


@dataclass(frozen=True)
class FilterTag:
    text: str
    href: str  # the same list without this value


@dataclass(frozen=True)
class FilterCategory:
    heading: str
    tags: list[FilterTag]


@dataclass
class Listing(Generic[T]):
    """One page of a list, and everything its page needs to offer the others."""

    items: list[T]
    total: int
    page: int
    per_page: int
    noun: tuple[str, str]  # ("alert", "alerts")
    query: QueryDict
    prefix: str = ""
    filters: ListFilters | None = None
    sorts: Sequence[Sort] = ()
    sort: str = ""
    descending: bool = False
    downloadable: bool = False
    rows: Any = None  # every row the filters keep, for a download (a queryset or a list)
    extra: dict[str, Any] = field(default_factory=dict)

    def __iter__(self) -> Iterator[T]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def __bool__(self) -> bool:  # a list with nothing on it is still a list to show (with its filters)
        return True

    # --- the count -----------------------------------------------------------------------------

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def first_shown(self) -> int:
        return 0 if not self.total else (self.page - 1) * self.per_page + 1

    @property
    def last_shown(self) -> int:
        return (self.page - 1) * self.per_page + len(self.items)

    @property
    def count_text(self) -> str:
        """"127 alerts" (or "1 alert"): always the true number the filters keep."""
        return f"{self.total:,} {self.noun[0] if self.total == 1 else self.noun[1]}"

    @property
    def showing_text(self) -> str:
        if self.pages <= 1:
            return ""
        return f"Showing {self.first_shown:,} to {self.last_shown:,} of {self.total:,} {self.noun[1]}"

    # --- addresses ----------------------------------------------------------------------------

    def _key(self, name: str) -> str:
        return f"{self.prefix}-{name}" if self.prefix else name

    def _href(self, **changes: str | None) -> str:
        query = self.query.copy()
        for name, value in changes.items():
            key = self._key(name)
            if key in query:
                del query[key]
            if value is not None:
                query[key] = value
        encoded = query.urlencode()
        return f"?{encoded}" if encoded else "?"

    def page_href(self, number: int) -> str:
        return self._href(page=str(number) if number > 1 else None)

    @property
    def previous_href(self) -> str:
        return self.page_href(self.page - 1) if self.page > 1 else ""

    @property
    def next_href(self) -> str:
        return self.page_href(self.page + 1) if self.page < self.pages else ""

    @property
    def page_links(self) -> list[PageLink]:
        """GOV.UK pagination's numbered links: the first, the last, the current and its neighbours,
        with an ellipsis between."""
        if self.pages <= 1:
            return []
        wanted = {1, self.pages, self.page - 1, self.page, self.page + 1}
        links: list[PageLink] = []
        previous = 0
        for number in sorted(n for n in wanted if 1 <= n <= self.pages):
            if number - previous > 1:
                links.append(PageLink(None))
            links.append(PageLink(number, self.page_href(number), number == self.page))
            previous = number
        return links

    def sort_link(self, key: str) -> dict[str, str]:
        """A sortable header's address (this column ascending, or descending when it already is
        ascending) and its ``aria-sort`` state."""
        if self.sort == key:
            state = "descending" if self.descending else "ascending"
            href = self._href(sort=key, order="asc" if self.descending else "desc", page=None)
        else:
            state = "none"
            href = self._href(sort=key, order=None, page=None)
        return {"href": href, "aria_sort": state}

    @property
    def download_limit(self) -> int:
        return int(getattr(settings, "LIST_DOWNLOAD_MAX_ROWS", 50_000))

    @property
    def download_too_big(self) -> bool:
        return self.downloadable and self.total > self.download_limit

    @property
    def download_href(self) -> str:
        return self._href(download="csv", page=None) if self.downloadable and not self.download_too_big else ""

    @property
    def wants_download(self) -> bool:
        return bool(self.download_href) and self.query.get(self._key(DOWNLOAD)) == "csv"

    # --- filters ------------------------------------------------------------------------------

    @property
    def selected_filters(self) -> list[FilterCategory]:
        """The MoJ filter's selected filters: a tag for each value in force, each removing itself."""
        if self.filters is None:
            return []
        values = self.filters.values()
        categories = []
        for name, value in values.items():
            bound = self.filters[name]
            keys = _keys_of(bound)
            if isinstance(value, list | tuple):
                choices = dict(getattr(bound.field, "choices", []))
                tags = []
                for item in value:
                    query = self.query.copy()
                    query.setlist(bound.html_name, [v for v in query.getlist(bound.html_name) if v != str(item)])
                    query.pop(self._key(PAGE), None)
                    tags.append(FilterTag(str(choices.get(item, item)), _encode(query)))
                categories.append(FilterCategory(str(bound.label), tags))
                continue
            query = self.query.copy()
            for key in [*keys, self._key(PAGE)]:
                query.pop(key, None)
            categories.append(FilterCategory(str(bound.label), [FilterTag(_describe(bound, value), _encode(query))]))
        return categories

    @property
    def clear_filters_href(self) -> str:
        if self.filters is None:
            return "?"
        query = self.query.copy()
        for bound in self.filters:
            for key in _keys_of(bound):
                query.pop(key, None)
        query.pop(self._key(PAGE), None)
        return _encode(query)

    @property
    def kept_when_filtering(self) -> list[tuple[str, str]]:
        """What the filter form carries as hidden inputs: the sort, and other lists' state on the page."""
        own = set()
        if self.filters is not None:
            for bound in self.filters:
                own.update(_keys_of(bound))
        own |= {self._key(PAGE), self._key(DOWNLOAD)}
        return [(key, value) for key, values in self.query.lists() if key not in own for value in values]


def _keys_of(bound: forms.BoundField) -> list[str]:
    widget = bound.field.widget
    if isinstance(widget, forms.MultiWidget):
        return [f"{bound.html_name}_{i}" for i in range(len(widget.widgets))]
    return [bound.html_name]


def _encode(query: QueryDict) -> str:
    encoded = query.urlencode()
    return f"?{encoded}" if encoded else "?"


def _describe(bound: forms.BoundField, value: Any) -> str:
    if isinstance(value, dt.date):
        return date_format(value, "j F Y")
    if isinstance(value, bool):
        return "Yes" if value else "No"
    choices = dict(getattr(bound.field, "choices", []) or [])
    if value in choices:
        return str(choices[value])
    return str(value)


def _page_number(raw: str | None) -> int:
    try:
        number = int(raw or "1")
    except ValueError:
        return 1
    return max(1, number)


def listing(
    rows: QuerySet[Any] | Sequence[Any],
    *,
    query: Mapping[str, Any] | QueryDict,
    noun: tuple[str, str],
    filters: ListFilters | None = None,
    sorts: Iterable[Sort] = (),
    prefix: str = "",
    per_page: int | None = None,
    downloadable: bool = False,
) -> Listing[Any]:
    """One page of ``rows`` (already narrowed by the filters), with the true total.

    A sort named in the address (``?sort=raised&order=desc``) orders a queryset by that column,
    the list's own order breaking ties; without one the list keeps its own order. A page past the
    end shows the last page."""
    if not isinstance(query, QueryDict):
        as_dict = QueryDict(mutable=True)
        for name, value in query.items():
            as_dict[name] = str(value)
        query = as_dict

    def key(name: str) -> str:
        return f"{prefix}-{name}" if prefix else name

    sort_options = list(sorts)
    chosen = next((s for s in sort_options if s.key == query.get(key(SORT))), None)
    descending = query.get(key(ORDER)) == "desc"
    if chosen is not None:
        fields = [f"-{f.lstrip('-')}" if (descending != f.startswith("-")) else f.lstrip("-") for f in chosen.fields]
        if isinstance(rows, QuerySet):
            chosen_names = {name.lstrip("-") for name in fields}
            own_order = [o for o in rows.query.order_by if not isinstance(o, str) or o.lstrip("-") not in chosen_names]
            rows = rows.order_by(*fields, *own_order, "pk")
        else:
            rows = sorted(rows, key=lambda row: tuple(_sort_value(row, f.lstrip("-")) for f in chosen.fields),
                          reverse=descending)
    size = per_page or int(getattr(settings, "LIST_PAGE_SIZE", 50))
    total = rows.count() if isinstance(rows, QuerySet) else len(rows)
    pages = max(1, -(-total // size))
    page = min(_page_number(query.get(key(PAGE))), pages)
    start = (page - 1) * size
    items = list(rows[start : start + size])
    return Listing(
        items=items,
        total=total,
        page=page,
        per_page=size,
        noun=noun,
        query=query.copy(),
        prefix=prefix,
        filters=filters,
        sorts=sort_options,
        sort=chosen.key if chosen else "",
        descending=descending if chosen else False,
        downloadable=downloadable,
        rows=rows,
    )


def _sort_value(row: Any, path: str) -> Any:
    value: Any = row
    for part in path.split("__"):
        value = value.get(part) if isinstance(value, Mapping) else getattr(value, part, None)
    # None sorts first whatever the type, so rows without a value do not break the sort.
    return (value is not None, value if value is not None else 0)


# --- downloads ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column(Generic[T]):
    """One column of a list's CSV download: its heading and how each row gives its value."""

    heading: str
    value: Callable[[T], object]


def csv_values(value: object) -> object:
    """A value as a CSV download writes it: dates as ISO dates, empty for None."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.isoformat(timespec="minutes")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        return "yes" if value else "no"
    return value


def period(field: str, start: dt.date | None, end: dt.date | None) -> dict[str, dt.datetime]:
    """A filter on a moment ``field`` for the days ``start`` to ``end`` (either may be open), whole
    days in England's time."""
    bounds: dict[str, dt.datetime] = {}
    if start is not None:
        bounds[f"{field}__gte"] = timezone.make_aware(dt.datetime.combine(start, dt.time.min))
    if end is not None:
        bounds[f"{field}__lt"] = timezone.make_aware(dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min))
    return bounds
