"""Benchmark: `safeguarding import` at volume, on SQLite or on the PostgreSQL server DATABASE_URL names.

    .venv/bin/python bench/bench_import_volume.py --people 100000 --events 500000 [--work /tmp/import-volume]
    DATABASE_URL=postgres://... .venv/bin/python bench/bench_import_volume.py --people 100000 --events 500000

Writes a seeded synthetic extract (people.csv and events.csv: six source systems, names, dates of
birth, valid and invalid NHS numbers, UK postcodes, phones; events of every type at UK places) into
--work (reused if present), migrates an empty hub database (SQLite in a temporary data folder, or the
PostgreSQL database named, which must be empty or hold only an earlier run of this bench), imports
the extract, and prints wall time, rows per second and peak RSS. On PostgreSQL it prints the server
settings that matter for a bulk load, so figures can be compared.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

from safeguarding.core import normalise

SYSTEMS = ("council-social-care", "police-records", "nhs-community", "school-sims", "licensing-register",
           "voluntary-outreach")
GIVEN = ("Chloe", "Jade", "Leah", "Ellie", "Amelia", "Olivia", "Ruby", "Mia", "Jack", "Harry", "Liam", "Noah",
         "Kyle", "Connor", "Aisha", "Fatima", "Zara", "Ryan", "Tyler", "Bethany")
FAMILY = ("Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Patel", "Khan",
          "Wright", "Walker", "Barker", "Hughes", "Green", "Hall", "Wood", "Thompson", "Ali", "Lewis")
STREETS = ("High Street", "Station Road", "Church Lane", "Moor Lane", "Oak Road", "Park Street", "Mill Lane")
# The event types the extract draws from (ten of the exchange format's, checked against it).
EVENT_TYPES = ("missing_episode", "return_home_interview", "absent_from_school", "ae_attendance", "police_stop",
               "found_with_adult", "seen_in_vehicle", "intelligence", "concern", "sexual_health_attendance")
# The columns it fills, in the exchange format's order.
PEOPLE_FILLED = {"source_system", "record_id", "given_name", "family_name", "date_of_birth", "sex", "nhs_number",
                 "address", "postcode", "phone", "role", "updated_at"}
EVENTS_FILLED = {"source_system", "event_id", "record_id", "event_type", "occurred_at", "location_name",
                 "location_postcode", "detail"}
PLACES = ("Taxi rank, Station Road", "Hotel, High Street", "Takeaway, Moor Lane", "Park, Church Lane", "")


def _nhs_number(rng: random.Random) -> str:
    """Ten digits; the check digit is right nine times in ten."""
    while True:
        body = "".join(str(rng.randrange(10)) for _ in range(9))
        check = normalise.nhs_check_digit(body)
        if check is not None:
            break
    if rng.random() < 0.1:
        check = (check + 1) % 10
    return body + str(check)


def write_extract(folder: Path, people: int, events: int, seed: int) -> None:
    """The extract, written through the exchange format's description (Django must be set up)."""
    from safeguarding.exchange import format as exchange_format

    if not set(EVENT_TYPES) <= set(exchange_format.EVENT_TYPES):
        raise ValueError(f"not event types of the exchange format: {set(EVENT_TYPES) - set(exchange_format.EVENT_TYPES)}")
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "people.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow([c for c in exchange_format.PEOPLE.names if c in PEOPLE_FILLED])
        for n in range(people):
            child = rng.random() < 0.6
            year = rng.randint(2008, 2015) if child else rng.randint(1960, 2005)
            writer.writerow([
                SYSTEMS[n % len(SYSTEMS)], f"P{n:08d}", rng.choice(GIVEN), rng.choice(FAMILY),
                f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}", rng.choice("FM"),
                _nhs_number(rng) if rng.random() < 0.7 else "",
                f"{rng.randint(1, 200)} {rng.choice(STREETS)}, Eastwood",
                f"S{rng.randint(60, 66)} {rng.randint(1, 9)}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}",
                f"07700 9{rng.randint(0, 99999):05d}" if rng.random() < 0.5 else "",
                "child" if child else "adult", f"2026-{rng.randint(1, 10):02d}-{rng.randint(1, 28):02d}T09:00:00",
            ])
    with (folder / "events.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow([c for c in exchange_format.EVENTS.names if c in EVENTS_FILLED])
        for n in range(events):
            person = rng.randrange(people)
            writer.writerow([
                SYSTEMS[person % len(SYSTEMS)], f"E{n:09d}", f"P{person:08d}", rng.choice(EVENT_TYPES),
                f"2026-{rng.randint(1, 10):02d}-{rng.randint(1, 28):02d}T{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}",
                rng.choice(PLACES), f"S{rng.randint(60, 66)} 1AB" if rng.random() < 0.3 else "", "",
            ])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=500_000)
    parser.add_argument("--seed", type=int, default=20251122)
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "import-volume")
    parser.add_argument("--extract", type=Path, help="import this extract folder instead of generating one")
    args = parser.parse_args(argv)

    extract = args.extract or args.work / f"extract-{args.people}-{args.events}"
    args.work.mkdir(parents=True, exist_ok=True)
    os.environ["SAFEGUARDING_DATA_DIR"] = tempfile.mkdtemp(prefix="data-", dir=args.work)
    os.environ["DJANGO_SETTINGS_MODULE"] = "safeguarding.config.settings"
    import django

    django.setup()
    if args.extract is not None:
        if not any((extract / name).exists() for name in ("people.csv", "relationships.csv", "events.csv")):
            parser.error(f"{extract} holds no people.csv, relationships.csv or events.csv")
    elif not (extract / "events.csv").exists():
        # Only into the bench's own folder: an extract named with --extract is never written over
        # (a folder holding people.csv alone once had it replaced by a generated one).
        print(f"writing {args.people:,} people and {args.events:,} events to {extract} ...", file=sys.stderr)
        write_extract(extract, args.people, args.events, args.seed)
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    from safeguarding.demo.partnership import demo_partnership_setup
    from safeguarding.exchange.importer import import_extract

    call_command("migrate", verbosity=0)
    demo_partnership_setup()
    server = ""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            names = ("max_wal_size", "checkpoint_timeout", "shared_buffers", "synchronous_commit", "fsync",
                     "wal_compression", "maintenance_work_mem")
            cursor.execute("SELECT name, setting, unit FROM pg_settings WHERE name = ANY(%s) ORDER BY name",
                           [list(names)])
            server = ", ".join(f"{n}={v}{u or ''}" for n, v, u in cursor.fetchall())
    spans: dict[str, list[float]] = {}

    def progress(name: str, done: int, total: int | None) -> None:
        spans.setdefault(name, [time.perf_counter(), 0.0])[1] = time.perf_counter()

    before = resource.getrusage(resource.RUSAGE_SELF)
    cpu_before = before.ru_utime + before.ru_stime
    started = time.perf_counter()
    result = import_extract(extract, progress=progress)
    finished = time.perf_counter()
    seconds = finished - started
    from safeguarding.exchange.issues import FileCounts

    people, events = (result.counts.get(name, FileCounts()) for name in ("people.csv", "events.csv"))
    per_stage = {name: end - begin for name, (begin, end) in spans.items()}
    print(f"import of {people.rows:,} people + {events.rows:,} events on {connection.vendor}: {seconds:.1f} s "
          f"(created {people.created:,} / {events.created:,}; {result.issue_count:,} issues)")
    for name, counts in result.counts.items():
        reading, saving = per_stage.get(f"reading {name}", 0.0), per_stage.get(f"saving {name}", 0.0)
        print(f"{name}: {counts.rows / (reading + saving):,.0f} rows/s; read and validated in {reading:.1f} s "
              f"(no transaction open), written in {saving:.1f} s")
    # From the first write to the commit: the only time the import holds SQLite's write lock.
    writing_from = min((begin for name, (begin, _) in spans.items() if name.startswith("saving")), default=finished)
    print(f"write transaction: {finished - writing_from:.1f} s of {seconds:.1f} s")
    run = result.run
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(f"rows per second over the whole import: {sum(c.rows for c in result.counts.values()) / seconds:,.0f}; "
          f"importer CPU {usage.ru_utime + usage.ru_stime - cpu_before:.0f} s of {seconds:.0f} s (the rest: waiting "
          f"for the database); peak RSS {usage.ru_maxrss / 1024:.0f} MiB (the largest worker validating rows: "
          f"{resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024:.0f} MiB, {settings.IMPORT_WORKERS} "
          f"workers); "
          f"load average {os.getloadavg()[0]:.1f}; run {run.pk}")
    if server:
        print(f"server: {server}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
