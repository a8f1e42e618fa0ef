"""Benchmark: how well the switched-on early-warning rules find exploited children, through the hub.

    .venv/bin/python bench/bench_scan_quality.py --children 20000
    .venv/bin/python bench/bench_scan_quality.py --children 20000 --behaviour independent-style
    .venv/bin/python bench/bench_scan_quality.py --children 20000 --seeds 20261122,7,42 --behaviour other-reasons

Generates a seeded synthetic partnership with ground truth (``--behaviour``: one of
``safeguarding.demo.behaviours``), imports it, links it and scans it exactly as `safeguarding demo`
does (the hub's own import -> link -> scan), then compares the alerts with the truth:

- share of exploited children flagged (an alert raised on or after the day exploitation began: recall);
- share of flagged children who were in fact exploited (precision, at the level of children);
- median days from the first such alert to the first concern a professional raised (lead);

for the rules together and for each rule. The rule "Return home interview not held within 72 hours"
is switched off before the scan: it is becoming a statutory clock, not an alert (issue 13).
``bench_rule_variants.py`` measures many rule sets on many partnerships without the hub; this one
includes record linkage's errors. ``--seeds`` runs each seed in a fresh database (one process
each) and prints every seed's figures and their mean.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RHI_RULE = "no-return-home-interview"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--children", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=20261122)
    parser.add_argument("--seeds", default="", help="comma-separated seeds: one run each, then their mean")
    parser.add_argument("--behaviour", default="default")
    parser.add_argument("--data-dir", type=Path, default=None)
    args = parser.parse_args(argv)
    if args.seeds:
        return _several(args.children, [int(s) for s in args.seeds.split(",")], args.behaviour)
    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="scan-quality-"))
    os.environ.setdefault("SAFEGUARDING_DATA_DIR", str(data_dir))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "safeguarding.config.settings")
    import django

    django.setup()
    from django.core.management import call_command

    from safeguarding.earlywarning.evaluation import quality_against_truth
    from safeguarding.earlywarning.models import Alert, Rule
    from safeguarding.people.models import Event

    started = time.perf_counter()
    call_command("demo", children=args.children, seed=args.seed, behaviour=args.behaviour, quiet=True,
                 no_scan=True, out=data_dir / "demo")
    Rule.objects.filter(code=RHI_RULE).update(enabled=False)  # as the statutory clocks will leave it
    call_command("scan", quiet=True)
    elapsed = time.perf_counter() - started
    quality = quality_against_truth(data_dir / "demo" / "truth")

    print(f"children / seed / behaviour {args.children:,} / {args.seed} / {args.behaviour}")
    print(f"events                      {Event.objects.count():,}")
    print(f"alerts                      {Alert.objects.count():,}")
    print(f"generate+import+link+scan   {elapsed:,.0f} s")
    print(f"exploited children          {quality.exploited:,}")
    print(f"flagged (recall)            {quality.flagged_exploited:,} = {quality.flagged_share:.1%}")
    print(f"flags correct (precision)   {quality.flagged_correct:,} of {quality.flagged_children:,} "
          f"= {quality.precision:.1%}")
    median = quality.median_lead_days
    print(f"median lead                 {median if median is not None else '-'} days "
          f"(over {len(quality.lead_days):,} exploited children with a first concern)")
    if quality.lead_days:
        before = sum(1 for d in quality.lead_days if d > 0)
        print(f"  alert before the concern  {before:,} of {len(quality.lead_days):,}")
    print("by rule (children flagged, of whom exploited):")
    for rule, (children, correct) in sorted(quality.by_rule.items()):
        print(f"  {rule:<36} {children:>6,} {correct:>6,}  ({correct / children:.0%})")
    print("RESULT " + json.dumps({"seed": args.seed, "flagged": quality.flagged_share,
                                  "precision": quality.precision, "lead": median,
                                  "children_flagged": quality.flagged_children}))
    return 0


def _several(children: int, seeds: list[int], behaviour: str) -> int:
    results = []
    for seed in seeds:
        with tempfile.TemporaryDirectory(prefix="scan-quality-") as data_dir:
            run = subprocess.run(
                [sys.executable, __file__, "--children", str(children), "--seed", str(seed), "--data-dir", data_dir,
                 "--behaviour", behaviour],
                capture_output=True, text=True, check=True,
            )
        results.append(json.loads(run.stdout.rsplit("RESULT ", 1)[1]))
        r = results[-1]
        print(f"{behaviour} seed {seed:>10}  flagged {r['children_flagged']:,}  recall {r['flagged']:.1%}  "
              f"precision {r['precision']:.1%}  median lead {r['lead']} days", flush=True)
    print(f"mean of {len(seeds)}       recall {statistics.mean(r['flagged'] for r in results):.1%}  "
          f"precision {statistics.mean(r['precision'] for r in results):.1%}  "
          f"median lead {statistics.mean(r['lead'] or 0 for r in results):.1f} days")
    return 0


if __name__ == "__main__":
    sys.exit(main())
