"""Benchmark: the linkage pipeline at a million records: seconds and memory per stage, against bare Splink.

    .venv/bin/python bench/bench_linkage_scale.py [--records 1000000] [--work /tmp/linkage-scale] [--engine duckdb]

Generates about --records people rows with the demo generator and normalises them (in a child process, not
measured), then in this process measures the hub pipeline's stages (prepare, train, predict, cluster) and
then bare Splink on the same prepared table and trained model: linker.inference.predict plus
linker.clustering.cluster_pairwise_predictions_at_threshold, without the pipeline's own work (preparing
records, turning match weights into explainable levels, Arrow output, constrained clustering).

Memory: peak RSS (ru_maxrss, whole process) and the highest RSS sampled every 50 ms during each stage.
"""

from __future__ import annotations

import argparse
import gc
import multiprocessing
import os
import resource
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parent))

_PAGE = os.sysconf("SC_PAGE_SIZE")


def rss_mib() -> float:
    with open("/proc/self/statm", encoding="ascii") as statm:
        return int(statm.read().split()[1]) * _PAGE / 2**20


class RssSampler:
    """The highest resident set size seen since the last reset, sampled on a thread."""

    def __init__(self, interval: float = 0.05) -> None:
        self.interval = interval
        self.peak = rss_mib()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.peak = max(self.peak, rss_mib())

    def reset(self) -> None:
        self.peak = rss_mib()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


@contextmanager
def stage(name: str, sampler: RssSampler, figures: dict[str, tuple[float, float]]) -> Iterator[None]:
    gc.collect()
    sampler.reset()
    started = time.perf_counter()
    yield
    seconds = time.perf_counter() - started
    sampler.peak = max(sampler.peak, rss_mib())
    figures[name] = (seconds, sampler.peak)
    print(f"  {name:<28} {seconds:8.1f} s   peak RSS {sampler.peak:8.0f} MiB", file=sys.stderr, flush=True)


def _make_records(records: int, work: Path, seed: int) -> None:
    """Generate and normalise (run in a child process so its memory does not count)."""
    from bench_linkage_synthetic import load_people
    from django_setup import django_ready

    django_ready()  # the demo generator reads the exchange format's vocabularies from the hub's models
    from safeguarding.demo.generator import generate_partnership

    extract = work / "partnership"
    if not (extract / "extract" / "people.csv").exists():
        generate_partnership(extract, target_records=records, seed=seed)
    table, truth = load_people(extract / "extract" / "people.csv", extract / "truth" / "persons.csv")
    pq.write_table(table, work / "records.parquet")
    ids = table.column("unique_id")
    pq.write_table(pa.table({"unique_id": ids, "true_person_id": [truth[i] for i in ids.to_pylist()]}),
                   work / "truth.parquet")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000, help="people rows to generate")
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "linkage-scale",
                        help="folder for the generated extract and normalised records (reused if present)")
    parser.add_argument("--seed", type=int, default=20251122)
    parser.add_argument("--engine", choices=("duckdb", "spark"), default="duckdb")
    parser.add_argument("--no-bare", action="store_true", help="skip the bare Splink comparison")
    parser.add_argument("--no-quality", action="store_true", help="skip scoring against the truth")
    args = parser.parse_args(argv)

    args.work.mkdir(parents=True, exist_ok=True)
    if not (args.work / "records.parquet").exists():
        print(f"generating and normalising about {args.records:,} people rows in {args.work} ...", file=sys.stderr)
        started = time.perf_counter()
        child = multiprocessing.get_context("spawn").Process(target=_make_records,
                                                             args=(args.records, args.work, args.seed))
        child.start()
        child.join()
        if child.exitcode != 0:
            return child.exitcode or 1
        print(f"  generated in {time.perf_counter() - started:.0f} s", file=sys.stderr)

    from splink import DuckDBAPI, Linker

    from safeguarding.linkage.cluster import cluster, identifier_values, numbers_of_one_person
    from safeguarding.linkage.engines import duckdb_connection
    from safeguarding.linkage.model import _SPLINK_LOG_LEVEL, splink_settings, train_model
    from safeguarding.linkage.pipeline import LinkageSettings, review_pairs
    from safeguarding.linkage.prepare import prepare_in
    from safeguarding.linkage.scoring import predict_pairs

    records = pq.read_table(args.work / "records.parquet")
    settings = LinkageSettings()
    figures: dict[str, tuple[float, float]] = {}
    baseline = rss_mib()
    sampler = RssSampler()
    print(f"{records.num_rows:,} records on {args.engine}; RSS before linkage {baseline:.0f} MiB", file=sys.stderr)

    with stage("prepare", sampler, figures), duckdb.connect() as con:
        prepared = prepare_in(con, records, settings)
    with stage("train", sampler, figures):
        model = train_model(records, settings=settings, engine=args.engine, prepared=prepared)
    with stage("predict", sampler, figures):
        pairs = predict_pairs(records, model, settings=settings, engine=args.engine, prepared=prepared.table)
    with stage("cluster", sampler, figures):
        identifiers = numbers_of_one_person(identifier_values(records), settings.max_records_per_identifier)
        clusters = cluster(pairs, prepared.table.column("unique_id"), threshold=settings.upper_threshold,
                           identifiers=identifiers)
        review = review_pairs(pairs, clusters, settings=settings)
    hub_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    bare_pairs = bare_clusters = 0
    if not args.no_bare and args.engine == "duckdb":
        con = duckdb_connection(settings)
        db_api = DuckDBAPI(connection=con)
        settings_dict = splink_settings(settings, "duckdb", model=model)
        with stage("bare Splink predict", sampler, figures):
            # Registering the table and building the linker count here, as they do in predict_pairs.
            linker = Linker(db_api.register(prepared.table), settings_dict, log_level=_SPLINK_LOG_LEVEL)
            df_predict = linker.inference.predict(threshold_match_probability=settings.min_pair_probability,
                                                  warning_mode="never")
            bare_pairs = con.sql(f"select count(*) from {df_predict.physical_name}").fetchall()[0][0]  # noqa: S608
        with stage("bare Splink cluster", sampler, figures):
            df_clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
                df_predict, threshold_match_probability=settings.upper_threshold)
            bare_clusters = con.sql(
                f"select count(distinct cluster_id) from {df_clusters.physical_name}").fetchall()[0][0]  # noqa: S608
        con.close()
    sampler.stop()
    total_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    hub = {k: v for k, v in figures.items() if not k.startswith("bare")}
    hub_seconds = sum(s for s, _ in hub.values())
    print(f"\nlinkage at scale: {records.num_rows:,} records, engine {args.engine}, {os.cpu_count()} cores")
    for name, (seconds, peak) in figures.items():
        print(f"{name + ' seconds':<32}{seconds:>10.1f}   peak RSS sampled {peak:>7.0f} MiB")
    print(f"{'hub pipeline total seconds':<32}{hub_seconds:>10.1f}   (target <= 180)")
    print(f"{'RSS before linkage MiB':<32}{baseline:>10.0f}")
    print(f"{'hub pipeline peak RSS MiB':<32}{hub_peak:>10.0f}   (ru_maxrss; target <= 4096)")
    print(f"{'process peak RSS MiB':<32}{total_peak:>10.0f}   (ru_maxrss, including bare Splink)")
    print(f"{'pairs scored >= min prob':<32}{pairs.num_rows:>10,}")
    print(f"{'persons':<32}{len(set(clusters.column('cluster_id').to_pylist())):>10,}")
    print(f"{'review pairs':<32}{review.num_rows:>10,}")
    if "bare Splink predict" in figures:
        bare = figures["bare Splink predict"][0] + figures["bare Splink cluster"][0]
        ours = figures["predict"][0] + figures["cluster"][0]
        print(f"{'bare Splink pairs':<32}{bare_pairs:>10,}")
        print(f"{'bare Splink persons':<32}{bare_clusters:>10,}")
        print(f"{'bare predict+cluster seconds':<32}{bare:>10.1f}")
        print(f"{'hub predict+cluster seconds':<32}{ours:>10.1f}")
        print(f"{'ratio hub / bare':<32}{ours / bare:>10.2f}   (target <= 1.3)")
        print(f"{'ratio incl. prepare':<32}{(ours + figures['prepare'][0]) / bare:>10.2f}")
    if not args.no_quality:
        from bench_linkage_synthetic import scores

        truth_table = pq.read_table(args.work / "truth.parquet")
        truth = dict(zip(truth_table.column("unique_id").to_pylist(),
                         truth_table.column("true_person_id").to_pylist(), strict=True))
        quality = scores(clusters, truth)
        print(f"{'pairwise precision':<32}{quality['pairwise_precision']:>10.4f}")
        print(f"{'pairwise recall':<32}{quality['pairwise_recall']:>10.4f}")
        print(f"{'pairwise F1':<32}{quality['pairwise_f1']:>10.4f}")
        print(f"{'B-cubed F1':<32}{quality['bcubed_f1']:>10.4f}")
    print(f"{'model version':<32}{model.version:>10}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
