"""Benchmark: every early-warning rule set on several generated partnerships, not only the default.

    .venv/bin/python bench/bench_rule_variants.py                       # four variants x three seeds
    .venv/bin/python bench/bench_rule_variants.py --variants county --children 430000 --seeds 20261122
    .venv/bin/python bench/bench_rule_variants.py --json /tmp/variants.json

For each variant of the generator's behaviour (``safeguarding.demo.behaviours``) and each seed, a
partnership is generated and its events are loaded straight from the extract into the rules
engine, each record given its true person (``evaluation.load_extract``: record linkage is taken out
of these figures; ``bench_scan_quality.py`` measures the hub end to end). Each rule set is evaluated
as of the end of the period exactly as a scan evaluates it, and compared with the truth: children
flagged, how many of them were exploited (precision), the share of exploited children flagged on or
after their exploitation began (recall), and the median days from that first alert to the first
concern a professional raised (lead). The figures are printed for the rule set and for each rule,
per variant and seed, with the worst case of each measure.

Rule sets: ``before`` is the default set as it shipped before issue 15
(``bench/rule_sets/before-issue-15.json``), ``shipped`` is ``default_rules.json`` now, ``shipped@N``
the same with the weighing rule's threshold at N points (to see the trade-off), ``shipped-own-records``
the same with each event counted only for the person whose record holds it (police intelligence on an
adult's record naming a child not counted for the child, as before 6 December 2026); any other name is
read as a path to a file of the same shape. The rule "Return home interview not held within
72 hours" is left out of every set: it is becoming a statutory clock, not an alert.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from django_setup import django_ready

RHI_RULE = "no-return-home-interview"
HERE = Path(__file__).resolve().parent


def rule_set(name: str) -> list[Any]:
    """The switched-on rules of a named set, as the scanner reads them (the RHI rule left out)."""
    from safeguarding.earlywarning.rules import clean_rule, default_rules

    if name in ("shipped", "shipped-own-records") or name.startswith("shipped@"):
        items = default_rules()
        if "@" in name:  # the shipped set with its weighing rule's threshold changed: the trade-off
            for item in items:
                if item["kind"] == "score":
                    item["params"] = {**item["params"], "threshold": int(name.split("@")[1])}
        if name == "shipped-own-records":  # intelligence on an adult's record counts for no child it names
            for item in items:
                if item["kind"] == "score":
                    item["params"] = {k: v for k, v in item["params"].items() if k != "for_named_children"}
    else:
        path = HERE / "rule_sets" / "before-issue-15.json" if name == "before" else Path(name)
        items = json.loads(path.read_text(encoding="utf-8"))["rules"]
    return [
        clean_rule(code=i["code"], name=i["name"], kind=i["kind"], level=i["level"], params=i["params"])
        for i in items
        if i["code"] != RHI_RULE and i.get("enabled", True)
    ]


def measure(variant: str, children: int, seed: int, sets: list[str], keep: Path | None) -> dict[str, Any]:
    import datetime as dt

    from safeguarding.demo.agencies import AGENCY_OF_SYSTEM
    from safeguarding.demo.behaviours import BEHAVIOURS
    from safeguarding.demo.generator import generate_partnership
    from safeguarding.earlywarning import engine
    from safeguarding.earlywarning.evaluation import Truth, load_extract, quality_of_episodes
    from safeguarding.earlywarning.scan import evaluate

    behaviour = BEHAVIOURS[variant]
    folder = keep or Path(tempfile.mkdtemp(prefix=f"variant-{variant}-"))
    tick = time.perf_counter()
    end = dt.date(2026, 10, 31)
    summary = generate_partnership(folder, children=children, seed=seed, end_date=end,
                                   everyday=behaviour.everyday, exploited=behaviour.exploited)
    generated = time.perf_counter() - tick
    truth = Truth.read(summary.truth_dir)
    con = engine.connect()
    result: dict[str, Any] = {"variant": variant, "children": children, "seed": seed,
                              "exploited": len(truth.exploited), "events": 0, "sets": {}}
    try:
        tick = time.perf_counter()
        result["events"] = load_extract(con, summary.extract_dir, summary.truth_dir, AGENCY_OF_SYSTEM)
        loaded = time.perf_counter() - tick
        as_of = dt.datetime(end.year, end.month, end.day, 23, 59, tzinfo=dt.UTC)
        for name in sets:
            specs = rule_set(name)
            tick = time.perf_counter()
            episodes = evaluate(con, specs, as_of)
            overall = quality_of_episodes(episodes, truth)
            rules = {s.code: quality_of_episodes(episodes, truth, [s.code]).as_json() for s in specs}
            result["sets"][name] = {"overall": overall.as_json(), "rules": rules,
                                    "seconds": round(time.perf_counter() - tick, 1)}
        result["bounds"] = bounds(con, truth)
        result["seconds"] = {"generate": round(generated, 1), "load": round(loaded, 1)}
    finally:
        con.close()
        if keep is None:
            shutil.rmtree(folder, ignore_errors=True)
    return result


# Signs particular to exploitation (DOMAIN.md: who the child is with, vehicles, money, phones, drugs,
# travel, grooming, intelligence, a disclosure), as against signs with many other causes.
SPECIFIC = ("found_with_adult", "seen_in_vehicle", "online_grooming", "drug_debt", "gifts_or_money",
            "multiple_phones", "travel_out_of_area", "intelligence", "disclosure")
NOT_SIGNS = ("concern", "other", "return_home_interview")


def bounds(con: Any, truth: Any) -> dict[str, Any]:
    """What no rule can beat on this partnership: the share of exploited children with any sign
    recorded while under 18 once it began (recall's ceiling), and the median days to the first
    concern from the first sign of any kind and from the first sign particular to exploitation (the
    lead of a rule that flagged every child at that moment). Read from the events as the last
    evaluation prepared them (``cev``: up to the end of the period, under 18 only)."""
    import statistics

    from safeguarding.earlywarning.evaluation import true_person_number

    exploited = {true_person_number(t): value for t, value in truth.exploited.items()}
    first_any: dict[int, Any] = {}
    first_specific: dict[int, Any] = {}
    for person_id, event_type, ts in con.execute("SELECT person_id, event_type, ts FROM cev").fetchall():
        if event_type in NOT_SIGNS or person_id not in exploited or ts.date() < exploited[person_id][0]:
            continue
        day = ts.date()
        first_any[person_id] = min(first_any.get(person_id, day), day)
        if event_type in SPECIFIC:
            first_specific[person_id] = min(first_specific.get(person_id, day), day)

    def lead(firsts: dict[int, Any]) -> float | None:
        days = [(exploited[p][1] - day).days for p, day in firsts.items() if exploited[p][1] is not None]
        return statistics.median(days) if days else None

    return {"recall_ceiling": round(len(first_any) / len(exploited), 4) if exploited else None,
            "lead_first_sign": lead(first_any), "lead_first_specific_sign": lead(first_specific)}


def _fmt(q: dict[str, Any]) -> str:
    lead = q["median_lead_days"]
    return (f"{q['flagged_children']:>7,} flagged  {q['flagged_correct']:>6,} exploited  "
            f"precision {q['precision']:.3f}  recall {q['recall']:.3f} ({q['flagged_exploited']:,}/{q['exploited']:,})  "
            f"median lead {'-' if lead is None else f'{lead:.0f}'} d")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variants", default="default,other-reasons,rarely-missing,independent-style")
    parser.add_argument("--children", type=int, default=20_000)
    parser.add_argument("--seeds", default="20261122,7,42")
    parser.add_argument("--sets", default="before,shipped")
    parser.add_argument("--json", type=Path, default=None, help="also write every figure here")
    parser.add_argument("--keep", type=Path, default=None, help="keep the generated partnerships under this folder")
    args = parser.parse_args(argv)
    django_ready()
    sets = args.sets.split(",")
    results = []
    for variant in args.variants.split(","):
        for seed in (int(s) for s in args.seeds.split(",")):
            keep = args.keep / f"{variant}-{seed}" if args.keep else None
            run = measure(variant, args.children, seed, sets, keep)
            results.append(run)
            print(f"\n== {variant}, {args.children:,} children, seed {seed}: {run['events']:,} events, "
                  f"{run['exploited']:,} exploited ({run['seconds']})", flush=True)
            b = run["bounds"]
            print(f"  bounds     recall at most {b['recall_ceiling']:.3f} (children with a sign while under 18); "
                  f"median lead if flagged at the first sign {b['lead_first_sign']} d, "
                  f"at the first sign particular to exploitation {b['lead_first_specific_sign']} d")
            for name in sets:
                figures = run["sets"][name]
                print(f"  {name:<10} {_fmt(figures['overall'])}   ({figures['seconds']} s)")
                for code, q in sorted(figures["rules"].items()):
                    print(f"      {code:<36} {_fmt(q)}")
            if args.json:
                args.json.write_text(json.dumps(results, indent=1), encoding="utf-8")
    print("\n== worst case over variants and seeds")
    for name in sets:
        overall = [r["sets"][name]["overall"] for r in results]
        leads = [q["median_lead_days"] for q in overall if q["median_lead_days"] is not None]
        print(f"  {name:<10} precision min {min(q['precision'] for q in overall):.3f} "
              f"(mean {statistics.mean(q['precision'] for q in overall):.3f})  "
              f"recall min {min(q['recall'] for q in overall):.3f}  "
              f"median lead min {min(leads) if leads else '-'} d  "
              f"flagged max {max(q['flagged_children'] for q in overall):,}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
