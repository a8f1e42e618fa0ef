"""Benchmark: linkage quality on the synthetic partnership (demo generator), pairwise and per person.

    .venv/bin/python bench/bench_linkage_synthetic.py [--children 20000] [--seed 7] [--engine duckdb|spark]
    .venv/bin/python bench/bench_linkage_synthetic.py --extract /tmp/partnership   # an already generated one

Generates an extract with safeguarding.demo.generator, normalises people.csv into the pipeline's
INPUT_COLUMNS with safeguarding.core.normalise (as the hub's import does), links it, and scores the persons
against truth/persons.csv: pairwise precision/recall/F1 (every pair of records put in one person) and
B-cubed precision/recall/F1 (per record: how much of its predicted person is really it, and how much of its
real person it was put with).
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from collections import Counter
from functools import lru_cache
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
from django_setup import django_ready

from safeguarding.core import normalise
from safeguarding.linkage.pipeline import INPUT_COLUMNS, LinkageSettings, link
from safeguarding.linkage.synthetic import pairwise_scores


@lru_cache(maxsize=1_000_000)
def _phone(value: str) -> str | None:
    return normalise.phone(value)


@lru_cache(maxsize=200_000)
def _postcode(value: str) -> str | None:
    return normalise.postcode(value)


@lru_cache(maxsize=100_000)
def _dob(value: str) -> str | None:
    parsed = normalise.partial_date(value)
    return str(parsed) if parsed else None


def _nhs(value: str) -> tuple[str | None, bool]:
    digits = normalise.nhs_number_digits(value)
    return digits, bool(digits and normalise.nhs_number_is_valid(digits))


def load_people(people_csv: Path, truth_csv: Path) -> tuple[pa.Table, dict[int, str]]:
    """people.csv in the exchange format as a table of INPUT_COLUMNS, and unique_id -> true person id."""
    django_ready()
    from safeguarding.exchange.format import PEOPLE

    # The columns the linkage reads, all but role and updated_at, as text.
    text_columns = [c for c in PEOPLE.names if c != "updated_at"]
    options = pacsv.ConvertOptions(column_types=dict.fromkeys(text_columns, pa.string()), strings_can_be_null=False)
    people = pacsv.read_csv(people_csv, convert_options=options)
    truth_table = pacsv.read_csv(truth_csv, convert_options=pacsv.ConvertOptions(
        column_types={"source_system": pa.string(), "record_id": pa.string(), "true_person_id": pa.string()}))
    true_person = dict(zip(
        zip(truth_table.column("source_system").to_pylist(), truth_table.column("record_id").to_pylist(),
            strict=True),
        truth_table.column("true_person_id").to_pylist(), strict=True))
    columns = {name: people.column(name).to_pylist() for name in text_columns}
    n = people.num_rows
    nhs = [_nhs(v) for v in columns["nhs_number"]]
    phones = [";".join(p for p in (_phone(x) for x in v.split(";")) if p) for v in columns["phone"]]
    table = pa.table({
        "unique_id": pa.array(range(1, n + 1), pa.int64()),
        "source_system": columns["source_system"],
        "record_id": columns["record_id"],
        "given_name": columns["given_name"],
        "middle_names": columns["middle_names"],
        "family_name": columns["family_name"],
        "other_names": columns["other_names"],
        "date_of_birth": [_dob(v) for v in columns["date_of_birth"]],
        "sex": columns["sex"],
        "nhs_number": [d for d, _ in nhs],
        "nhs_number_valid": [ok for _, ok in nhs],
        "upn": [normalise.upn(v) for v in columns["upn"]],
        "pnc_id": columns["pnc_id"],
        "address": columns["address"],
        "postcode": [_postcode(v) for v in columns["postcode"]],
        "phones": phones,
        "emails": columns["email"],
        "role": columns["role"],
    }).select(list(INPUT_COLUMNS))
    truth = {
        uid: true_person[(system, record)]
        for uid, system, record in zip(range(1, n + 1), columns["source_system"], columns["record_id"], strict=True)
    }
    return table, truth


def scores(clusters: pa.Table, truth: dict[int, str]) -> dict[str, float]:
    """Pairwise (``pairwise_scores``) and B-cubed precision, recall and F1 of the persons against the truth."""
    pairwise = pairwise_scores(clusters, truth)
    ids = clusters.column("unique_id").to_pylist()
    cids = clusters.column("cluster_id").to_pylist()
    predicted = Counter(cids)
    actual = Counter(truth[i] for i in ids)
    both = Counter((c, truth[i]) for i, c in zip(ids, cids, strict=True))
    # B-cubed: for each record, |its predicted person ∩ its true person| over each of them.
    b_precision = sum(both[(c, truth[i])] / predicted[c] for i, c in zip(ids, cids, strict=True)) / len(ids)
    b_recall = sum(both[(c, truth[i])] / actual[truth[i]] for i, c in zip(ids, cids, strict=True)) / len(ids)
    exact = sum(1 for (c, t), k in both.items() if k == predicted[c] == actual[t])
    return {
        "pairwise_precision": pairwise["precision"], "pairwise_recall": pairwise["recall"],
        "pairwise_f1": pairwise["f1"],
        "bcubed_precision": b_precision, "bcubed_recall": b_recall,
        "bcubed_f1": 2 * b_precision * b_recall / (b_precision + b_recall),
        "true_pairs": pairwise["true_pairs"], "predicted_pairs": pairwise["predicted_pairs"],
        "correct_pairs": pairwise["correct_pairs"],
        "true_persons": len(actual), "predicted_persons": len(predicted), "persons_exactly_right": exact,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--children", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--extract", type=Path, help="a generated partnership folder (extract/ and truth/)")
    parser.add_argument("--engine", choices=("duckdb", "spark"), default="duckdb")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="linkage-bench-") as scratch:
        folder = args.extract
        if folder is None:
            django_ready()
            from safeguarding.demo.generator import generate_partnership

            folder = Path(scratch)
            generate_partnership(folder, children=args.children, seed=args.seed)
        started = time.perf_counter()
        records, truth = load_people(folder / "extract" / "people.csv", folder / "truth" / "persons.csv")
        load_seconds = time.perf_counter() - started

    settings = LinkageSettings()
    started = time.perf_counter()
    result = link(records, settings=settings, engine=args.engine)
    elapsed = time.perf_counter() - started
    figures = scores(result.clusters, truth)
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"synthetic partnership on {args.engine}: {records.num_rows:,} people rows "
          f"({'seed ' + str(args.seed) + ', ' + str(args.children) + ' children' if args.extract is None else folder})")
    print(f"true persons            {figures['true_persons']:>10,}")
    print(f"predicted persons       {figures['predicted_persons']:>10,}")
    print(f"persons exactly right   {figures['persons_exactly_right']:>10,}")
    print(f"true pairs              {figures['true_pairs']:>10,}")
    print(f"predicted pairs         {figures['predicted_pairs']:>10,}")
    print(f"correct pairs           {figures['correct_pairs']:>10,}")
    print(f"pairwise precision      {figures['pairwise_precision']:>10.4f}")
    print(f"pairwise recall         {figures['pairwise_recall']:>10.4f}")
    print(f"pairwise F1             {figures['pairwise_f1']:>10.4f}   (target >= 0.97)")
    print(f"B-cubed precision       {figures['bcubed_precision']:>10.4f}")
    print(f"B-cubed recall          {figures['bcubed_recall']:>10.4f}")
    print(f"B-cubed F1              {figures['bcubed_f1']:>10.4f}")
    print(f"review pairs            {result.review.num_rows:>10,}")
    print(f"normalise seconds       {load_seconds:>10.2f}")
    for stage, seconds in result.timings.items():
        print(f"{stage + ' seconds':<24}{seconds:>10.2f}")
    print(f"link seconds            {elapsed:>10.2f}")
    print(f"peak RSS MiB            {peak_mib:>10.0f}")
    print(f"model version           {result.model.version}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
