"""The Spark engine (local mode) gives the same persons as DuckDB with the same model."""

from __future__ import annotations

import shutil

import pytest

from safeguarding.linkage.base import LinkageSettings
from safeguarding.linkage.engines import database
from safeguarding.linkage.model import TrainedModel
from safeguarding.linkage.pipeline import link
from safeguarding.linkage.synthetic import SyntheticPartnership


def test_unknown_engine_is_refused(settings: LinkageSettings) -> None:
    with pytest.raises(ValueError, match="unknown engine"), database("sqlite", settings):
        pass


@pytest.mark.skipif(shutil.which("java") is None, reason="Spark needs Java 17+ on the PATH")
def test_spark_gives_the_same_persons_and_pairs_as_duckdb(model: TrainedModel, settings: LinkageSettings) -> None:
    pytest.importorskip("pyspark")
    records, _ = SyntheticPartnership(80, seed=9).records()  # about 200 records: Spark's start-up dominates

    on_duckdb = link(records, settings=settings, model=model, engine="duckdb")
    on_spark = link(records, settings=settings, model=model, engine="spark")

    assert on_spark.clusters.equals(on_duckdb.clusters)
    columns = ["unique_id_l", "unique_id_r"] + [c for c in on_duckdb.pairs.column_names if c.startswith("gamma_")]
    assert on_spark.pairs.select(columns).equals(on_duckdb.pairs.select(columns))
    spark_p = on_spark.pairs.column("match_probability").to_pylist()
    duckdb_p = on_duckdb.pairs.column("match_probability").to_pylist()
    assert spark_p == pytest.approx(duckdb_p, abs=1e-9)
