"""Benchmark: *Find a person* at county scale, and the import of the people it searches.

    .venv/bin/python bench/bench_people_search.py --extract /tmp/partnership/extract [--searches 300]
    DATABASE_URL=postgres://... .venv/bin/python bench/bench_people_search.py --extract ... [--keep-db]

Imports the extract's people.csv (about a million rows from `bench_demo_generate.py --records 1000000`)
into a fresh hub (SQLite in a temporary data folder, or the empty PostgreSQL database DATABASE_URL names),
then searches it as the pages do (`people.selectors.people_search`, audit row and all):

- casework staff (a triage worker) by given and family name, as typed: the names of records drawn at
  random, a third of them as held, a third begun (the first four letters of each), a third spelled
  another way (a letter changed in the given name, the family name's sound kept);
- referrers by the whole family name and the full date of birth (each referrer within the limit of
  searches a window allows).

Prints the import's rows per second, and each kind of search's first (cold) time, median, p95 and
slowest, with the load average. Target: p95 <= 300 ms at a million records.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def _report(label: str, seconds: list[float]) -> None:
    ms = [s * 1000 for s in seconds]
    print(f"{label:<44} first {ms[0]:7.1f} ms   median {statistics.median(ms[1:] or ms):7.1f}   "
          f"p95 {_percentile(ms[1:] or ms, 0.95):7.1f}   slowest {max(ms):7.1f}   ({len(ms)} searches)")


def _misspelt(name: str, rng: random.Random) -> str:
    if len(name) < 4:
        return name
    at = rng.randrange(1, len(name) - 1)
    return name[:at] + rng.choice("aeiouy") + name[at + 1:]


def _import(args: argparse.Namespace, engine: str) -> None:
    from safeguarding.exchange.importer import import_extract

    people = args.work / "people-only"
    people.mkdir(exist_ok=True)
    link = people / "people.csv"
    link.unlink(missing_ok=True)
    link.symlink_to((args.extract / "people.csv").resolve())
    started = time.perf_counter()
    imported = import_extract(people, initiated_by="bench: people search")
    seconds = time.perf_counter() - started
    rows = imported.counts["people.csv"].created
    print(f"{engine}: imported {rows:,} people rows in {seconds:.1f} s ({rows / seconds:,.0f} rows/s), "
          f"load average {os.getloadavg()[0]:.1f}")
    if args.keep_db and engine == "SQLite":
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("VACUUM INTO %s", [str(args.keep_db)])


def _search(args: argparse.Namespace, engine: str) -> None:
    from safeguarding.accounts.models import Agency, Role, User
    from safeguarding.people.models import SourceRecord
    from safeguarding.people.selectors import SearchCriteria, people_search

    rng = random.Random(args.seed)
    top = SourceRecord.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    sample_ids = rng.sample(range(1, top + 1), min(top, args.searches * 3))
    sample = [r for r in SourceRecord.objects.filter(pk__in=sample_ids).values(
        "given_name", "family_name", "date_of_birth", "person__root_id") if r["given_name"] and r["family_name"]]
    rng.shuffle(sample)
    sample = sample[: args.searches]

    agency = Agency.objects.order_by("pk").first()
    triage, _ = User.objects.get_or_create(username="bench-triage", defaults={"role": Role.TRIAGE_WORKER,
                                                                              "agency": agency})
    casework: list[float] = []
    found = 0
    # Of each kind of search (the names whole, begun, the given name misspelt), how often the person whose
    # record was sampled is among the results (a list is at most SEARCH_RESULT_LIMIT people).
    kinds = ("whole", "begun", "misspelt")
    asked, hit = dict.fromkeys(kinds, 0), dict.fromkeys(kinds, 0)
    for n, row in enumerate(sample):
        given, family = row["given_name"], row["family_name"]
        kind = kinds[n % 3]
        if kind == "begun":
            given, family = given[:4], family[:4]
        elif kind == "misspelt":
            given = _misspelt(given, rng)
        started = time.perf_counter()
        people = people_search(user=triage, criteria=SearchCriteria(given_name=given, family_name=family))
        casework.append(time.perf_counter() - started)
        found += bool(people)
        asked[kind] += 1
        hit[kind] += row["person__root_id"] in {p.pk for p in people}

    referrals: list[float] = []
    referrer = triage
    for n, row in enumerate(r for r in sample if len(r["date_of_birth"] or "") == 10):
        if n % 10 == 0:  # each referrer within the limit of searches a window allows
            referrer = User.objects.create(username=f"bench-referrer-{n}-{time.time_ns()}", role=Role.REFERRER,
                                           agency=agency)
        started = time.perf_counter()
        people_search(user=referrer, criteria=SearchCriteria(
            family_name=row["family_name"], date_of_birth=dt.date.fromisoformat(row["date_of_birth"])))
        referrals.append(time.perf_counter() - started)

    print(f"*Find a person* over {SourceRecord.objects.count():,} source records, {engine}, "
          f"load average {os.getloadavg()[0]:.1f}")
    _report("casework: given and family name", casework)
    print(f"{'':<44} {found} of {len(casework)} found someone; the person sought: "
          + ", ".join(f"{kind} {hit[kind]} of {asked[kind]}" for kind in kinds))
    if referrals:
        _report("referrer: family name and date of birth", referrals)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--extract", type=Path, help="an extract folder holding people.csv, to import")
    parser.add_argument("--db", type=Path, help="SQLite: an imported database to search instead (copied)")
    parser.add_argument("--searches", type=int, default=300)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "people-search")
    parser.add_argument("--keep-db", type=Path, help="SQLite: copy the imported database here (for other benches)")
    parser.add_argument("--imported", action="store_true",
                        help="PostgreSQL: search the people already imported into DATABASE_URL's database")
    args = parser.parse_args(argv)
    if not (args.extract or args.db or args.imported):
        parser.error("give --extract (to import), --db (an imported SQLite database) or --imported")

    args.work.mkdir(parents=True, exist_ok=True)
    data_dir = Path(tempfile.mkdtemp(prefix="data-", dir=args.work))
    os.environ["SAFEGUARDING_DATA_DIR"] = str(data_dir)
    os.environ["DJANGO_SETTINGS_MODULE"] = "safeguarding.config.settings"
    engine = "PostgreSQL" if os.environ.get("DATABASE_URL") else "SQLite"
    if args.db:
        shutil.copyfile(args.db, data_dir / "safeguarding.sqlite3")
    import django

    django.setup()
    from django.core.management import call_command

    from safeguarding.demo.partnership import demo_partnership_setup

    try:
        call_command("migrate", verbosity=0)
        demo_partnership_setup()
        if args.extract and not args.imported:
            _import(args, engine)
        _search(args, engine)
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
