"""Network analysis over arrays (pure): networks, the time window, police-only links, who connects
the most children, hotspots, and recovery of planted networks."""

from __future__ import annotations

import numpy as np

from safeguarding.contexts import networks as nx
from safeguarding.contexts.evaluation import recovery


def _links(rows: list[tuple[int, int, int, int, bool]], joins: list[bool] | None = None) -> nx.LinkArrays:
    """(person, entity or -1, other person or -1, start, restricted)"""
    a = np.asarray(rows, dtype=np.int64).reshape(-1, 5)
    return nx.LinkArrays(a[:, 0], a[:, 1], a[:, 2], a[:, 3], a[:, 4].astype(bool),
                         np.asarray(joins if joins is not None else [True] * len(rows), dtype=bool))


CHILDREN = np.asarray([1, 2, 3, 4], dtype=np.int64)


def test_children_in_one_vehicle_are_one_network_and_a_stranger_is_not() -> None:
    links = _links([(1, 50, -1, 10, False), (2, 50, -1, 20, False), (9, 50, -1, 5, False), (3, 60, -1, 10, False)])
    found = nx.find_networks(links, CHILDREN)
    first = found.network_of(int(nx.person_node(1)))
    assert first == found.network_of(int(nx.person_node(2))) == found.network_of(int(nx.entity_node(50)))
    assert found.network_of(int(nx.person_node(3))) != first
    assert found.children[first] == 2 and found.persons[first] == 3


def test_the_window_and_police_only_links_decide_what_joins() -> None:
    links = _links([(1, 50, -1, 10, False), (2, 50, -1, 100, False), (3, 50, -1, 20, True)])
    early = nx.find_networks(nx.in_window(links, None, 50, shared_only=False), CHILDREN)
    assert early.network_of(int(nx.person_node(2))) is None
    assert early.network_of(int(nx.person_node(3))) == early.network_of(int(nx.person_node(1)))
    shared = nx.find_networks(nx.in_window(links, None, None, shared_only=True), CHILDREN)
    assert shared.network_of(int(nx.person_node(3))) is None


def test_a_place_where_missing_children_were_found_counts_as_a_hotspot_but_joins_no_networks() -> None:
    links = _links([(1, 70, -1, 10, False), (2, 70, -1, 20, False)], joins=[False, False])
    found = nx.find_networks(links, CHILDREN)
    assert found.network_of(int(nx.person_node(1))) != found.network_of(int(nx.person_node(2)))
    nodes, counts = nx.hotspots(found, CHILDREN)
    assert nodes.tolist() == [int(nx.entity_node(70))] and counts.tolist() == [2]


def test_the_driver_reaches_every_child_his_car_carried() -> None:
    # Adult 9 drives car 50; children 1, 2 and 3 were seen in it; child 4 only with child 1.
    links = _links([(9, 50, -1, 1, False), (1, 50, -1, 2, False), (2, 50, -1, 3, False), (3, 50, -1, 4, False),
                    (4, -1, 1, 5, False)])
    found = nx.find_networks(links, CHILDREN)
    direct, two = nx.children_reached(found, CHILDREN)
    at = {int(n): i for i, n in enumerate(found.nodes)}
    assert direct[at[int(nx.entity_node(50))]] == 3
    assert two[at[int(nx.person_node(9))]] == 3
    assert two[at[int(nx.person_node(1))]] == 3  # children 2, 3 (through the car) and 4, never itself
    scores = nx.betweenness(found, int(found.membership[at[int(nx.entity_node(50))]]))
    assert max(scores, key=lambda node: scores[node]) == int(nx.entity_node(50))


def _planted(seed: int) -> tuple[nx.LinkArrays, dict[str, set[str]], np.ndarray]:
    """Three planted networks (a driver, his car, a phone, children seen in the car) among
    background children who share only where they were found on return from missing, and a
    switchboard number every background child's record carries, which a build would have marked
    a placeholder and left out."""
    rng = np.random.default_rng(seed)
    rows: list[tuple[int, int, int, int, bool]] = []
    joins: list[bool] = []
    planted: dict[str, set[str]] = {}
    person = 1000
    for n in range(3):
        driver, car, phone = person, 500 + n, 600 + n
        person += 1
        members = {f"P{driver:07d}"}
        rows += [(driver, car, -1, 1, False), (driver, phone, -1, 1, False)]
        joins += [True, True]
        for _ in range(int(rng.integers(4, 9))):
            rows.append((person, car, -1, int(rng.integers(1, 100)), False))
            joins.append(True)
            members.add(f"P{person:07d}")
            person += 1
        planted[f"N{n}"] = members
    for _ in range(60):
        rows.append((person, 700 + int(rng.integers(0, 5)), -1, int(rng.integers(1, 100)), False))
        joins.append(False)
        person += 1
    children = np.arange(1000, person, dtype=np.int64)
    return _links(rows, joins), planted, children


def test_planted_networks_are_recovered_whole_and_pure() -> None:
    for seed in (1, 2, 3):
        links, planted, children = _planted(seed)
        found = nx.find_networks(links, children)
        rows = []
        for node, network in zip(found.nodes.tolist(), found.membership.tolist(), strict=True):
            if node % 2 == 0 and found.persons[network] >= 2:
                rows.append((f"N{network}", "person", f"P{node // 2:07d}"))
        truth = {key: key for members in planted.values() for key in members}
        result = recovery(planted=planted, person_truth=truth, found_rows=rows)
        assert result.recovered_share >= 0.9, seed
        assert result.median_purity >= 0.8, seed


def test_recovery_counts_a_network_split_in_two_as_not_recovered() -> None:
    planted = {"N1": {"a", "b", "c", "d", "e"}}
    split = [("X", "person", "a"), ("X", "person", "b"), ("X", "person", "c"), ("Y", "person", "d"), ("Y", "person", "e")]
    result = recovery(planted=planted, person_truth={k: k for k in "abcde"}, found_rows=split)
    assert result.recovered == 0 and result.shares == [0.6]
    merged = [("X", "person", k) for k in "abcdefghij"]
    result = recovery(planted=planted, person_truth={k: k for k in "abcdefghij"}, found_rows=merged)
    assert result.recovered == 1 and result.median_purity == 0.5
