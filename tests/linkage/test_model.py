"""Trained models: saved to JSON and loaded back, versioned, and refused against other comparisons."""

from __future__ import annotations

import json
from dataclasses import replace

import pyarrow as pa
import pytest

from safeguarding.linkage.base import LinkageSettings
from safeguarding.linkage.comparisons import SIMILAR_TWIN_ALLOWANCE, SIMILAR_TWIN_LABEL, SOUNDS_ALIKE_LABEL, TWIN_LABEL
from safeguarding.linkage.model import ModelMismatchError, TrainedModel, model_from_json, model_to_json, train_model
from safeguarding.linkage.scoring import predict_pairs


def test_saved_and_loaded_model_gives_identical_predictions(
    background: tuple[pa.Table, dict[int, int]], model: TrainedModel, settings: LinkageSettings
) -> None:
    text = model_to_json(model)
    loaded = model_from_json(text)

    assert loaded == model
    before = predict_pairs(background[0], model, settings=settings)
    after = predict_pairs(background[0], loaded, settings=settings)
    assert after.equals(before)


def test_model_json_is_readable_and_versioned(model: TrainedModel) -> None:
    data = json.loads(model_to_json(model))

    assert data["version"].startswith(model.trained_at[:10])
    assert data["definition_hash"] == model.definition_hash
    assert 0 < data["probability_two_random_records_match"] < 1
    dob = data["comparisons"]["date_of_birth"]
    assert dob[0]["label"] == "date of birth missing" and dob[0]["m_probability"] is None
    assert dob[1]["label"] == "date of birth missing, and one is a child, the other an adult"
    assert dob[2]["label"] == "exact match" and dob[2]["match_weight"] > 5
    assert dob[-1]["match_weight"] < 0
    # Term frequencies and the blocking rules chosen for this data are part of the model.
    assert data["frequencies"]["records"] == model.training["records"] and data["frequencies"]["address"]
    assert data["training"]["prediction_rules"][: 3] == ["l.nhs = r.nhs", "l.upn_std = r.upn_std",
                                                          "l.pnc_std = r.pnc_std"]
    assert data["training"]["seed"] == 42


def test_same_data_and_seed_train_the_same_model(
    background: tuple[pa.Table, dict[int, int]], model: TrainedModel, settings: LinkageSettings
) -> None:
    shuffled = background[0].take(pa.array(list(range(background[0].num_rows))[::-1]))
    again = train_model(shuffled, settings=settings)

    assert again.version.rsplit("-", 1)[1] == model.version.rsplit("-", 1)[1]  # the date part may differ
    for name, levels in model.parameters.items():
        for ours, theirs in zip(levels, again.parameters[name], strict=True):
            assert ours.match_weight == pytest.approx(theirs.match_weight, abs=1e-6), (name, ours.label)


def test_a_model_for_other_comparisons_is_refused(
    background: tuple[pa.Table, dict[int, int]], model: TrainedModel, settings: LinkageSettings
) -> None:
    stale = replace(model, definition_hash="0" * 16)
    with pytest.raises(ModelMismatchError):
        predict_pairs(background[0], stale, settings=settings)


def test_unknown_model_format_is_refused(model: TrainedModel) -> None:
    data = json.loads(model_to_json(model))
    data["format"] = 99
    with pytest.raises(ValueError, match="format"):
        model_from_json(json.dumps(data))


def test_every_level_of_a_comparison_has_its_own_weight(model: TrainedModel) -> None:
    # Prediction tells a pair's level by its weight, so even levels with no evidence must differ.
    for name, levels in model.parameters.items():
        weights = [level.match_weight for level in levels]
        assert len(set(weights)) == len(weights), name


def test_twins_off_keeps_the_twins_level_distinct(
    background: tuple[pa.Table, dict[int, int]], settings: LinkageSettings
) -> None:
    model = train_model(background[0], settings=replace(settings, twin_match_weight=None))
    given = model.parameters["given_name"]

    assert given[-2].match_weight == pytest.approx(given[-1].match_weight, abs=1e-6)
    assert given[-2].match_weight != given[-1].match_weight
    weights = {level.label: level.match_weight for level in given}
    assert weights[SIMILAR_TWIN_LABEL] == pytest.approx(weights[SOUNDS_ALIKE_LABEL], abs=1e-6)


def test_twins_with_names_alike_weigh_a_little_more_than_twins(model: TrainedModel) -> None:
    weights = {level.label: level.match_weight for level in model.parameters["given_name"]}

    assert weights[TWIN_LABEL] == pytest.approx(-12.0)
    assert weights[SIMILAR_TWIN_LABEL] == pytest.approx(-12.0 + SIMILAR_TWIN_ALLOWANCE)


def test_saved_model_carries_splink_settings_splink_can_load(
    background: tuple[pa.Table, dict[int, int]], model: TrainedModel, settings: LinkageSettings
) -> None:
    from splink import DuckDBAPI, Linker

    from safeguarding.linkage.prepare import prepare_records

    saved = json.loads(model_to_json(model))["splink_settings_duckdb"]
    db_api = DuckDBAPI()
    linker = Linker(db_api.register(prepare_records(background[0], settings)), saved)
    bare = linker.inference.predict(threshold_match_probability=settings.min_pair_probability).as_pyarrow_table()
    ours = predict_pairs(background[0], model, settings=settings)

    assert bare.num_rows == ours.num_rows
