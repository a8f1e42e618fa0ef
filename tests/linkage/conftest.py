"""Fixtures for the linkage tests: small synthetic partnerships with known truth and a model trained on one."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pyarrow as pa
import pytest

from safeguarding.linkage.base import INPUT_COLUMNS, LinkageSettings
from safeguarding.linkage.model import TrainedModel, train_model
from safeguarding.linkage.synthetic import SyntheticPartnership

# Small samples for training keep each test run to seconds; the data is small enough for them to suffice.
FAST = LinkageSettings(max_pairs_for_u=3e5, max_pairs_for_em=1e5, min_pairs_for_em=20)


@pytest.fixture(scope="session")
def settings() -> LinkageSettings:
    return FAST


@pytest.fixture(scope="session")
def background() -> tuple[pa.Table, dict[int, int]]:
    """About a thousand records of 400 people, with households, twins, nicknames and typos."""
    return SyntheticPartnership(400, seed=5).records(first_id=1)


@pytest.fixture(scope="session")
def model(background: tuple[pa.Table, dict[int, int]], settings: LinkageSettings) -> TrainedModel:
    return train_model(background[0], settings=settings)


def record(uid: int, **fields: Any) -> dict[str, Any]:
    """A source record with every input column, empty unless given."""
    row: dict[str, Any] = dict.fromkeys(INPUT_COLUMNS, "")
    row.update(unique_id=uid, source_system=fields.pop("source_system", "council-social-care"),
               record_id=f"R{uid}", nhs_number_valid=False)
    row.update(fields)
    return row


@pytest.fixture(scope="session")
def with_records(background: tuple[pa.Table, dict[int, int]]) -> Callable[[list[dict[str, Any]]], pa.Table]:
    """The background records plus the given ones (unique_ids from 100000 up keep clear of the background)."""

    def combine(rows: list[dict[str, Any]]) -> pa.Table:
        extra = pa.Table.from_pylist(rows).select(list(INPUT_COLUMNS)).cast(background[0].schema)
        return pa.concat_tables([background[0], extra])

    return combine
