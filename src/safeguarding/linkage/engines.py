"""The SQL engines Splink runs on: in-process DuckDB by default, Spark (local mode here) for scale-out."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import duckdb
from splink.internals.database_api import DatabaseAPI

from safeguarding.linkage.base import ENGINES, LinkageSettings


def duckdb_connection(settings: LinkageSettings) -> duckdb.DuckDBPyConnection:
    """A fresh in-memory DuckDB with the run's memory cap, so a million-record run stays inside a small
    machine and spills to disk rather than failing."""
    con = duckdb.connect(":memory:")
    con.execute(f"SET memory_limit = '{_quote(settings.duckdb_memory_limit)}'")
    if settings.duckdb_threads:
        con.execute(f"SET threads = {int(settings.duckdb_threads)}")
    temp = settings.duckdb_temp_directory or tempfile.gettempdir()
    con.execute(f"SET temp_directory = '{_quote(temp)}'")
    con.execute("SET preserve_insertion_order = false")  # lets DuckDB stream large results with less memory
    return con


def _quote(text: str) -> str:
    return text.replace("'", "''")


_spark_checkpoints: tempfile.TemporaryDirectory[str] | None = None
# The driver's Java options the hub sets: Spark's own log at warnings and above. A partnership's
# ``spark.driver.extraJavaOptions`` (``LinkageSettings.spark_conf``) replaces them: one that adds its
# own restates these.
DRIVER_JAVA_OPTIONS = "-Dlog4j2.level=warn"


def spark_session(settings: LinkageSettings) -> Any:
    """The active Spark session, or a local one with Splink's similarity functions (a jar shipped inside the
    splink package) on its class path. Spark 4 needs Java 17 or later on the PATH."""
    global _spark_checkpoints
    from pyspark.sql import SparkSession
    from splink.backends.spark import similarity_jar_location

    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    builder = (
        SparkSession.builder.master(settings.spark_master)
        .appName("safeguarding-linkage")
        .config("spark.jars", similarity_jar_location())
        .config("spark.driver.memory", settings.spark_driver_memory)
        .config("spark.sql.shuffle.partitions", str(settings.spark_shuffle_partitions))
        .config("spark.default.parallelism", str(settings.spark_shuffle_partitions))
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.driver.extraJavaOptions", DRIVER_JAVA_OPTIONS)
    )
    for key, value in settings.spark_conf.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    if _spark_checkpoints is None:
        _spark_checkpoints = tempfile.TemporaryDirectory(prefix="linkage-spark-")
    spark.sparkContext.setCheckpointDir(_spark_checkpoints.name)
    return spark


@contextmanager
def database(engine: str, settings: LinkageSettings) -> Iterator[DatabaseAPI[Any]]:
    """A Splink database API for the engine, closed (DuckDB) or cleaned of Splink's tables (Spark) after use."""
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}: use one of {', '.join(ENGINES)}")
    if engine == "duckdb":
        from splink import DuckDBAPI

        con = duckdb_connection(settings)
        try:
            yield DuckDBAPI(connection=con)
        finally:
            con.close()
        return
    from splink import SparkAPI

    spark = spark_session(settings)
    # persist keeps intermediate tables in Spark's memory/disk cache: right for local mode; a cluster would
    # rather checkpoint to parquet (break_lineage_method="parquet").
    db_api = SparkAPI(spark_session=spark, break_lineage_method="persist",
                      num_partitions_on_repartition=settings.spark_shuffle_partitions)
    try:
        yield db_api
    finally:
        spark.catalog.clearCache()
