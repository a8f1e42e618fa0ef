"""Fixtures for the linkage tests: small synthetic partnerships with known truth and a model trained on one."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from django.core.management import call_command
from django.test import override_settings

from safeguarding.linkage.base import INPUT_COLUMNS, LinkageSettings
from safeguarding.linkage.model import TrainedModel, train_model
from safeguarding.linkage.models import MatchReview
from safeguarding.linkage.synthetic import SyntheticPartnership
from safeguarding.people.models import LinkMethod, Person, SourceRecord

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


@pytest.fixture(scope="module")
def linked_demo_once(
    django_db_setup: None, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Path, Path]]:
    """The demo partnership generated, imported and linked once for a test module
    (test_on_the_linked_demo.py: its tests are in one module so that it is built once), committed to the
    test database (each test then runs in a transaction rolled back after it), and cleared after the
    module. With it, the linkage store the link left behind."""
    out, store = tmp_path_factory.mktemp("demo"), tmp_path_factory.mktemp("demo-linkage-store")
    with django_db_blocker.unblock(), override_settings(LINKAGE_STORE_DIR=store):
        call_command("demo", children=150, out=out, quiet=True)  # generates, imports and links
    yield out, store
    with django_db_blocker.unblock():
        call_command("flush", interactive=False, verbosity=0)


@pytest.fixture
def linked_demo(linked_demo_once: tuple[Path, Path], db: None) -> Path:
    """The demo linked once (``linked_demo_once``), and its linkage store as this test's own copy, so a
    test's run compares only what the test changed."""
    from django.conf import settings

    out, store = linked_demo_once
    shutil.copytree(store, settings.LINKAGE_STORE_DIR, dirs_exist_ok=True)
    return out


def linked_pair() -> tuple[SourceRecord, SourceRecord]:
    person = (
        Person.objects.filter(source_records__link_method=LinkMethod.MODEL, merged_into__isnull=True)
        .order_by("pk")
        .first()
    )
    assert person is not None
    left, right = SourceRecord.objects.filter(person=person).order_by("pk")[:2]
    return left, right


def pending_review(left: SourceRecord, right: SourceRecord) -> MatchReview:
    from safeguarding.linkage.models import LinkageRun

    return MatchReview.objects.create(
        record_l=left,
        record_r=right,
        match_probability=0.9,
        match_weight=3.2,
        explanation=[{"comparison": "prior", "label": "prior", "match_weight": -8.0, "status": "prior"}],
        run=LinkageRun.objects.latest("pk"),
    )
