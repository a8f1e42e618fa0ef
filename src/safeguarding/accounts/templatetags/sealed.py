"""A person's name as the reader may see it: a sealed person (``accounts.access.persons_hidden_from``)
is shown to everyone the seal does not let in only as a restricted record, with whom to ask."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.filter
def name_for_reader(person: Any, hidden: Any) -> str:
    """``{{ child|name_for_reader:hidden_persons }}``: the full name (or the hub reference), unless the
    person is hidden from the reader."""
    if person is None:
        return ""
    if hidden and getattr(person, "pk", None) in hidden:
        return "A restricted record (ask the data protection officer)"
    return str(getattr(person, "full_name", "") or getattr(person, "reference", ""))
