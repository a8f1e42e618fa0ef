"""Which places carry a label (and a kind guessed from it) that only police-only text gave them, and
what they are labelled instead: the name the first shared record gave, or the postcode alone. For
the data migration that puts right the labels written before the rule (0003), and for links that
follow their events' new marking. Takes the model classes, so a migration can pass its own."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from typing import Any

from safeguarding.contexts import keys

_CHUNK = 2000
PLACE_KIND_CHANGED = 1116  # audit.models.AuditEventType.PLACE_KIND_CHANGED: a kind a person set is kept


def police_named_places(
    *, entity_model: Any, link_model: Any, kinds_set_by_hand: Collection[int], entity_ids: Collection[int] | None = None
) -> list[tuple[int, str, str]]:
    """(entity id, label, kind) for each place whose label no shared record gives and a police-only one
    does (an event's name, or graded intelligence held with conditions that made it). Its label
    becomes the name the first shared event gave it, or its postcode alone; its kind, guessed from
    that name, or none (a kind a person set on its page is kept)."""
    places = entity_model.objects.filter(kind="place")
    if entity_ids is not None:
        places = places.filter(pk__in=list(entity_ids))
    candidates = {pk: (key, label, kind) for pk, key, label, kind in places.values_list("pk", "key", "label", "place_kind")
                  if label != keys.bare_label(key)}
    ids = sorted(candidates)
    out = []
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        links: dict[int, list[tuple[int, bool, str, str | None, str | None]]] = defaultdict(list)
        for row in link_model.objects.filter(entity_id__in=chunk).order_by("pk").values_list(
            "entity_id", "pk", "restricted", "origin", "event__location_name", "event__location_postcode"
        ):
            links[row[0]].append(row[1:])
        for pk in chunk:
            key, label, kind = candidates[pk]
            shared: list[keys.Named] = []
            police: set[str] = set()
            shared_elsewhere = False  # a practitioner's submission, or intelligence that may be shared
            for _, restricted, origin, name, postcode in links[pk]:
                named = keys.place(name or "", postcode or "") if origin == "event" else None
                if origin != "event" and not restricted:
                    shared_elsewhere = True
                if named is None or named.key != key:
                    continue
                if restricted:
                    police.add(named.label)
                else:
                    shared.append(named)
            if not links[pk] or label in {n.label for n in shared}:
                continue
            first_restricted = links[pk][0][1]
            if label not in police and not (first_restricted and not shared_elsewhere):
                continue
            given = next((n for n in shared if n.label != keys.bare_label(key)), None)
            new_label = given.label[:300] if given else keys.bare_label(key)
            new_kind = kind if pk in kinds_set_by_hand else (given.place_kind if given else "")
            out.append((pk, new_label, new_kind))
    return out


def relabel(*, entity_model: Any, audit_model: Any, link_model: Any, entity_ids: Collection[int] | None = None) -> int:
    """Put right the places ``police_named_places`` finds; answers how many."""
    by_hand = {int(t) for t in audit_model.objects.filter(event_type=PLACE_KIND_CHANGED, target_kind="entity")
               .values_list("target_id", flat=True) if str(t).isdigit()}
    changes = police_named_places(entity_model=entity_model, link_model=link_model, kinds_set_by_hand=by_hand,
                                  entity_ids=entity_ids)
    entities = entity_model.objects.in_bulk([pk for pk, _, _ in changes])
    for pk, label, kind in changes:
        entities[pk].label, entities[pk].place_kind = label, kind
    entity_model.objects.bulk_update(list(entities.values()), ["label", "place_kind"], batch_size=1000)
    return len(changes)
