"""Which places carry a label (and a kind guessed from it) that only police-only text gave them, and
what they are labelled instead: the name the first shared record gave, or the postcode alone. For
the data migration that puts right the labels written before the rule (0003), and for links that
follow their events' new marking. The new-link alerts that quoted the old label in their stored words
are given the new one. Takes the model classes, so a migration can pass its own."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from safeguarding.contexts import keys

_CHUNK = 2000
PLACE_KIND_CHANGED = 1116  # audit.models.AuditEventType.PLACE_KIND_CHANGED: a kind a person set is kept
NEW_LINK = "new_link"  # earlywarning.models.RuleKind.NEW_LINK: the alerts whose words name a place


@dataclass(frozen=True)
class Relabelled:
    """A place relabelled: its label and kind before and after, the new-link alerts whose stored words
    quoted the old label (given the new one), and the concerns started from those alerts, whose text
    a professional wrote and which are left as they are."""

    entity_id: int
    label_before: str
    kind_before: str
    label: str
    place_kind: str
    alerts: list[int] = field(default_factory=list)
    concerns: list[int] = field(default_factory=list)


def police_named_places(
    *, entity_model: Any, link_model: Any, kinds_set_by_hand: Collection[int], entity_ids: Collection[int] | None = None,
    first_record_labelled: bool = False,
) -> list[Relabelled]:
    """Each place whose label no shared record gives and a police-only one does: the name a police-only
    event gave it, or (``first_record_labelled``) the label of a place whose first link is police-only.
    Its label becomes the name the first shared event gave it, or its postcode alone; its kind, guessed
    from that name, or none (a kind a person set on its page is kept).

    ``first_record_labelled`` is for labels written before the rule (migration 0003): then the record
    that made a place labelled it and nothing relabelled it after, so a place whose first link is
    police-only carries the police's words, whether an event's (known) or graded intelligence's (whose
    words the link does not keep), whatever shared records named it later. Since the rule a label comes
    only from shared records, so a reclassification looks only for the words of the events it marked."""
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
            for _, restricted, origin, name, postcode in links[pk]:
                named = keys.place(name or "", postcode or "") if origin == "event" else None
                if named is None or named.key != key:
                    continue
                if restricted:
                    police.add(named.label)
                else:
                    shared.append(named)
            if not links[pk] or label in {n.label for n in shared}:
                continue  # a shared record gives these very words
            first_restricted = links[pk][0][1]
            if label not in police and not (first_record_labelled and first_restricted):
                continue
            given = next((n for n in shared if n.label != keys.bare_label(key)), None)
            new_label = given.label[:300] if given else keys.bare_label(key)
            new_kind = kind if pk in kinds_set_by_hand else (given.place_kind if given else "")
            out.append(Relabelled(pk, label, kind, new_label, new_kind))
    return out


def _alerts_reworded(alert_model: Any, link_model: Any, change: Relabelled) -> Relabelled:
    """The new-link alerts raised on this place (their trigger is an event linked to it) whose stored
    words quote the old label ("Seen at place: <label>. The same place is linked to another child...")
    are given the new label in its place, once: a vehicle or another place of the same words keeps its
    own alerts' words."""
    quoted = f": {change.label_before}. The same place is linked"
    new = f": {change.label}. The same place is linked"
    alerts = list(alert_model.objects.filter(
        rule__kind=NEW_LINK, explanation__contains=quoted,
        trigger_event_id__in=link_model.objects.filter(entity_id=change.entity_id, event_id__isnull=False)
        .values("event_id"),
    ).order_by("pk"))
    for alert in alerts:
        alert.explanation = alert.explanation.replace(quoted, new, 1)
    alert_model.objects.bulk_update(alerts, ["explanation"], batch_size=1000)
    return Relabelled(change.entity_id, change.label_before, change.kind_before, change.label, change.place_kind,
                      alerts=[a.pk for a in alerts], concerns=sorted({a.concern_id for a in alerts if a.concern_id}))


def relabel(
    *, entity_model: Any, audit_model: Any, link_model: Any, alert_model: Any, entity_ids: Collection[int] | None = None,
    first_record_labelled: bool = False,
) -> list[Relabelled]:
    """Put right the places ``police_named_places`` finds, and the new-link alerts that quote their old
    labels; answers what changed (the caller audits it where the hub audits its writes)."""
    by_hand = {int(t) for t in audit_model.objects.filter(event_type=PLACE_KIND_CHANGED, target_kind="entity")
               .values_list("target_id", flat=True) if str(t).isdigit()}
    changes = police_named_places(entity_model=entity_model, link_model=link_model, kinds_set_by_hand=by_hand,
                                  entity_ids=entity_ids, first_record_labelled=first_record_labelled)
    entities = entity_model.objects.in_bulk([c.entity_id for c in changes])
    for c in changes:
        entities[c.entity_id].label, entities[c.entity_id].place_kind = c.label, c.place_kind
    entity_model.objects.bulk_update(list(entities.values()), ["label", "place_kind"], batch_size=1000)
    return [_alerts_reworded(alert_model, link_model, c) for c in changes]
