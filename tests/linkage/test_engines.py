"""The Spark engine, in local mode and on a standalone cluster, gives the same persons as DuckDB with the same
model."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import pytest
from django.test import override_settings

from safeguarding.linkage.base import LinkageSettings
from safeguarding.linkage.engines import DRIVER_JAVA_OPTIONS, database
from safeguarding.linkage.model import TrainedModel
from safeguarding.linkage.pipeline import link
from safeguarding.linkage.services import linkage_settings
from safeguarding.linkage.synthetic import SyntheticPartnership

# The engines read no database (the records come as an Arrow table): side by side, make test runs them
# on its SQLite run only, as every test that reaches no database (tests/conftest.py).


def test_unknown_engine_is_refused(settings: LinkageSettings) -> None:
    with pytest.raises(ValueError, match="unknown engine"), database("sqlite", settings):
        pass


@pytest.mark.skipif(shutil.which("java") is None, reason="Spark needs Java 17+ on the PATH")
def test_a_spark_standalone_cluster_gives_the_same_persons_pairs_and_probabilities_as_duckdb(
    model: TrainedModel, tmp_path: Path
) -> None:
    """Not local mode: a master and a worker started here on loopback, the partnership's settings pointing
    the run at the master, and the work done by the worker's executor (README: On a partnership's Spark
    cluster). Local mode (``LINKAGE_SPARK_MASTER`` left at ``local[*]``) runs the same code with the tasks in
    the driver: it is not started again here, as each Spark start-up costs a minute of the suite."""
    import pyspark

    from tests.linkage.spark_cluster import QUICK_JVM, standalone_cluster

    records, _ = SyntheticPartnership(80, seed=9).records()
    active = pyspark.sql.SparkSession.getActiveSession()
    if active is not None:
        active.stop()  # a local-mode session from an earlier test would otherwise be reused
    with standalone_cluster(tmp_path) as master:
        with override_settings(LINKAGE_SPARK_MASTER=master, LINKAGE_SPARK_DRIVER_MEMORY="1g",
                               LINKAGE_SPARK_PARTITIONS=4):
            chosen = linkage_settings()
        # What a partnership puts in spark-defaults.conf: how the executors reach the hub, what the run may take.
        on_cluster = replace(chosen, spark_conf={
            "spark.driver.host": "127.0.0.1", "spark.driver.bindAddress": "127.0.0.1",
            "spark.executor.memory": "768m", "spark.cores.max": "1",
            # (the test's JVMs compile quickly: tests/linkage/spark_cluster.py)
            "spark.driver.extraJavaOptions": f"{DRIVER_JAVA_OPTIONS} {QUICK_JVM}",
            "spark.executor.extraJavaOptions": QUICK_JVM})
        try:
            on_spark = link(records, settings=on_cluster, model=model, engine="spark")
            spark = pyspark.sql.SparkSession.getActiveSession()
            assert spark is not None and spark.sparkContext.master == master
            # The driver and one executor on the worker, which ran the tasks.
            block_managers = spark.sparkContext._jsc.sc().getExecutorMemoryStatus().size()
        finally:
            active = pyspark.sql.SparkSession.getActiveSession()
            if active is not None:
                active.stop()
    on_duckdb = link(records, settings=on_cluster, model=model, engine="duckdb")

    assert block_managers == 2
    executor_logs = "".join(p.read_text(errors="replace") for p in (tmp_path / "work").glob("app-*/*/stderr"))
    assert "Finished task" in executor_logs
    assert on_spark.clusters.equals(on_duckdb.clusters)
    columns = ["unique_id_l", "unique_id_r"] + [c for c in on_duckdb.pairs.column_names if c.startswith("gamma_")]
    assert on_spark.pairs.select(columns).equals(on_duckdb.pairs.select(columns))
    spark_p = on_spark.pairs.column("match_probability").to_pylist()
    duckdb_p = on_duckdb.pairs.column("match_probability").to_pylist()
    assert spark_p == pytest.approx(duckdb_p, abs=1e-9)
