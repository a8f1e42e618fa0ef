"""Benchmark: are twins kept apart? A synthetic partnership (linkage.synthetic) with many twins, some given
names alike (Jack and Jake, Lily and Lila: `TWIN_NAMES_ALIKE`), linked with the hub's default settings and with
the twins rule off, in the same run.

    .venv/bin/python bench/bench_linkage_twins.py                  # 20,000 persons, a third of families twins
    .venv/bin/python bench/bench_linkage_twins.py --persons 5000 --twins 0.3 --alike 0.5 --seed 7

For each: pairwise precision, recall and F1 over all records; the twin pairs put in one person (any record of
one twin in the same person as any record of the other), for twins named alike and twins named differently;
and the pairs left for review.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import pyarrow as pa
from django_setup import django_ready


def twins_merged(clusters: pa.Table, truth: dict[int, int], twin_pairs: list[tuple[int, int, bool]]) -> dict[bool, int]:
    """How many twin pairs, named alike (True) or not (False), have records in one person."""
    persons_of: dict[int, set[int]] = {}
    for uid, cid in zip(clusters.column("unique_id").to_pylist(), clusters.column("cluster_id").to_pylist(),
                        strict=True):
        persons_of.setdefault(truth[uid], set()).add(cid)
    merged = {True: 0, False: 0}
    for a, b, alike in twin_pairs:
        if persons_of.get(a, set()) & persons_of.get(b, set()):
            merged[alike] += 1
    return merged


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--persons", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--twins", type=float, default=0.3, help="share of families of two or more with twins")
    parser.add_argument("--alike", type=float, default=0.5, help="share of twins given names alike")
    args = parser.parse_args(argv)
    django_ready()
    from safeguarding.linkage.pipeline import LinkageSettings, link
    from safeguarding.linkage.synthetic import SyntheticPartnership, pairwise_scores

    partnership = SyntheticPartnership(args.persons, seed=args.seed, twins=args.twins, twins_alike=args.alike)
    records, truth = partnership.records()
    alike = sum(1 for *_, named_alike in partnership.twin_pairs if named_alike)
    print(f"load average {os.getloadavg()[0]:.1f} at the start; {records.num_rows:,} records of {args.persons:,} "
          f"persons, seed {args.seed}; {len(partnership.twin_pairs):,} twin pairs, {alike:,} named alike")
    print("| linkage | precision | recall | F1 | twins named alike merged | other twins merged | review | seconds |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for who, settings in (("hub", LinkageSettings()), ("hub, twins rule off", LinkageSettings(twin_match_weight=None))):
        started = time.perf_counter()
        result = link(records, settings=settings)
        seconds = time.perf_counter() - started
        scores = pairwise_scores(result.clusters, truth)
        merged = twins_merged(result.clusters, truth, partnership.twin_pairs)
        print(f"| {who} | {scores['precision']:.4f} | {scores['recall']:.4f} | **{scores['f1']:.4f}** "
              f"| {merged[True]:,} of {alike:,} | {merged[False]:,} of {len(partnership.twin_pairs) - alike:,} "
              f"| {result.review.num_rows:,} | {seconds:.1f} |", flush=True)
    print(f"load average {os.getloadavg()[0]:.1f} at the end")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    sys.exit(main())
