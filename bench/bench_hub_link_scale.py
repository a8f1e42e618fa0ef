"""Benchmark: the hub's whole `safeguarding link` at a million source records, against bare Splink.

    .venv/bin/python bench/bench_hub_link_scale.py [--records 1000000] [--work /tmp/hub-link-scale]
                                                   [--extract FOLDER] [--runs 2] [--changed 0.01] [--new 0.002]

Generates about --records people rows with the demo generator (or takes --extract, a folder holding
people.csv), imports the people file into a SQLite hub under a temporary SAFEGUARDING_DATA_DIR in
--work (kept as a snapshot there, so a second invocation starts from the same imported state), then
in this process. With --database-url postgres://... (an empty database), the people file is imported
into PostgreSQL instead, every time (no snapshot), and the runs read from there.

1. the first `linkage_run` (trains the model, links every record, writes persons: most records move);
2. further runs (the saved model; nothing changed since, as after a quiet night);
3. bare Splink on the same records and the saved model: `linker.inference.predict` plus
   `cluster_pairwise_predictions_at_threshold` on the prepared table, as bench_linkage_scale.py does.

The hub's figure is the whole run: load from the database, prepare, (train), predict, cluster,
shared-identifier check and apply (writing persons, history and the review queue). Memory: peak RSS
sampled every 50 ms during each run, and ru_maxrss of the whole process.
"""

from __future__ import annotations

import argparse
import csv
import gc
import os
import resource
import shutil
import sqlite3
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_linkage_scale import RssSampler, rss_mib


def _extract(args: argparse.Namespace) -> Path:
    """A folder holding only people.csv (events and relationships play no part in linkage)."""
    source = args.extract
    if source is None:
        source = args.work / "partnership" / "extract"
        if not (source / "people.csv").exists():
            from safeguarding.demo.generator import generate_partnership

            print(f"generating about {args.records:,} people rows in {source.parent} ...", file=sys.stderr)
            generate_partnership(source.parent, target_records=args.records, seed=args.seed)
    people = args.work / "people-only"
    people.mkdir(parents=True, exist_ok=True)
    link = people / "people.csv"
    if link.is_symlink() or link.exists():
        link.unlink()
    link.symlink_to((source / "people.csv").resolve())
    return people


def _prepare_database(args: argparse.Namespace, data_dir: Path) -> tuple[int, float | None]:
    """The hub's SQLite database with the people imported: restored from the snapshot, or imported now."""
    from django.core.management import call_command
    from django.db import connection

    from safeguarding.demo.partnership import demo_partnership_setup
    from safeguarding.exchange.importer import import_extract
    from safeguarding.people.models import SourceRecord

    if args.database_url:
        call_command("migrate", verbosity=0)
        demo_partnership_setup()
        started = time.perf_counter()
        result = import_extract(_extract(args))
        return result.counts["people.csv"].created, time.perf_counter() - started
    snapshot = args.work / "imported.sqlite3"
    database = data_dir / "safeguarding.sqlite3"
    if snapshot.exists():
        shutil.copyfile(snapshot, database)
        return SourceRecord.objects.count(), None
    call_command("migrate", verbosity=0)
    demo_partnership_setup()
    started = time.perf_counter()
    result = import_extract(_extract(args))
    seconds = time.perf_counter() - started
    connection.close()
    with sqlite3.connect(database) as source, sqlite3.connect(snapshot) as target:
        source.backup(target)
    return result.counts["people.csv"].created, seconds


def _timed_run(label: str, sampler: RssSampler, *, full: bool = False) -> tuple[float, float, dict[str, float], dict[str, int]]:
    from safeguarding.linkage.services import linkage_run

    gc.collect()
    sampler.reset()
    started = time.perf_counter()
    result = linkage_run(initiated_by=f"bench: {label}", full=full)
    seconds = time.perf_counter() - started
    peak = max(sampler.peak, rss_mib())
    print(f"  {label:<24} {seconds:7.1f} s  peak RSS {peak:6.0f} MiB  "
          + ", ".join(f"{k} {v:.1f}" for k, v in result.timings.items()), file=sys.stderr, flush=True)
    return seconds, peak, dict(result.timings), dict(result.counts)


def _new_extract(args: argparse.Namespace, extract: Path) -> tuple[Path, int, int]:
    """A next extract: some people rows changed (a move, a new phone, a name put right) and some new."""
    import random

    import pyarrow.csv as pacsv

    rng = random.Random(args.seed + 1)
    people = pacsv.read_csv(extract / "people.csv", convert_options=pacsv.ConvertOptions(
        column_types=_as_text(extract / "people.csv"), strings_can_be_null=False))
    rows = people.num_rows
    changed_rows = sorted(rng.sample(range(rows), int(rows * args.changed)))
    new_rows = rng.sample(range(rows), int(rows * args.new))
    address, postcode = people.column("address"), people.column("postcode")
    out = people.take(changed_rows).to_pylist()
    for n, row in enumerate(out):
        if n % 3 == 0:
            donor = rng.randrange(rows)
            row["address"], row["postcode"] = address[donor].as_py(), postcode[donor].as_py()
        elif n % 3 == 1:
            row["phone"] = f"07700 9{rng.randrange(100000):05d}"
        else:
            name = row["given_name"]
            row["given_name"] = name[:-1] if len(name) > 3 else name + "a"
        row["updated_at"] = "2026-11-22T09:00:00"
    for n, row in enumerate(people.take(new_rows).to_pylist()):
        row["record_id"] = f"NEXT-{n:07d}"
        row["updated_at"] = "2026-11-22T09:00:00"
        out.append(row)
    folder = args.work / "next-extract"
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "people.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=people.column_names)
        writer.writeheader()
        writer.writerows(out)
    return folder, len(changed_rows), len(new_rows)


def _as_text(path: Path) -> Any:
    """A CSV file's columns, every one read as text."""
    import pyarrow as pa

    with open(path, encoding="utf-8") as handle:
        header = next(csv.reader(handle))
    return pa.schema([(name, pa.string()) for name in header])


def _kept_pairs_match(bare_pairs: Any) -> str:
    """Whether the hub's kept pairs (after the run that compared only what changed) are bare Splink's."""
    import duckdb
    import numpy as np
    from django.conf import settings

    from safeguarding.core.arrow import arrow_table
    from safeguarding.linkage.incremental import CACHE_FILE

    with duckdb.connect(str(Path(settings.LINKAGE_STORE_DIR) / CACHE_FILE), read_only=True) as con:
        kept = arrow_table(con.sql("select unique_id_l, unique_id_r, match_weight from predictions"))
    order = [("unique_id_l", "ascending"), ("unique_id_r", "ascending")]
    kept, bare = kept.sort_by(order), bare_pairs.sort_by(order)
    if kept.num_rows != bare.num_rows:
        return f"DIFFERENT: {kept.num_rows:,} kept pairs, {bare.num_rows:,} from bare Splink"
    same_ids = all(kept.column(c).equals(bare.column(c)) for c in ("unique_id_l", "unique_id_r"))
    gap = float(np.max(np.abs(kept.column("match_weight").to_numpy() - bare.column("match_weight").to_numpy()))) \
        if kept.num_rows else 0.0
    verdict = "identical" if same_ids and gap < 1e-9 else "DIFFERENT"
    return f"{verdict}: {kept.num_rows:,} pairs, same ids {same_ids}, largest match-weight difference {gap:.1e}"


def _bare_splink(sampler: RssSampler) -> tuple[float, float, float, int, int, Any]:
    """Bare Splink predict + cluster on the same records (prepared as the hub prepares them) and the
    saved model. Preparing is not timed: bare Splink needs its input columns made somehow."""
    from splink import DuckDBAPI, Linker

    from safeguarding.core.arrow import arrow_table
    from safeguarding.linkage.engines import duckdb_connection
    from safeguarding.linkage.load import load_records
    from safeguarding.linkage.model import _SPLINK_LOG_LEVEL, splink_settings
    from safeguarding.linkage.models import LinkageModelVersion
    from safeguarding.linkage.pipeline import model_from_json
    from safeguarding.linkage.prepare import prepare_records
    from safeguarding.linkage.services import linkage_settings

    settings = linkage_settings()
    model = model_from_json(LinkageModelVersion.objects.latest("trained_at").model_json)
    records, _ = load_records()
    prepared = prepare_records(records, settings, frequencies=model.frequencies)  # the model's name counts
    del records
    gc.collect()
    con = duckdb_connection(settings)
    db_api = DuckDBAPI(connection=con)
    settings_dict = splink_settings(settings, "duckdb", model=model)
    sampler.reset()
    started = time.perf_counter()
    linker = Linker(db_api.register(prepared), settings_dict, log_level=_SPLINK_LOG_LEVEL)
    df_predict = linker.inference.predict(threshold_match_probability=settings.min_pair_probability,
                                          warning_mode="never")
    pairs = con.sql(f"select count(*) from {df_predict.physical_name}").fetchall()[0][0]  # noqa: S608
    predicted = time.perf_counter()
    pair_table = arrow_table(con.sql(f"select unique_id_l, unique_id_r, match_weight from {df_predict.physical_name}"))  # noqa: S608
    df_clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
        df_predict, threshold_match_probability=settings.upper_threshold)
    persons = con.sql(f"select count(distinct cluster_id) from {df_clusters.physical_name}").fetchall()[0][0]  # noqa: S608
    done = time.perf_counter()
    con.close()
    print(f"  {'bare Splink':<24} {done - started:7.1f} s  peak RSS {sampler.peak:6.0f} MiB  "
          f"predict {predicted - started:.1f}, cluster {done - predicted:.1f}", file=sys.stderr, flush=True)
    return predicted - started, done - predicted, sampler.peak, pairs, persons, pair_table


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000, help="people rows to generate")
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "hub-link-scale",
                        help="folder for the extract and the imported database's snapshot (reused if present)")
    parser.add_argument("--extract", type=Path, default=None, help="a generated extract folder to use instead")
    parser.add_argument("--seed", type=int, default=20251122)
    parser.add_argument("--runs", type=int, default=2, help="linkage runs: the first trains, later ones reuse")
    parser.add_argument("--database-url", default=None,
                        help="an empty PostgreSQL database to import into and link from, instead of SQLite")
    parser.add_argument("--changed", type=float, default=0.01, help="share of people rows the next extract changes")
    parser.add_argument("--new", type=float, default=0.002, help="new people rows in the next extract, as a share")
    args = parser.parse_args(argv)

    args.work.mkdir(parents=True, exist_ok=True)
    data_dir = Path(tempfile.mkdtemp(prefix="data-", dir=args.work))
    os.environ["SAFEGUARDING_DATA_DIR"] = str(data_dir)
    if args.database_url:
        os.environ["DATABASE_URL"] = args.database_url
    else:
        os.environ.pop("DATABASE_URL", None)
    engine = "PostgreSQL" if args.database_url else "SQLite"
    os.environ["DJANGO_SETTINGS_MODULE"] = "safeguarding.config.settings"
    import django

    django.setup()
    try:
        records, import_seconds = _prepare_database(args, data_dir)
        how = f"imported in {import_seconds:.0f} s" if import_seconds else "restored from the snapshot"
        print(f"{records:,} source records in {engine} ({how})", file=sys.stderr)
        sampler = RssSampler()
        runs = [(("first run (trains)" if n == 0 else f"run {n + 1} (nothing changed)"),
                 _timed_run("first run (trains)" if n == 0 else f"run {n + 1} (saved model)", sampler))
                for n in range(args.runs)]
        bare_before = _bare_splink(sampler)

        from safeguarding.exchange.importer import import_extract

        folder, changed, new = _new_extract(args, args.extract or args.work / "partnership" / "extract")
        started = time.perf_counter()
        imported = import_extract(folder, initiated_by="bench: next extract")
        import_seconds = time.perf_counter() - started
        counts = imported.counts["people.csv"]
        print(f"next extract: {changed:,} changed and {new:,} new people rows; imported in {import_seconds:.1f} s "
              f"({counts.created:,} created, {counts.updated:,} updated)", file=sys.stderr)
        runs.append(("after the next extract", _timed_run("after the next extract", sampler)))
        bare_after = _bare_splink(sampler)
        kept = _kept_pairs_match(bare_after[5])
        runs.append(("same data, full=True", _timed_run("same data, full=True", sampler, full=True)))
        sampler.stop()
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
    process_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    print(f"\nthe hub's `link` at scale: {records:,} source records, {engine}, DuckDB, {os.cpu_count()} cores, "
          f"load average {os.getloadavg()[0]:.1f}")
    for label, (seconds, peak, timings, counts_) in runs:
        stages = ", ".join(f"{k} {v:.1f}" for k, v in timings.items())
        print(f"{label:<26}{seconds:>8.1f} s   peak RSS {peak:>6.0f} MiB   ({stages})")
        print(f"{'':<26}records compared {counts_['records_compared']:,}, moved {counts_['records_moved']:,}, "
              f"persons {counts_['persons']:,}, review pairs {counts_['review_pairs']:,}, "
              f"flagged {counts_['shared_identifiers_flagged']:,}")
    for name, bare_run in (("bare Splink before", bare_before), ("bare Splink after", bare_after)):
        print(f"{name:<26}{bare_run[0] + bare_run[1]:>8.1f} s   peak RSS {bare_run[2]:>6.0f} MiB   "
              f"(predict {bare_run[0]:.1f}, cluster {bare_run[1]:.1f}; {bare_run[3]:,} pairs, {bare_run[4]:,} persons)")
    print(f"{'kept pairs vs bare Splink':<26}{kept}")
    for n, (label, (seconds, _, timings, _)) in enumerate(runs):
        bare_run = bare_before if n < args.runs else bare_after
        bare = bare_run[0] + bare_run[1]
        without_training = seconds - timings.get("train", 0.0)
        print(f"{'ratio ' + label:<34}{seconds / bare:>6.2f}   without training "
              f"{without_training / bare:.2f}   (target <= 1.3)")
    print(f"{'process peak RSS MiB':<26}{process_peak:>8.0f}   (ru_maxrss; target <= 4096)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
