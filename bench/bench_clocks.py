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
3. an incremental run with nothing new (what the worker does every 15 minutes on a quiet day);
4. an incremental run after a new extract of about --new-share of the events (only the children
   with new episodes or interviews are worked out again).
"""

from __future__ import annotations

import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_scan_speed import _columns, bench_arguments, events_ready


def main(argv: list[str] | None = None) -> int:
    args, data_dir = bench_arguments(__doc__.splitlines()[0], argv, "clock-bench-")

    from django.db import connection

    from safeguarding.clocks.models import ClockChange, ClockRun, StatutoryClock
    from safeguarding.clocks.services import clocks_refresh
    from safeguarding.people.models import Event, EventType

    total = events_ready(args, data_dir, (ClockChange, StatutoryClock, ClockRun))

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
    timed("incremental: nothing new", incremental=True)
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
