"""Benchmark: the hub's whole `safeguarding link` at a million source records on SQLite, against bare Splink.

    .venv/bin/python bench/bench_hub_link_scale.py [--records 1000000] [--work /tmp/hub-link-scale]
                                                   [--extract FOLDER] [--runs 2]

Generates about --records people rows with the demo generator (or takes --extract, a folder holding
people.csv), imports the people file into a SQLite hub under a temporary SAFEGUARDING_DATA_DIR in
--work (kept as a snapshot there, so a second invocation starts from the same imported state), then
in this process:

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
import gc
import os
import resource
import shutil
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

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


def _timed_run(label: str, sampler: RssSampler) -> tuple[float, float, dict[str, float], dict[str, int]]:
    from safeguarding.linkage.services import linkage_run

    gc.collect()
    sampler.reset()
    started = time.perf_counter()
    result = linkage_run(initiated_by=f"bench: {label}")
    seconds = time.perf_counter() - started
    peak = max(sampler.peak, rss_mib())
    print(f"  {label:<24} {seconds:7.1f} s  peak RSS {peak:6.0f} MiB  "
          + ", ".join(f"{k} {v:.1f}" for k, v in result.timings.items()), file=sys.stderr, flush=True)
    return seconds, peak, dict(result.timings), dict(result.counts)


def _bare_splink(sampler: RssSampler) -> tuple[float, float, float, int, int]:
    """Bare Splink predict + cluster on the same records (prepared as the hub prepares them) and the
    saved model. Preparing is not timed: bare Splink needs its input columns made somehow."""
    from splink import DuckDBAPI, Linker

    from safeguarding.linkage.engines import duckdb_connection
    from safeguarding.linkage.model import _SPLINK_LOG_LEVEL, splink_settings
    from safeguarding.linkage.models import LinkageModelVersion
    from safeguarding.linkage.pipeline import model_from_json
    from safeguarding.linkage.prepare import prepare_records
    from safeguarding.linkage.services import linkage_settings, load_records

    settings = linkage_settings()
    model = model_from_json(LinkageModelVersion.objects.latest("trained_at").model_json)
    records, _ = load_records()
    prepared = prepare_records(records, settings)
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
    df_clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
        df_predict, threshold_match_probability=settings.upper_threshold)
    persons = con.sql(f"select count(distinct cluster_id) from {df_clusters.physical_name}").fetchall()[0][0]  # noqa: S608
    done = time.perf_counter()
    con.close()
    print(f"  {'bare Splink':<24} {done - started:7.1f} s  peak RSS {sampler.peak:6.0f} MiB  "
          f"predict {predicted - started:.1f}, cluster {done - predicted:.1f}", file=sys.stderr, flush=True)
    return predicted - started, done - predicted, sampler.peak, pairs, persons


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000, help="people rows to generate")
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "hub-link-scale",
                        help="folder for the extract and the imported database's snapshot (reused if present)")
    parser.add_argument("--extract", type=Path, default=None, help="a generated extract folder to use instead")
    parser.add_argument("--seed", type=int, default=20251122)
    parser.add_argument("--runs", type=int, default=2, help="linkage runs: the first trains, later ones reuse")
    args = parser.parse_args(argv)

    args.work.mkdir(parents=True, exist_ok=True)
    data_dir = Path(tempfile.mkdtemp(prefix="data-", dir=args.work))
    os.environ["SAFEGUARDING_DATA_DIR"] = str(data_dir)
    os.environ.pop("DATABASE_URL", None)
    os.environ["DJANGO_SETTINGS_MODULE"] = "safeguarding.config.settings"
    import django

    django.setup()
    try:
        records, import_seconds = _prepare_database(args, data_dir)
        how = f"imported in {import_seconds:.0f} s" if import_seconds else "restored from the snapshot"
        print(f"{records:,} source records in SQLite ({how})", file=sys.stderr)
        sampler = RssSampler()
        runs = [_timed_run("first run (trains)" if n == 0 else f"run {n + 1} (saved model)", sampler)
                for n in range(args.runs)]
        bare_predict, bare_cluster, bare_peak, bare_pairs, bare_persons = _bare_splink(sampler)
        sampler.stop()
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
    bare = bare_predict + bare_cluster
    process_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    print(f"\nthe hub's `link` at scale: {records:,} source records, SQLite, DuckDB, {os.cpu_count()} cores, "
          f"load average {os.getloadavg()[0]:.1f}")
    for n, (seconds, peak, timings, counts) in enumerate(runs):
        label = "first run (trains)" if n == 0 else f"run {n + 1} (saved model)"
        stages = ", ".join(f"{k} {v:.1f}" for k, v in timings.items())
        print(f"{label:<26}{seconds:>8.1f} s   peak RSS {peak:>6.0f} MiB   ({stages})")
        print(f"{'':<26}records moved {counts['records_moved']:,}, persons {counts['persons']:,}, "
              f"review pairs {counts['review_pairs']:,}, flagged {counts['shared_identifiers_flagged']:,}")
    print(f"{'bare Splink':<26}{bare:>8.1f} s   peak RSS {bare_peak:>6.0f} MiB   "
          f"(predict {bare_predict:.1f}, cluster {bare_cluster:.1f}; {bare_pairs:,} pairs, {bare_persons:,} persons)")
    for n, (seconds, _, timings, _) in enumerate(runs):
        label = "first run" if n == 0 else f"run {n + 1}"
        without_training = seconds - timings.get("train", 0.0)
        print(f"{'ratio ' + label + ' / bare':<26}{seconds / bare:>8.2f}   without training "
              f"{without_training / bare:.2f}   (target <= 1.3)")
    print(f"{'process peak RSS MiB':<26}{process_peak:>8.0f}   (ru_maxrss; target <= 4096)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
