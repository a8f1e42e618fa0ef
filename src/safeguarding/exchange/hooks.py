"""What the rooms above the exchange must hear of an import as it is written. Those rooms keep things
derived from the agencies' events and relationships (the networks' links), and stand above this one, so
they register a hook when the hub starts (``workflows.apps``) instead of this room importing them.

A hook is called inside the import's transaction, so what it changes is saved with the import or not at
all, and no page ever reads the import without it."""

from __future__ import annotations

from collections.abc import Callable, Sequence

ReclassifiedHook = Callable[[Sequence[int]], object]
_reclassified_hooks: dict[str, ReclassifiedHook] = {}


def register_reclassified_hook(name: str, hook: ReclassifiedHook) -> None:
    """``hook(event_pks)`` hears of events held before whose type or handling code an import changed (the
    police marking an event C, or lifting it to P): what was derived from them must follow."""
    _reclassified_hooks[name] = hook


def events_reclassified(event_pks: Sequence[int]) -> None:
    if event_pks:
        for hook in _reclassified_hooks.values():
            hook(event_pks)


SuspectsHook = Callable[[Sequence[tuple[int, int]]], object]
_suspects_hooks: dict[str, SuspectsHook] = {}


def register_suspects_hook(name: str, hook: SuspectsHook) -> None:
    """``hook(pairs)`` hears of the pairs of source records (from, to) that an import's relationships.csv
    names as suspected perpetrator or victim: what was derived from the agency's other rows about the
    same two people must follow (``people.models.police_only_relationships``)."""
    _suspects_hooks[name] = hook


def suspects_named(pairs: Sequence[tuple[int, int]]) -> None:
    if pairs:
        for hook in _suspects_hooks.values():
            hook(pairs)
