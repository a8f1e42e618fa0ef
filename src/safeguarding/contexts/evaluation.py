"""How well the hub's networks recover the networks planted in a synthetic partnership, read from
the generator's ground truth (``truth/networks.csv``, ``truth/persons.csv``): a planted network is
recovered when at least 80% of its people are in one network the hub found; the purity of that
found network is the share of its people who belong to the planted one."""

from __future__ import annotations

import csv
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from safeguarding.people.models import person_reference

RECOVERED_SHARE = 0.8


@dataclass(frozen=True)
class Recovery:
    planted: int
    recovered: int
    purities: list[float]  # of the best found network of each recovered planted network
    shares: list[float]  # of each planted network: the largest share of its people in one found network
    found: int

    @property
    def recovered_share(self) -> float:
        return self.recovered / self.planted if self.planted else 0.0

    @property
    def median_purity(self) -> float:
        return statistics.median(self.purities) if self.purities else 0.0


def recovery(
    *,
    planted: dict[str, set[str]],
    person_truth: dict[str, str],
    found_rows: Iterable[tuple[str, str, str]],
) -> Recovery:
    """``planted``: network -> true person ids; ``person_truth``: hub person key (P0000123) -> the
    true person its records belong to (the one most of them describe); ``found_rows``: networks.csv rows."""
    found: dict[str, set[str]] = defaultdict(set)  # found network -> true person ids
    found_people: dict[str, int] = Counter()
    for network_id, kind, key in found_rows:
        if kind != "person":
            continue
        found_people[network_id] += 1
        if key in person_truth:
            found[network_id].add(person_truth[key])
    where: dict[str, list[str]] = defaultdict(list)  # true person -> found networks
    for network_id, people in found.items():
        for person in people:
            where[person].append(network_id)
    recovered = 0
    purities: list[float] = []
    shares: list[float] = []
    for people in planted.values():
        counts: Counter[str] = Counter()
        for person in people:
            counts.update(where.get(person, ()))
        if not counts:
            shares.append(0.0)
            continue
        best, hits = counts.most_common(1)[0]
        share = hits / len(people)
        shares.append(share)
        if share >= RECOVERED_SHARE:
            recovered += 1
            purities.append(len(found[best] & people) / max(found_people[best], 1))
    return Recovery(planted=len(planted), recovered=recovered, purities=purities, shares=shares, found=len(found))


def read_truth(truth_dir: Path) -> tuple[dict[str, set[str]], dict[tuple[str, str], str]]:
    """The planted networks' people, and each source record's true person."""
    planted: dict[str, set[str]] = defaultdict(set)
    with (truth_dir / "networks.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if row["entity_kind"] == "person":
                planted[row["network_id"]].add(row["entity_key"])
    records: dict[tuple[str, str], str] = {}
    with (truth_dir / "persons.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            records[(row["source_system"], row["record_id"])] = row["true_person_id"]
    return dict(planted), records


def hub_person_truth(records: dict[tuple[str, str], str], hub: Iterable[tuple[str, str, int]]) -> dict[str, str]:
    """Each hub person (P0000123) -> the true person most of its records describe."""
    votes: dict[str, Counter[str]] = defaultdict(Counter)
    for system, record_id, person_id in hub:
        truth = records.get((system, record_id))
        if truth is not None:
            votes[person_reference(person_id)][truth] += 1
    return {person: counter.most_common(1)[0][0] for person, counter in votes.items()}


def recovery_against_truth(truth_dir: Path, *, include_police_only: bool = True) -> Recovery:
    """The hub's networks now (``exporters.network_rows``) against a generator's truth."""
    from safeguarding.contexts.exporters import network_rows
    from safeguarding.people.models import SourceRecord

    planted, records = read_truth(truth_dir)
    hub = SourceRecord.objects.values_list("source_system__code", "record_id", "person__root_id").iterator(chunk_size=20_000)
    return recovery(
        planted=planted, person_truth=hub_person_truth(records, hub),
        found_rows=network_rows(include_police_only=include_police_only),
    )
