"""Which person each cluster of records is, so that person ids stay stable across runs: pure arrays
in, moves out, testable without a database."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np


@dataclass
class Assignment:
    """Which person each record belongs to after a run, and what that changed."""

    person_of_cluster: dict[int, int | None]  # cluster id -> kept person id (None: a new person)
    merged_into: dict[int, int]  # retired person -> the person it was merged into
    moves: list[tuple[int, int, int | None, int]] = field(default_factory=list)  # record, from, to, cluster


def assign_persons(clusters: dict[int, int], current: dict[int, int]) -> Assignment:
    """Give each cluster a person id so that ids stay stable across runs.

    Each existing person belongs to the cluster holding most of its records (its home; on a tie, the
    lowest cluster id). A cluster keeps the oldest (lowest id) person at home there; the other persons
    at home there are merged into it. A cluster where no person is at home (records split off from
    persons at home elsewhere) gets a new person. So a person whose records did not change keeps
    their id, and a merge keeps the older id.
    """
    records = np.fromiter(current, dtype=np.int64, count=len(current))
    persons = np.fromiter(current.values(), dtype=np.int64, count=len(current))
    cluster_of = np.fromiter((clusters[r] for r in current), dtype=np.int64, count=len(current))
    return assign_arrays(records, cluster_of, persons, set(clusters.values()))


def assign_arrays(records: np.ndarray, cluster_of: np.ndarray, persons: np.ndarray, all_clusters: Iterable[int]) -> Assignment:
    """assign_persons over aligned arrays: each record, its cluster and its current person."""
    if not len(records):
        return Assignment(dict.fromkeys(all_clusters), {}, [])
    # How many records of each person each cluster holds: (cluster, person) runs after one sort,
    # as np.unique(..., axis=0) would give them, in a quarter of its time.
    order = np.lexsort((persons, cluster_of))
    sorted_clusters, sorted_persons = cluster_of[order], persons[order]
    starts = np.flatnonzero(np.r_[True, (sorted_clusters[1:] != sorted_clusters[:-1])
                                  | (sorted_persons[1:] != sorted_persons[:-1])])
    cluster, person = sorted_clusters[starts], sorted_persons[starts]
    counts = np.diff(np.r_[starts, len(order)])
    # Each person's home: the most records, then the lowest cluster id.
    order = np.lexsort((cluster, -counts, person))
    first = np.r_[True, person[order][1:] != person[order][:-1]]
    home_person, home_cluster = person[order][first], cluster[order][first]
    # Each cluster keeps the lowest person at home there; the others are merged into it.
    order = np.lexsort((home_person, home_cluster))
    home_person, home_cluster = home_person[order], home_cluster[order]
    leads = np.r_[True, home_cluster[1:] != home_cluster[:-1]]
    kept_clusters, kept_persons = home_cluster[leads], home_person[leads]
    keeper = kept_persons[np.cumsum(leads) - 1]
    merged_into = dict(zip(home_person[~leads].tolist(), keeper[~leads].tolist(), strict=True))
    person_of_cluster: dict[int, int | None] = dict.fromkeys(all_clusters)
    person_of_cluster.update(zip(kept_clusters.tolist(), kept_persons.tolist(), strict=True))
    # Records whose person changes; a record whose cluster has no keeper goes to a new person (None).
    at = np.minimum(np.searchsorted(kept_clusters, cluster_of), len(kept_clusters) - 1)
    has_keeper = kept_clusters[at] == cluster_of
    target = np.where(has_keeper, kept_persons[at], -1)
    moved = np.nonzero(target != persons)[0]
    moves = [
        (record, source, None if to < 0 else to, c)
        for record, source, to, c in zip(records[moved].tolist(), persons[moved].tolist(), target[moved].tolist(),
                                         cluster_of[moved].tolist(), strict=True)
    ]
    return Assignment(person_of_cluster, merged_into, moves)
