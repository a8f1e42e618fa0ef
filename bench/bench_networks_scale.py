"""Benchmark: network analysis over a million entities and five million links (issue 14: <= 60 s).

    .venv/bin/python bench/bench_networks_scale.py
    .venv/bin/python bench/bench_networks_scale.py --entities 1000000 --links 5000000 --seed 1

Builds the arrays the hub's selectors hand to ``contexts.networks`` (a person, an entity or another
person, a start, police-only or not, joins networks or not) for an area shaped like the synthetic
partnership: a quarter of a million people (a fifth of them children), a million vehicles, places
and phones, most links between a person and their own few entities, some shared, and planted
networks of a driver, his car and the children seen in it. Then times what a page or an export
does with them: the time window, the police-only filter, the networks (igraph's components),
who reaches the most children directly and within two steps (sparse products), the hotspots, and
betweenness of the largest planted network; and checks every planted network is found whole.
Reading the links from the database is not timed here (see docs/benchmarks.md).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "safeguarding.config.settings")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entities", type=int, default=1_000_000)
    parser.add_argument("--links", type=int, default=5_000_000)
    parser.add_argument("--people", type=int, default=250_000)
    parser.add_argument("--planted", type=int, default=500)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    from safeguarding.contexts import networks as nx

    rng = np.random.default_rng(args.seed)
    tick = time.perf_counter()
    people, entities, count = args.people, args.entities, args.links
    children = np.arange(1, people // 5 + 1, dtype=np.int64)
    # Planted networks: a driver (an adult), his car, and 4-12 children seen in it, over a year.
    planted_rows = []
    planted: list[np.ndarray] = []
    for n in range(args.planted):
        car = n + 1
        driver = people - n
        kids = rng.choice(children, size=int(rng.integers(4, 13)), replace=False)
        planted.append(np.concatenate([[driver], kids]))
        planted_rows.append(np.column_stack([np.concatenate([[driver], kids]), np.full(len(kids) + 1, car)]))
    planted_links = np.concatenate(planted_rows)
    # Everyone else: links to entities of their own (a phone, a home place), a few shared ones,
    # and person-to-person links among adults.
    rest = count - len(planted_links)
    person = rng.integers(1, people + 1, size=rest, dtype=np.int64)
    per = max(1, -(-(entities - args.planted) // people))
    own_entity = args.planted + 1 + ((person - 1) * per + rng.integers(0, per, size=rest)) % (entities - args.planted)
    # Every entity is someone's: the first links name each entity once, with its owner.
    span = entities - args.planted
    own_entity[:span] = np.arange(args.planted + 1, entities + 1, dtype=np.int64)
    person[:span] = 1 + (own_entity[:span] - args.planted - 1) // per
    entity = np.where((np.arange(rest) < span) | (rng.random(rest) < 0.95), own_entity, -1)
    other = np.where(entity < 0, rng.integers(people // 5 + 1, people + 1, size=rest, dtype=np.int64), -1)
    all_person = np.concatenate([planted_links[:, 0], person])
    all_entity = np.concatenate([planted_links[:, 1], entity])
    all_other = np.concatenate([np.full(len(planted_links), -1), other])
    start = rng.integers(1_640_995_200, 1_735_689_600, size=count, dtype=np.int64)
    restricted = rng.random(count) < 0.05
    joins = rng.random(count) < 0.9
    joins[: len(planted_links)] = True
    links = nx.LinkArrays(all_person, all_entity, all_other, start, restricted, joins)
    made = time.perf_counter() - tick
    distinct = len(np.unique(all_entity[all_entity >= 0]))
    print(f"links                        {count:,} ({distinct:,} entities, {people:,} people, {len(children):,} children)")
    print(f"  made in                    {made:.1f} s (not counted)")

    timings: dict[str, float] = {}
    tick = time.perf_counter()
    windowed = nx.in_window(links, 1_672_531_200, None, shared_only=True)
    timings["window and police-only filter"] = time.perf_counter() - tick
    tick = time.perf_counter()
    found = nx.find_networks(links, children)
    timings["networks (components)"] = time.perf_counter() - tick
    tick = time.perf_counter()
    _, two = nx.children_reached(found, children)
    timings["children reached (direct, two steps)"] = time.perf_counter() - tick
    tick = time.perf_counter()
    hot, hot_counts = nx.hotspots(found, children)
    timings["hotspots"] = time.perf_counter() - tick
    sizes = found.size[[found.network_of(int(nx.person_node(int(m[0])))) for m in planted]]
    biggest = planted[int(np.argmin(sizes))]  # the smallest network holding a planted one: betweenness is exact
    tick = time.perf_counter()
    network = found.network_of(int(nx.person_node(int(biggest[0]))))
    scores = nx.betweenness(found, network) if network is not None else {}
    timings["betweenness of one network"] = time.perf_counter() - tick
    tick = time.perf_counter()
    windowed_found = nx.find_networks(windowed, children)
    timings["networks over the window (police-only left out)"] = time.perf_counter() - tick
    total = sum(timings.values())
    for name, seconds in timings.items():
        print(f"{name:<48} {seconds:6.1f} s")
    print(f"{'total (target <= 60 s)':<48} {total:6.1f} s")
    whole = sum(
        1 for members in planted
        if len({found.network_of(int(nx.person_node(int(p)))) for p in members}) == 1
    )
    print(f"networks found                {int((found.persons >= 2).sum()):,}; planted found whole {whole} of {len(planted)}")
    print(f"hotspots                      {len(hot):,} (most children at one: {int(hot_counts[0]) if len(hot) else 0})")
    print(f"largest network               {int(found.size.max()):,} nodes")
    print(f"betweenness                   {len(scores):,} nodes scored for betweenness; windowed networks "
          f"{int((windowed_found.persons >= 2).sum()):,}; max children within two steps {int(two.max())}")
    return 0 if total <= 60 and whole == len(planted) else 1


if __name__ == "__main__":
    import django

    django.setup()
    sys.exit(main())
