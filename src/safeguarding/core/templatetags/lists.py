"""Template tags for lists (``core.lists``): a sortable column's header."""

from __future__ import annotations

from django import template
from django.utils.html import format_html

from safeguarding.core.lists import Listing

register = template.Library()


@register.simple_tag
def sort_header(listing: Listing[object], key: str, label: str, numeric: bool = False) -> str:
    """A column header that sorts the list by this column (a link, so it works without JavaScript),
    with ``aria-sort`` saying how it is sorted now."""
    link = listing.sort_link(key)
    classes = "govuk-table__header" + (" govuk-table__header--numeric" if numeric else "")
    state = link["aria_sort"]
    hint = {"ascending": ", sorted ascending", "descending": ", sorted descending"}.get(state, "")
    return format_html(
        '<th scope="col" class="{}" aria-sort="{}"><a class="govuk-link govuk-link--no-visited-state hub-sort hub-sort--{}" '
        'href="{}">{}<span class="govuk-visually-hidden">{}</span></a></th>',
        classes, state, state, link["href"], label, hint,
    )
