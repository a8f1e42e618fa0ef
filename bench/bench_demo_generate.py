"""Benchmark: how long the synthetic partnership generator takes, and how much memory, for N people rows.

    .venv/bin/python bench/bench_demo_generate.py --records 1000000 --out /tmp/partnership
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

from django_setup import django_ready


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000, help="people.csv rows to aim for")
    parser.add_argument("--out", type=Path, required=True, help="folder to write the extract and truth into")
    parser.add_argument("--seed", type=int, default=20251122)
    args = parser.parse_args(argv)

    last_report = [0.0]

    def progress(stage: str, done: int, total: int) -> None:
        # Print at most every few seconds: the benchmark measures the generator, not the terminal.
        now = time.perf_counter()
        if now - last_report[0] >= 5 or done == total:
            last_report[0] = now
            print(f"  {stage}: {done:,}/{total:,}", file=sys.stderr)

    django_ready()
    from safeguarding.demo.generator import generate_partnership

    started = time.perf_counter()
    summary = generate_partnership(args.out, target_records=args.records, seed=args.seed, progress=progress)
    elapsed = time.perf_counter() - started
    # ru_maxrss is in kilobytes on Linux.
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    size_mib = sum(f.stat().st_size for f in summary.extract_dir.iterdir()) / 2**20

    print(f"target people rows  {args.records:>12,}")
    print(f"people rows         {summary.people_rows:>12,}")
    print(f"event rows          {summary.event_rows:>12,}")
    print(f"relationship rows   {summary.relationship_rows:>12,}")
    print(f"children / adults   {summary.children:>12,} / {summary.adults:,}")
    print(f"exploited children  {summary.exploited_children:>12,} in {summary.networks:,} networks")
    print(f"extract size        {size_mib:>12,.1f} MiB")
    print(f"wall time           {elapsed:>12,.1f} s")
    print(f"peak RSS            {peak_mib:>12,.1f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
