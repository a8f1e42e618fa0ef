"""What the clocks ask of the rooms above them: the panel's review clocks (the panel room's
meetings decide when a child was last reviewed), which children's review clocks have changed since
a moment (for an incremental refresh), and which agency answers for each kind of clock
(the partnership's roles and responsibilities). Those rooms register here when the hub starts
(``workflows.apps``), so this room never imports them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class ClockFact:
    """A clock as worked out from what started and met it."""

    child_id: int
    kind: str
    start_key: str
    started_at: dt.datetime
    due_at: dt.datetime
    met_at: dt.datetime | None = None
    met_by: str = ""
    agency_id: int | None = None


ClockSource = Callable[[Collection[int] | None], Iterable[ClockFact]]
ChangedSince = Callable[[dt.datetime], Iterable[int]]
Responsibility = Callable[[str], int | None]
_sources: dict[str, ClockSource] = {}
_changed: dict[str, ChangedSince] = {}
_responsible: list[Responsibility] = []


def register_clock_source(name: str, source: ClockSource) -> None:
    """``source(children)`` answers the clocks the registering room starts, for those children (every
    child when None)."""
    _sources[name] = source


def register_changed_since(name: str, changed: ChangedSince) -> None:
    """``changed(since)`` names the children (any id they have had) whose clocks from the registering
    room may have started, been met or moved since that moment: an incremental refresh works them out
    again."""
    _changed[name] = changed


def register_responsibility(answer: Responsibility) -> None:
    """``answer(kind)`` names the agency responsible for a kind of clock (or None when none is)."""
    _responsible[:] = [answer]


def facts_from_sources(children: Collection[int] | None) -> list[ClockFact]:
    facts: list[ClockFact] = []
    for source in _sources.values():
        facts.extend(source(children))
    return facts


def children_changed_since(since: dt.datetime) -> set[int]:
    children: set[int] = set()
    for changed in _changed.values():
        children.update(changed(since))
    return children


def responsible_agency(kind: str) -> int | None:
    return _responsible[0](kind) if _responsible else None
