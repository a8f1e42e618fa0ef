# ruff: noqa: S608 -- table and column names come from Django's own introspection, numbers from counts.
"""Benchmark: `safeguarding scan` over millions of events, on the hub's own database.

    .venv/bin/python bench/bench_scan_speed.py --events 5000000            # SQLite in a temp folder
    DATABASE_URL=postgres://... .venv/bin/python bench/bench_scan_speed.py --events 5000000

A seeded partnership of --children children is generated, imported and linked the ordinary way;
then its people, records and events are copied (each copy a new set of children with the same
histories, all ids new, its own vehicles, phones and places) until the database holds --events
events. Copying in SQL is how the
benchmark reaches millions of events quickly: it measures the scan, not the import (the import has
its own figures in docs/benchmarks.md). Then it times:

1. the first full scan (reads every event, evaluates every default rule, writes every alert);
2. a second full scan (nothing new: the cost of re-checking everything);
3. an incremental scan after a new extract of about --new-share of the events;
4. an administrator's "Test against history" of a rule change (the draft beside the rule as it is).
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path


def _setup(data_dir: Path) -> None:
    os.environ.setdefault("SAFEGUARDING_DATA_DIR", str(data_dir))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "safeguarding.config.settings")
    import django

    django.setup()


def _columns(table: str) -> list[str]:
    from django.db import connection

    with connection.cursor() as cursor:
        return [c.name for c in connection.introspection.get_table_description(cursor, table)]


def _copy(table: str, copy: int, offsets: dict[str, int], overrides: dict[str, str], upto: dict[str, int]) -> None:
    """INSERT INTO table SELECT ... FROM table: one more copy of the original rows, ids shifted."""
    from django.db import connection

    columns = _columns(table)
    select = []
    for column in columns:
        if column in overrides:
            select.append(overrides[column].format(k=copy))
        elif column == "id":
            select.append(f"id + {offsets[table] * copy}")
        else:
            select.append(column)
    quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({quoted}) SELECT {', '.join(select)} FROM {table} WHERE id <= {upto[table]}"
        )


def grow(target_events: int) -> int:
    """Copy people, records and events until there are at least ``target_events`` events."""
    from django.db import connection, transaction

    from safeguarding.people.models import Event, Person, SourceRecord

    base = {
        "people_person": Person.objects.order_by("-pk").values_list("pk", flat=True).first() or 0,
        "people_sourcerecord": SourceRecord.objects.order_by("-pk").values_list("pk", flat=True).first() or 0,
        "people_event": Event.objects.order_by("-pk").values_list("pk", flat=True).first() or 0,
    }
    events = Event.objects.count()
    copies = max(0, -(-target_events // max(events, 1)) - 1)
    concat = "||"
    for k in range(1, copies + 1):
        with transaction.atomic():
            # Each copied person is its own root (people.identity's rule for a person not merged).
            _copy("people_person", k, base, {"merged_into_id": "NULL",
                                             "root_id": f"id + {base['people_person']} * {{k}}"}, base)
            _copy("people_sourcerecord", k, base, {
                "person_id": f"person_id + {base['people_person']} * {{k}}",
                "record_id": f"record_id {concat} '-c{{k}}'",
            }, base)
            _copy("people_event", k, base, {
                "source_record_id": f"source_record_id + {base['people_sourcerecord']} * {{k}}",
                "event_id": f"event_id {concat} '-c{{k}}'",
                # Each copy's vehicles, phones and places are its own: copies share no contacts,
                # as a thousand different children in a real area would not.
                "vehicle_registration": (
                    f"CASE WHEN vehicle_registration = '' THEN '' ELSE vehicle_registration {concat} '{{k}}' END"
                ),
                "phone": f"CASE WHEN phone = '' THEN '' ELSE phone {concat} '{{k}}' END",
                "location_postcode": (
                    f"CASE WHEN location_postcode = '' THEN '' ELSE location_postcode {concat} '{{k}}' END"
                ),
                "other_record_ids": (
                    f"CASE WHEN other_record_ids = '' THEN '' ELSE "
                    f"REPLACE(other_record_ids, ';', '-c{{k}};') {concat} '-c{{k}}' END"
                ),
            }, base)
        print(f"  copy {k}/{copies}", file=sys.stderr)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for table in base:
                cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
            cursor.execute("ANALYZE")
    return Event.objects.count()


def bench_arguments(description: str, argv: list[str] | None, prefix: str) -> tuple[argparse.Namespace, Path]:
    """The volume benches' options (this one's and the clocks'), and their data folder, set up."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--events", type=int, default=5_000_000)
    parser.add_argument("--children", type=int, default=10_000)
    parser.add_argument("--new-share", type=float, default=0.01)
    parser.add_argument("--seed", type=int, default=20261122)
    parser.add_argument("--data-dir", type=Path, default=None, help="reuse the events of an earlier run here")
    args = parser.parse_args(argv)
    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix=prefix))
    _setup(data_dir)
    return args, data_dir


def events_ready(args: argparse.Namespace, data_dir: Path, derived: tuple[type, ...]) -> int:
    """The demo partnership grown to --events, or the events of an earlier run in --data-dir reused; then
    the tables the bench measures writing (``derived``, children first) emptied. Returns the events held."""
    from django.core.management import call_command
    from django.db import connection

    from safeguarding.people.models import Event

    call_command("migrate", verbosity=0)
    if Event.objects.count() >= args.events:
        print(f"reusing {Event.objects.count():,} events in {data_dir}", file=sys.stderr)
    else:
        started = time.perf_counter()
        call_command("demo", children=args.children, seed=args.seed, quiet=True, no_scan=True, out=data_dir / "demo")
        print(f"partnership of {args.children:,} children imported and linked in "
              f"{time.perf_counter() - started:.0f} s", file=sys.stderr)
        started = time.perf_counter()
        grown = grow(args.events)
        print(f"grown to {grown:,} events in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    with connection.cursor() as cursor:  # start again from nothing derived (the demo works out some)
        for model in derived:
            cursor.execute(f"DELETE FROM {model._meta.db_table}")
    return Event.objects.count()


def main(argv: list[str] | None = None) -> int:
    args, data_dir = bench_arguments(__doc__.splitlines()[0], argv, "scan-bench-")

    from django.db import connection

    from safeguarding.earlywarning.models import Alert, AlertEvidence, ScanRun
    from safeguarding.earlywarning.scan import scan_run
    from safeguarding.people.models import Event

    total = events_ready(args, data_dir, (AlertEvidence, Alert, ScanRun))

    def timed(label: str, **kwargs: object) -> None:
        tick = time.perf_counter()
        result = scan_run(**kwargs)  # type: ignore[arg-type]
        wall = time.perf_counter() - tick
        parts = ", ".join(f"{k} {v:.1f} s" for k, v in result.seconds.items())
        print(f"{label:<34} {wall:>7.1f} s  ({parts}); events read {result.events:,}, "
              f"alerts raised {result.alerts_raised:,}, evidence added {result.evidence_added:,}")

    print(f"database            {connection.vendor}")
    print(f"events              {total:,}")
    timed("first full scan")
    timed("second full scan (nothing new)")
    # A new extract: copy a share of the newest events as new events of the same children.
    new = int(total * args.new_share)
    last = Event.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    with connection.cursor() as cursor:
        columns = _columns("people_event")
        select = [
            f"id + {last}" if c == "id" else ("event_id || '-new'" if c == "event_id" else c) for c in columns
        ]
        quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
        cursor.execute(
            f"INSERT INTO people_event ({quoted}) SELECT {', '.join(select)} FROM people_event "
            f"WHERE id > {last - new} AND id <= {last}"
        )
        if connection.vendor == "postgresql":
            cursor.execute("SELECT setval(pg_get_serial_sequence('people_event', 'id'), (SELECT max(id) FROM people_event))")
    timed(f"incremental scan after {new:,} new", incremental=True)
    # What an administrator's "Test against history" costs: a changed rule beside the rule as it is.
    from safeguarding.earlywarning.backtest import backtests
    from safeguarding.earlywarning.models import Rule
    from safeguarding.earlywarning.rules import rule_spec

    current = rule_spec(Rule.objects.get(code="repeat-missing"))
    draft = replace(current, params={**current.params, "count": 4})
    tick = time.perf_counter()
    tested = backtests([draft, current])
    print(f"{'test a rule change against history':<34} {time.perf_counter() - tick:>7.1f} s  "
          f"(draft flags {tested[0].children_flagged:,} children, the rule as it is {tested[1].children_flagged:,})")
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS            {peak_mib:,.0f} MiB")
    print(f"alerts in the hub   {Alert.objects.count():,}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
