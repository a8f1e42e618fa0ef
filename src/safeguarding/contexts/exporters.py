"""networks.csv (SPEC.md, "What the hub hands back"): the groups of people, vehicles, places and
phones joined by events and relationships, as ``network_id, entity_kind, entity_key``."""

from __future__ import annotations

import csv
from collections.abc import Collection
from pathlib import Path

import numpy as np
from django.db import transaction

from safeguarding.audit.models import AuditEventType
from safeguarding.audit.services import audit_record
from safeguarding.contexts import networks as nx
from safeguarding.contexts.models import Entity, EntityKind
from safeguarding.contexts.selectors import Window, link_table, without_persons
from safeguarding.core.csvfile import written_whole
from safeguarding.people.models import person_reference

NETWORKS_COLUMNS = ["network_id", "entity_kind", "entity_key"]
# networks.csv names four kinds; a peer group joins a network but is not one of them.
_EXPORTED_KINDS: dict[str, str] = {EntityKind.VEHICLE: "vehicle", EntityKind.PLACE: "place", EntityKind.PHONE: "phone"}


def network_rows(*, include_police_only: bool, window: Window | None = None,
                 leave_out: Collection[int] = ()) -> list[tuple[str, str, str]]:
    """Every network of at least two people: its id (``N`` and the smallest person id in it, so the
    same network keeps its id while it only grows), and each member. ``leave_out``: persons (any id they
    have had) in no network, their links left out before the networks are worked out (the sealed)."""
    table = link_table(shared_only=not include_police_only)
    start, end = (window or Window()).bounds()
    links = nx.in_window(table.arrays, start, end, shared_only=not include_police_only)
    links = without_persons(links, leave_out)
    found = nx.find_networks(links, table.children)
    chosen = np.flatnonzero(found.persons >= 2)
    if not len(chosen):
        return []
    keep = np.isin(found.membership, chosen)
    nodes, membership = found.nodes[keep], found.membership[keep]
    order = np.lexsort((nodes, membership))
    nodes, membership = nodes[order], membership[order]
    entity_ids = nx.node_id(nodes[~nx.is_person(nodes)]).tolist()
    entities = {pk: (kind, key) for pk, kind, key in Entity.objects.filter(pk__in=entity_ids).values_list("pk", "kind", "key")}
    first_person: dict[int, int] = {}
    for node, network in zip(nodes.tolist(), membership.tolist(), strict=True):
        if node % 2 == 0:
            first_person.setdefault(network, node // 2)
    rows = []
    for node, network in zip(nodes.tolist(), membership.tolist(), strict=True):
        network_id = f"N{first_person[network]:07d}"
        if node % 2 == 0:
            rows.append((network_id, "person", person_reference(node // 2)))
        elif (found_entity := entities.get(node // 2)) and found_entity[0] in _EXPORTED_KINDS:
            rows.append((network_id, _EXPORTED_KINDS[found_entity[0]], found_entity[1]))
    rows.sort()
    return rows


def export_networks(out: Path, *, exported_by: str = "command line", include_police_only: bool = False,
                    leave_out: Collection[int] = ()) -> int:
    """Write networks.csv. Without ``include_police_only`` the networks are those the partnership's
    agencies may all see (police-only links left out), so the file can go beyond the police.
    ``leave_out``: persons in no network (``network_rows``)."""
    rows = network_rows(include_police_only=include_police_only, leave_out=leave_out)
    with written_whole(out) as handle:
        writer = csv.writer(handle)
        writer.writerow(NETWORKS_COLUMNS)
        writer.writerows(rows)
    with transaction.atomic():
        audit_record(
            event_type=AuditEventType.NETWORKS_EXPORTED,
            actor_label=exported_by,
            target_kind="networks.csv",
            target_id=str(out),
            detail={"rows": len(rows), "networks": len({r[0] for r in rows}), "police_only_links": include_police_only},
        )
    return len(rows)
