"""Benchmark: working out every statutory clock from millions of events, then incrementally after a
new extract, on the hub's own database.

    .venv/bin/python bench/bench_clocks.py --events 5000000                 # SQLite in a temp folder
    DATABASE_URL=postgres://... .venv/bin/python bench/bench_clocks.py --events 5000000
    .venv/bin/python bench/bench_clocks.py --data-dir DIR   # reuse the events of an earlier scan bench

The partnership is generated, imported, linked and grown to --events events exactly as
``bench_scan_speed.py`` does it (copies of a seeded partnership). Then it times:

1. the first working out of every clock (reads the missing episodes and return home interviews
   among all the events, writes every clock and its first history row);
2. a second full run (nothing new: every clock compared, none written);
3. an incremental run after a new extract of about --new-share of the events (only the children
   with new episodes or interviews are worked out again).
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_scan_speed import _columns, _setup, grow


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=5_000_000)
    parser.add_argument("--children", type=int, default=10_000)
    parser.add_argument("--new-share", type=float, default=0.01)
    parser.add_argument("--seed", type=int, default=20261122)
    parser.add_argument("--data-dir", type=Path, default=None, help="reuse the events of an earlier run here")
    args = parser.parse_args(argv)
    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="clock-bench-"))
    _setup(data_dir)

    from django.core.management import call_command
    from django.db import connection

    from safeguarding.clocks.models import ClockChange, ClockRun, StatutoryClock
    from safeguarding.clocks.services import clocks_refresh
    from safeguarding.people.models import Event, EventType

    call_command("migrate", verbosity=0)
    if Event.objects.count() >= args.events:
        with connection.cursor() as cursor:
            for model in (ClockChange, StatutoryClock, ClockRun):
                cursor.execute(f"DELETE FROM {model._meta.db_table}")  # noqa: S608
        total = Event.objects.count()
        print(f"reusing {total:,} events in {data_dir}", file=sys.stderr)
    else:
        started = time.perf_counter()
        call_command("demo", children=args.children, seed=args.seed, quiet=True, no_scan=True, out=data_dir / "demo")
        print(f"partnership of {args.children:,} children imported and linked in "
              f"{time.perf_counter() - started:.0f} s", file=sys.stderr)
        started = time.perf_counter()
        total = grow(args.events)
        print(f"grown to {total:,} events in {time.perf_counter() - started:.0f} s", file=sys.stderr)
        with connection.cursor() as cursor:  # the demo worked out the clocks of the first copy: start afresh
            for model in (ClockChange, StatutoryClock, ClockRun):
                cursor.execute(f"DELETE FROM {model._meta.db_table}")  # noqa: S608

    def timed(label: str, **kwargs: object) -> None:
        tick = time.perf_counter()
        result = clocks_refresh(**kwargs)  # type: ignore[arg-type]
        wall = time.perf_counter() - tick
        print(f"{label:<40} {wall:>7.1f} s  clocks {result.clocks:,}, created {result.created:,}, "
              f"changed {result.changed:,}, children {result.run.children:,}")

    episodes = Event.objects.filter(event_type__in=[EventType.MISSING_EPISODE, EventType.RETURN_HOME_INTERVIEW]).count()
    print(f"database            {connection.vendor}")
    print(f"events              {total:,} ({episodes:,} missing episodes and return home interviews)")
    timed("first: every clock from every event")
    timed("second: nothing new")
    new = int(total * args.new_share)
    last = Event.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    with connection.cursor() as cursor:
        columns = _columns("people_event")
        select = [f"id + {last}" if c == "id" else ("event_id || '-new'" if c == "event_id" else c) for c in columns]
        quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
        cursor.execute(
            f"INSERT INTO people_event ({quoted}) SELECT {', '.join(select)} FROM people_event "  # noqa: S608
            f"WHERE id > {last - new} AND id <= {last}"
        )
        if connection.vendor == "postgresql":
            cursor.execute("SELECT setval(pg_get_serial_sequence('people_event', 'id'), (SELECT max(id) FROM people_event))")
    timed(f"incremental after {new:,} new events", incremental=True)
    print(f"peak RSS            {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MiB")
    print(f"clocks in the hub   {StatutoryClock.objects.count():,}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
