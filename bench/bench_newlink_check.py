"""Benchmark: the new-link check after an extract takes time in proportion to the new links.

    .venv/bin/python bench/bench_newlink_check.py --children 10000

Loads a seeded synthetic partnership as `safeguarding demo` does (import, link, scan, build links),
then imports extracts of 10, 100 and 1,000 new sightings of children in vehicles already on the
hub's records (each a new link, many of them a second child in a vehicle), and times each build of
links: reading what is new, writing the links, checking placeholders, and the new-link check that
raises alerts. The area's existing links stay the same; only the new ones change.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--children", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--sizes", default="10,100,1000")
    parser.add_argument("--data-dir", type=Path, default=None)
    args = parser.parse_args(argv)
    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="newlink-check-"))
    os.environ.setdefault("SAFEGUARDING_DATA_DIR", str(data_dir))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "safeguarding.config.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.utils import timezone

    from safeguarding.contexts.models import Entity, EntityKind, Link
    from safeguarding.contexts.services import links_build
    from safeguarding.people.models import Event, EventType, PersonRole, SourceRecord

    call_command("migrate", interactive=False, verbosity=0)
    if not Link.objects.exists():
        call_command("demo", children=args.children, seed=args.seed, quiet=True, out=data_dir / "demo")
    rng = random.Random(args.seed)
    vehicles = list(Entity.objects.filter(kind=EntityKind.VEHICLE, placeholder=False).values_list("key", flat=True))
    records = list(SourceRecord.objects.filter(role=PersonRole.CHILD, source_system__code="police-records")
                   .values_list("pk", "source_system_id"))
    print(f"area: {Link.objects.count():,} links, {len(vehicles):,} vehicles, {len(records):,} children's police records")
    print(f"{'new events':>10} {'new links':>10} {'alerts':>7} {'read':>7} {'write':>7} {'placeholders':>12} "
          f"{'new-link check':>14} {'total':>7}")
    letters = "ABCDEFGHJKLMNPRSTUVWXYZ"
    for size in (int(s) for s in args.sizes.split(",")):
        now = timezone.now()
        # A fifth of the sightings are in cars already on the records; the rest in new cars, each
        # seen with two or three children.
        fresh = [f"BX{rng.randint(10, 99)}{''.join(rng.choices(letters, k=3))}" for _ in range(size // 3 + 1)]
        Event.objects.bulk_create([
            Event(source_system_id=system, source_record_id=record, event_id=f"BENCH-{now:%H%M%S%f}-{n}",
                  event_type=EventType.SEEN_IN_VEHICLE, occurred_at=now,
                  vehicle_registration=rng.choice(vehicles) if rng.random() < 0.2 else rng.choice(fresh),
                  detail="Seen getting into a car")
            for n, (record, system) in enumerate(rng.choices(records, k=size))
        ])
        tick = time.perf_counter()
        result = links_build()
        total = time.perf_counter() - tick
        s = list(result.seconds.values())
        print(f"{size:>10,} {result.links_added:>10,} {len(result.alerts):>7,} {s[0]:>6.2f}s {s[1]:>6.2f}s "
              f"{s[2]:>11.2f}s {s[3]:>13.2f}s {total:>6.2f}s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
