"""Writing a linkage run's clusters back to the hub: which person each record now belongs to and how
it came to it, applied through the identity room (``people.identity.regroup``). Only what changes is
written: after a quiet night that is a handful of rows, not a million. Per-record work is done over
arrays, not Python loops."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from safeguarding.core.errors import ServiceError
from safeguarding.linkage.assign import assign_arrays
from safeguarding.linkage.base import Progress
from safeguarding.people import identity
from safeguarding.people.models import ChangeKind, LinkMethod

Pair = tuple[int, int]


def write_back(
    *,
    run_id: int,
    result: Any,
    state: pa.Table,
    must: list[Pair],
    now: dt.datetime,
    progress: Progress | None,
) -> tuple[dict[str, int], tuple[np.ndarray, np.ndarray]]:
    """Apply the run's clusters to persons, keeping ids stable. Returns the counts for the run's
    summary and the (record, person) arrays sorted by record, for the review queue: each record's
    person after the run (a root)."""
    clusters_table = result.clusters.sort_by("unique_id")
    ids = clusters_table.column("unique_id").to_numpy()
    if not np.array_equal(ids, state.column("unique_id").to_numpy()):
        raise ServiceError("the linkage result does not hold exactly the records loaded")
    cluster_of = clusters_table.column("cluster_id").to_numpy()
    was = state.column("person_id").to_numpy()
    clusters_found, cluster_index, size_of_cluster = np.unique(cluster_of, return_inverse=True, return_counts=True)
    assignment = assign_arrays(ids, cluster_of, was, clusters_found.tolist())

    # New persons for clusters nobody is at home in.
    new_clusters = [c for c, p in assignment.person_of_cluster.items() if p is None]
    created = identity.persons_create_empty(len(new_clusters), now=now) if new_clusters else []
    for cluster_id, new_person in zip(new_clusters, created, strict=True):
        assignment.person_of_cluster[cluster_id] = new_person
    person_of_cluster = assignment.person_of_cluster

    # Records: their person, and how they came to it (alone; linked by a person; by the model).
    target = np.fromiter((person_of_cluster[c] for c in clusters_found.tolist()), np.int64,
                         count=len(clusters_found))[cluster_index]
    size = size_of_cluster[cluster_index]
    probability = pc.fill_null(clusters_table.column("match_probability"), np.nan).to_numpy()
    reviewer_linked = np.isin(ids, np.fromiter({r for pair in must for r in pair}, np.int64))
    methods = np.array([LinkMethod.OWN.value, LinkMethod.REVIEWER.value, LinkMethod.MODEL.value])
    method = np.where(size == 1, 0, np.where(reviewer_linked | np.isnan(probability), 1, 2))
    probability = np.where(size == 1, np.nan, probability)
    old_method = pc.index_in(state.column("link_method"), value_set=pa.array(methods)).to_numpy(zero_copy_only=False)
    old_probability = pc.fill_null(state.column("link_probability"), np.nan).to_numpy()
    same_probability = (probability == old_probability) | (np.isnan(probability) & np.isnan(old_probability))
    moved = target != was
    changed = np.nonzero(moved | (method != old_method) | ~same_probability)[0]
    updates = [
        {"id": record, "person_id": person, "link_method": methods[m], "link_probability": None if p != p else p}
        for record, person, m, p in zip(ids[changed].tolist(), target[changed].tolist(), method[changed].tolist(),
                                        probability[changed].tolist(), strict=True)
    ]
    changed_persons = set(was[moved].tolist()) | set(target[moved].tolist())

    # Retired persons point to the person they were merged into; a person at home again is not retired.
    kept = np.fromiter((p for p in person_of_cluster.values() if p is not None), np.int64)
    retired_before = identity.retired_person_ids()
    back_home = retired_before[np.isin(retired_before, kept)].tolist()

    # History: one change per person that received records.
    moves_by_target: dict[int, list[dict[str, int]]] = defaultdict(list)
    for record, source, _target, cluster_id in assignment.moves:
        receiver = person_of_cluster[cluster_id]
        assert receiver is not None
        moves_by_target[receiver].append({"record": record, "from": source, "to": receiver})
    changes = []
    merges = splits = 0
    for receiver, moves in moves_by_target.items():
        is_merge = any(assignment.merged_into.get(m["from"]) == receiver for m in moves)
        merges += is_merge
        splits += not is_merge
        changes.append({
            "kind": ChangeKind.MERGE.value if is_merge else ChangeKind.SPLIT.value,
            "person_id": receiver, "moves": moves,
        })
    identity.regroup(
        identity.Regrouping(
            record_updates=updates,
            record_fields=("person", "link_method", "link_probability"),
            retire=assignment.merged_into,
            restore=back_home,
            changes=changes,
            touched=changed_persons | set(moves_by_target),
        ),
        cause=identity.Cause(linkage_run_id=run_id),
        now=now,
        progress=progress,
    )
    counts = {
        "records": len(ids),
        "persons": len(clusters_found),
        "persons_with_several_records": int((size_of_cluster > 1).sum()),
        "pairs_scored": result.pairs.num_rows,
        "records_moved": len(assignment.moves),
        "merges": merges,
        "splits": splits,
        "new_persons": len(created),
    }
    return counts, (ids, target)
