"""What record linkage asks of the rooms above it: which children the partnership is working with (an
alert, a concern, a plan, a panel referral), so that the pairs whose decision matters to them go to the
front of the review queue. Those rooms stand above this one, so they register what they know when the hub
starts (``workflows.apps``), instead of this room importing them. Each source answers person ids as the
identity room knows them now (roots)."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from safeguarding.core.words import in_a_list

PersonSource = Callable[[], Iterable[int]]
_sources: dict[str, tuple[str, PersonSource]] = {}


def register_worked_with_source(name: str, words: str, source: PersonSource) -> None:
    """``source()`` answers the children (roots) the registering room works with; ``words`` says how, for a
    reviewer: "an alert", "a concern", "a plan", "a panel referral"."""
    _sources[name] = (words, source)


def persons_worked_with() -> dict[int, list[str]]:
    """Each person the partnership is working with, and how (in the order the sources registered)."""
    found: dict[int, list[str]] = {}
    for words, source in _sources.values():
        for person in source():
            if person is not None:
                found.setdefault(person, []).append(words)
    return found


def worked_with_in_words(ways: Iterable[str]) -> str:
    """"a child with an alert and a panel referral"."""
    ways = list(dict.fromkeys(ways))
    if not ways:
        return ""
    return f"a child with {in_a_list(ways)}"
