"""Benchmark: how many of the networks planted in a synthetic partnership the hub recovers.

    .venv/bin/python bench/bench_network_recovery.py --children 10000 --seeds 7,20261122,42

Generates a seeded synthetic partnership with ground truth, imports it, links records into persons,
scans it and builds links exactly as `safeguarding demo` does, then compares the hub's networks
(``contexts.exporters.network_rows``, what networks.csv holds) with the generator's
``truth/networks.csv``:

- a planted network is recovered when at least 80% of its people (adults and children) are in one
  network the hub found; target (issue 14): at least 90% recovered;
- purity: the share of that found network's people who belong to the planted one; target: median
  at least 0.8.

Reported for the police's view (every link) and for the view of the other agencies (police-only
links left out), for every seed: ``--seeds`` runs each in a fresh database (one process each).
Also prints how long building links took, and the new-link alerts raised with the share of the
children they name who were in fact exploited.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--children", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--seeds", default="", help="comma-separated seeds: one run each")
    parser.add_argument("--behaviour", default="default",
                        help="the generator's behaviour (demo.behaviours): default, other-reasons, independent-style...")
    parser.add_argument("--data-dir", type=Path, default=None)
    args = parser.parse_args(argv)
    if args.seeds:
        return _several(args.children, [int(s) for s in args.seeds.split(",")], args.behaviour)
    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="network-recovery-"))
    os.environ.setdefault("SAFEGUARDING_DATA_DIR", str(data_dir))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "safeguarding.config.settings")
    import django

    django.setup()
    from django.core.management import call_command

    from safeguarding.contexts.evaluation import read_truth, recovery_against_truth
    from safeguarding.contexts.models import Link, LinkBuild
    from safeguarding.earlywarning.models import Alert
    from safeguarding.people.models import SourceRecord

    started = time.perf_counter()
    call_command("demo", children=args.children, seed=args.seed, behaviour=args.behaviour, quiet=True,
                 out=data_dir / "demo")
    elapsed = time.perf_counter() - started
    truth = data_dir / "demo" / "truth"
    build = LinkBuild.objects.order_by("-pk").first()
    assert build is not None and build.finished_at is not None
    result: dict[str, object] = {"seed": args.seed, "children": args.children, "behaviour": args.behaviour}
    print(f"children / seed / behaviour  {args.children:,} / {args.seed} / {args.behaviour}")
    print(f"generate+import+link+scan+links {elapsed:,.0f} s; building links {(build.finished_at - build.started_at).total_seconds():.1f} s")
    print(f"links                        {Link.objects.count():,}; set aside {build.values_set_aside}; placeholders {len(build.placeholders)}")
    for view, police in (("police", True), ("shared", False)):
        tick = time.perf_counter()
        r = recovery_against_truth(truth, include_police_only=police)
        seconds = time.perf_counter() - tick
        print(f"{view:<7} recovered {r.recovered} of {r.planted} = {r.recovered_share:.1%} (target >= 90%); "
              f"median purity {r.median_purity:.2f} (target >= 0.8); networks found {r.found}; {seconds:.1f} s")
        result[view] = {"recovered": r.recovered_share, "purity": r.median_purity, "planted": r.planted}
    _, records = read_truth(truth)
    exploited = {row["true_person_id"] for row in csv.DictReader((truth / "exploited.csv").open(encoding="utf-8"))}
    truth_of = {}
    for system, record_id, root in SourceRecord.objects.values_list("source_system__code", "record_id", "person__root_id"):
        truth_of.setdefault(root, records.get((system, record_id)))
    for code in ("new-link-shared-entity", "new-link-adult"):
        children = set(Alert.objects.filter(rule__code=code).values_list("person__root_id", flat=True))
        right = sum(1 for c in children if truth_of.get(c) in exploited)
        print(f"{code:<28} {Alert.objects.filter(rule__code=code).count():,} alerts on {len(children):,} children, "
              f"{right:,} of them exploited")
        result[code] = {"children": len(children), "exploited": right}
    print("RESULT " + json.dumps(result))
    return 0


def _several(children: int, seeds: list[int], behaviour: str) -> int:
    for seed in seeds:
        with tempfile.TemporaryDirectory(prefix="network-recovery-") as data_dir:
            run = subprocess.run(
                [sys.executable, __file__, "--children", str(children), "--seed", str(seed), "--behaviour", behaviour,
                 "--data-dir", data_dir],
                capture_output=True, text=True, check=True,
            )
        print(run.stdout.split("RESULT ")[0], flush=True)
        print("RESULT " + run.stdout.rsplit("RESULT ", 1)[1].strip(), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
