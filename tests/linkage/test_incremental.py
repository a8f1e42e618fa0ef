"""A run compares only the records that changed since the last one, and finds exactly what comparing
every record would find."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from safeguarding.linkage.base import LinkageSettings
from safeguarding.linkage.incremental import CACHE_FILE
from safeguarding.linkage.model import TrainedModel
from safeguarding.linkage.pipeline import LinkageResult, link

SHARED_PHONE = "07700 900123"


def _sorted_pairs(result: LinkageResult) -> pa.Table:
    pairs = result.pairs.select([c for c in result.pairs.column_names if not c.startswith("label_")])
    return pairs.sort_by([("unique_id_l", "ascending"), ("unique_id_r", "ascending")])


def _persons(result: LinkageResult) -> set[frozenset[int]]:
    groups: dict[int, set[int]] = {}
    for uid, cluster in zip(result.clusters.column("unique_id").to_pylist(),
                            result.clusters.column("cluster_id").to_pylist(), strict=True):
        groups.setdefault(cluster, set()).add(uid)
    return {frozenset(g) for g in groups.values()}


def _assert_same_as_comparing_everything(result: LinkageResult, records: pa.Table, model: TrainedModel,
                                         settings: LinkageSettings) -> None:
    everything = link(records, settings=settings, model=model)
    assert result.pairs.num_rows == everything.pairs.num_rows
    assert _sorted_pairs(result).equals(_sorted_pairs(everything))
    assert _persons(result) == _persons(everything)
    assert result.review.num_rows == everything.review.num_rows


def _relink(records: pa.Table, model: TrainedModel, settings: LinkageSettings, store: Path, *,
            compared: int) -> LinkageResult:
    """Link again with the store, check how many records were compared, and that the result is what
    comparing every record finds."""
    result = link(records, settings=settings, model=model, store=store)
    assert result.compared == compared
    _assert_same_as_comparing_everything(result, records, model, settings)
    return result


def _with_phone(records: pa.Table, ids: list[int], phone: str) -> pa.Table:
    rows = records.to_pylist()
    for row in rows:
        if row["unique_id"] in ids:
            row["phones"] = phone
    return pa.Table.from_pylist(rows, schema=records.schema)


@pytest.fixture
def limited(settings: LinkageSettings) -> LinkageSettings:
    """A phone held by more than three records is set aside: small enough for a test to cross."""
    return replace(settings, max_records_per_identifier=3)


def test_a_run_after_a_new_extract_compares_only_what_changed_and_finds_the_same(
    background: tuple[pa.Table, dict[int, int]], model: TrainedModel, limited: LinkageSettings, tmp_path: Path,
) -> None:
    records = _with_phone(background[0], [1, 2, 3], SHARED_PHONE)  # three records: still evidence
    first = link(records, settings=limited, model=model, store=tmp_path)
    assert first.compared == records.num_rows
    assert (tmp_path / CACHE_FILE).exists()

    # The next extract: a record moves house, one has a typo put right, one is withdrawn, one is new,
    # and a fourth record takes the phone, which makes it a shared number for all four.
    rows = records.to_pylist()
    by_id = {row["unique_id"]: row for row in rows}
    by_id[10]["address"], by_id[10]["postcode"] = "1 New Street, Rotherham", "S60 1AA"
    by_id[11]["given_name"] = (by_id[11]["given_name"] or "") + "e"
    by_id[4]["phones"] = SHARED_PHONE
    new = dict(by_id[20], unique_id=999_001, record_id="NEW-1", source_system="police")
    rows = [row for row in rows if row["unique_id"] != 12] + [new]
    after = pa.Table.from_pylist(rows, schema=records.schema)

    # The 4 changed (10, 11, 4 and the new one) and the 3 others holding the newly shared phone.
    _relink(after, model, limited, tmp_path, compared=7)

    # The phone stops being shared when one holder changes number: the others are compared again.
    _relink(_with_phone(after, [4], ""), model, limited, tmp_path, compared=4)


def test_nothing_changed_means_nothing_compared(
    background: tuple[pa.Table, dict[int, int]], model: TrainedModel, settings: LinkageSettings, tmp_path: Path,
) -> None:
    records = background[0]
    link(records, settings=settings, model=model, store=tmp_path)
    _relink(records, model, settings, tmp_path, compared=0)


def test_a_record_withdrawn_takes_its_pairs_with_it(
    background: tuple[pa.Table, dict[int, int]], model: TrainedModel, limited: LinkageSettings, tmp_path: Path,
) -> None:
    records = _with_phone(background[0], [1, 2, 3, 4], SHARED_PHONE)  # four records: set aside
    link(records, settings=limited, model=model, store=tmp_path)
    # Record 4 leaves the hub: nothing changed, but the phone is evidence again for the other three.
    fewer = records.filter(pc.not_equal(records.column("unique_id"), 4))
    _relink(fewer, model, limited, tmp_path, compared=3)
    # And one more record withdrawn, with no identifier crossing the limit: nothing is compared.
    _relink(fewer.filter(pc.not_equal(fewer.column("unique_id"), 30)), model, limited, tmp_path, compared=0)


def test_a_change_of_model_settings_or_store_means_comparing_everything(
    background: tuple[pa.Table, dict[int, int]], model: TrainedModel, settings: LinkageSettings, tmp_path: Path,
) -> None:
    records = background[0]
    n = records.num_rows
    link(records, settings=settings, model=model, store=tmp_path)
    # A setting that changes scores: everything again. A threshold (applied after scoring) does not.
    assert link(records, settings=replace(settings, min_pair_probability=0.6), model=model,
                store=tmp_path).compared == n
    assert link(records, settings=replace(settings, min_pair_probability=0.6, upper_threshold=0.9), model=model,
                store=tmp_path).compared == 0
    # Another model.
    other = replace(model, version=model.version + "-other")
    assert link(records, settings=settings, model=other, store=tmp_path).compared == n
    # Asked to.
    assert link(records, settings=settings, model=other, store=tmp_path, compare_all=True).compared == n
    # A damaged store is set aside, and the run writes a good one.
    (tmp_path / CACHE_FILE).write_bytes(b"not a database")
    assert link(records, settings=settings, model=other, store=tmp_path).compared == n
    assert link(records, settings=settings, model=other, store=tmp_path).compared == 0


def test_when_much_has_changed_everything_is_compared(
    background: tuple[pa.Table, dict[int, int]], model: TrainedModel, settings: LinkageSettings, tmp_path: Path,
) -> None:
    records = background[0]
    link(records, settings=settings, model=model, store=tmp_path)
    half = records.filter(pc.less_equal(records.column("unique_id"), records.num_rows // 2))
    _relink(half, model, settings, tmp_path, compared=half.num_rows)



def test_a_store_that_cannot_be_written_never_stops_a_run(
    background: tuple[pa.Table, dict[int, int]], model: TrainedModel, settings: LinkageSettings, tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    records = background[0]
    not_a_folder = tmp_path / "store"
    not_a_folder.write_text("a file where the store's folder should be")
    result = link(records, settings=settings, model=model, store=not_a_folder)
    assert result.compared == records.num_rows
    assert result.pairs.num_rows > 0
    assert "could not keep this run's pairs" in caplog.text
    assert not list(tmp_path.glob("**/*.partial"))


def test_a_store_that_fails_half_written_leaves_the_last_one_whole(
    background: tuple[pa.Table, dict[int, int]], model: TrainedModel, settings: LinkageSettings, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from safeguarding.linkage import incremental

    records = background[0]
    link(records, settings=settings, model=model, store=tmp_path)
    before = (tmp_path / CACHE_FILE).read_bytes()

    def disk_full(*args: object) -> None:
        raise OSError("No space left on device")

    monkeypatch.setattr(incremental, "_insert_shared", disk_full)
    result = link(records, settings=settings, model=model, store=tmp_path, compare_all=True)
    assert result.compared == records.num_rows
    assert (tmp_path / CACHE_FILE).read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [CACHE_FILE]
    monkeypatch.undo()
    _relink(records, model, settings, tmp_path, compared=0)
