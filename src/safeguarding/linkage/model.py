"""Train the linkage model (Splink: u by random sampling, m by expectation maximisation) and keep it as JSON."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import splink
from splink import Linker, SettingsCreator
from splink.blocking_rule_library import CustomRule

from safeguarding.linkage.base import Frequencies, LinkageSettings, Progress, report
from safeguarding.linkage.comparisons import (
    ADDRESS_TRAINING_COLUMNS,
    ADDRESS_TRAINING_RULE,
    FALLBACK_TRAINING_RULE,
    IDENTIFIER_TRAINING_RULES,
    PREDICTION_BLOCKING_RULES,
    SIMILAR_TWIN_ALLOWANCE,
    SIMILAR_TWIN_LABEL,
    SOUNDS_ALIKE_LABEL,
    TRAINING_BLOCKING_RULES,
    TWIN_LABEL,
    TWIN_U,
    WIDE_BLOCKING_RULES,
    WIDE_RULE_PAIRS_PER_RECORD,
    Comparison,
    blocking_rules,
    comparisons,
    splink_comparisons,
)
from safeguarding.linkage.engines import database
from safeguarding.linkage.prepare import Prepared, prepare_in

MODEL_FORMAT = 1
_LEVEL_NOT_OBSERVED = "level not observed in training dataset"
# Splink logs every EM iteration at INFO and every unobserved level as a WARNING; the pipeline reports
# progress through its own callback and what training could not see in TrainedModel.training instead.
_SPLINK_LOG_LEVEL = logging.ERROR


class ModelMismatchError(ValueError):
    """A saved model was trained with comparisons other than the ones this code defines."""


@dataclass(frozen=True)
class LevelParameters:
    """The trained m and u probabilities of one comparison level (None for the null level)."""

    label: str
    m: float | None
    u: float | None

    @property
    def match_weight(self) -> float:
        """log2(m/u), in bits: what this level adds to a pair's match weight (0 for a missing value)."""
        if self.m is None or self.u is None:
            return 0.0
        return math.log2(max(self.m, 1e-300) / max(self.u, 1e-300))


@dataclass(frozen=True)
class TrainedModel:
    """A trained linkage model: enough to explain a run and to repeat it on any engine."""

    version: str  # "<trained date>-<hash of definition and parameters>"
    trained_at: str  # ISO 8601, UTC
    definition_hash: str  # hash of the comparisons' definition (SQL conditions and labels)
    splink_version: str
    engine: str
    probability_two_random_records_match: float
    parameters: dict[str, tuple[LevelParameters, ...]]  # comparison name -> levels, in definition order
    training: dict[str, Any] = field(default_factory=dict)  # records, seed, settings, EM sessions
    # How common each name and address word was in the training records: part of the model, so that a
    # pair's score depends on its two records and the model alone.
    frequencies: Frequencies = field(default_factory=lambda: Frequencies(0))

    def level_weights(self, comparison: str) -> list[float]:
        return [level.match_weight for level in self.parameters[comparison]]

    @property
    def prior_match_weight(self) -> float:
        """The starting point of every pair's match weight: log2 of the prior odds that two records match."""
        p = self.probability_two_random_records_match
        return math.log2(p / (1 - p))


def definition_dict() -> dict[str, Any]:
    """The comparisons as Splink writes them for DuckDB, without parameters: what the definition hash covers."""
    creator = SettingsCreator(link_type="dedupe_only", comparisons=list(splink_comparisons()))
    settings = creator.create_settings_dict("duckdb")
    return {"comparisons": settings["comparisons"]}


@lru_cache(maxsize=1)
def definition_hash() -> str:
    """A hash of the comparisons' definition: the code's, so worked out once per process."""
    text = json.dumps(definition_dict(), sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def splink_settings(
    settings: LinkageSettings, dialect: str, *, model: TrainedModel | None = None, for_prediction: bool = True
) -> dict[str, Any]:
    """A Splink settings dict for the dialect, with the model's parameters filled in when given.

    The model keeps parameters by comparison and level, not SQL, so one trained model runs on DuckDB
    and on Spark: each engine gets the comparisons written in its own SQL.
    """
    chosen = tuple(model.training.get("prediction_rules", PREDICTION_BLOCKING_RULES)) if model is not None \
        else PREDICTION_BLOCKING_RULES
    rules = blocking_rules(chosen, link_within_source=settings.link_within_source)
    creator = SettingsCreator(
        link_type="dedupe_only",
        comparisons=list(splink_comparisons()),
        blocking_rules_to_generate_predictions=[CustomRule(rule) for rule in rules],
        # Per-comparison match weights (mw_*) are kept so each pair can be explained; the compared values
        # themselves are not, which keeps a million-record prediction small.
        retain_matching_columns=False,
        retain_intermediate_calculation_columns=for_prediction,
        max_iterations=settings.em_max_iterations,
        em_convergence=0.0001,
        additional_columns_to_retain=[],
    )
    result = creator.create_settings_dict(dialect)
    if model is None:
        return result
    if model.definition_hash != definition_hash():
        raise ModelMismatchError(
            f"model {model.version} was trained on comparison definition {model.definition_hash}, "
            f"this code defines {definition_hash()}: retrain, or run the code the model was trained with"
        )
    result["probability_two_random_records_match"] = model.probability_two_random_records_match
    for comparison in result["comparisons"]:
        trained = model.parameters[comparison["output_column_name"]]
        for level, params in zip(comparison["comparison_levels"], trained, strict=True):
            if level.get("is_null_level"):
                continue
            level["m_probability"] = params.m
            level["u_probability"] = params.u
    return result


# The smallest m or u an EM step may leave: Splink 5 refuses a probability of exactly zero (its issue 2333),
# which its own EM reaches on small data when no pair of a session at some level is judged a match; such a
# level is floored later anyway (settings.min_m_probability).
_EM_FLOOR = 1e-12


@contextmanager
def _em_floored() -> Iterator[None]:
    """Splink's EM with every m and u it estimates kept above zero (_EM_FLOOR)."""
    from splink.internals import expectation_maximisation as em

    original = em.populate_m_u_from_lookup

    def floored(fixed: set[str], level: Any, name: str, lookup: dict[str, dict[int, Any]]) -> None:
        found = lookup.get(name, {}).get(level.comparison_vector_value)
        if found is not None:
            for key in ("m_probability", "u_probability"):
                if isinstance(found.get(key), float) and found[key] < _EM_FLOOR:
                    found[key] = _EM_FLOOR
        original(fixed, level, name, lookup)

    em.populate_m_u_from_lookup = floored  # type: ignore[assignment]
    try:
        yield
    finally:
        em.populate_m_u_from_lookup = original


def _linker(db_api: Any, table: pa.Table, settings_dict: dict[str, Any]) -> Linker:
    sdf = db_api.register(table)
    return Linker(sdf, settings_dict, log_level=_SPLINK_LOG_LEVEL)


def _probability(value: Any) -> float | None:
    """A trained probability, or None where Splink saw no pair at that level."""
    if value in (None, _LEVEL_NOT_OBSERVED):
        return None
    number = float(value)
    return number if number > 0 else None


def _extract_parameters(
    trained: dict[str, Any], specs: tuple[Comparison, ...], u_pairs: float, settings: LinkageSettings
) -> tuple[dict[str, tuple[LevelParameters, ...]], list[str]]:
    """m and u per level from Splink's model dict, with what training could not see filled sensibly, and
    the comparisons the data gave no evidence on (they get no weight).

    - A comparison no random pair had values for (a field the data never holds) carries no weight.
    - A level seen neither among random pairs nor matches carries no weight (m = u).
    - A level no random pair reached gets u of half a pair in the sample: rare, so strong, but finite.
    - A level no match reached, or any m below settings.min_m_probability, gets that floor.
    - An identifier no matching pair agreed on takes its comparison's default m.
    - The twins levels take settings.twin_match_weight (see _twin_levels).
    Fixed levels (fix_m_probability / fix_u_probability) keep their values."""
    floor_u = 0.5 / max(u_pairs, 1.0)
    by_name = {c["output_column_name"]: c for c in trained["comparisons"]}
    result: dict[str, tuple[LevelParameters, ...]] = {}
    inert: list[str] = []
    for spec in specs:
        levels = by_name[spec.name]["comparison_levels"]
        seen = [_probability(lvl.get("u_probability")) for lvl in levels if not lvl.get("is_null_level")
                and not lvl.get("fix_u_probability")]
        if not any(seen):
            inert.append(spec.name)
        params = []
        for spec_level, level in zip(spec.levels, levels, strict=True):
            if level.get("is_null_level"):
                params.append(LevelParameters(spec_level.label, None, None))
                continue
            m = _probability(level.get("m_probability"))
            u = _probability(level.get("u_probability"))
            if level.get("fix_m_probability") and level.get("fix_u_probability"):
                params.append(LevelParameters(spec_level.label, m, u))
                continue
            if spec.name in inert or (m is None and u is None):
                params.append(LevelParameters(spec_level.label, floor_u, floor_u))
                continue
            u = u if u is not None else floor_u
            m = max(m or 0.0, settings.min_m_probability)
            params.append(LevelParameters(spec_level.label, m, u))
        agree = next(i for i, lvl in enumerate(spec.levels) if lvl.kind == "agree")
        agree_m = _probability(levels[agree].get("m_probability"))
        if spec.default_m is not None and agree_m is None and spec.name not in inert:
            params = [LevelParameters(p.label, default if default is not None else p.m, p.u)
                      for p, default in zip(params, spec.default_m, strict=True)]
        labels = [p.label for p in params]
        if TWIN_LABEL in labels:
            params = _twin_levels(params, labels, settings.twin_match_weight)
        result[spec.name] = _distinct_weights(params)
    return result, inert


def _twin_levels(params: list[LevelParameters], labels: list[str], weight: float | None) -> list[LevelParameters]:
    """The two twins levels' parameters: `weight` (bits) for different given names, SIMILAR_TWIN_ALLOWANCE more
    for similar ones. None turns the rule off: the first weighs like the plain "different" level, the second like
    "sounds the same", where such a pair would otherwise fall."""
    params = list(params)
    twin, similar = labels.index(TWIN_LABEL), labels.index(SIMILAR_TWIN_LABEL)
    if weight is None:
        sounds = labels.index(SOUNDS_ALIKE_LABEL)
        params[twin] = LevelParameters(TWIN_LABEL, params[-1].m, params[-1].u)
        params[similar] = LevelParameters(SIMILAR_TWIN_LABEL, params[sounds].m, params[sounds].u)
    else:
        params[twin] = LevelParameters(TWIN_LABEL, TWIN_U * 2**weight, TWIN_U)
        params[similar] = LevelParameters(SIMILAR_TWIN_LABEL, TWIN_U * 2**(weight + SIMILAR_TWIN_ALLOWANCE), TWIN_U)
    return params


def _distinct_weights(params: list[LevelParameters]) -> tuple[LevelParameters, ...]:
    """The levels, with any weight equal to an earlier level's (0 for missing values, say) moved by a few
    billionths of a bit. Prediction recovers each pair's level from its weight, so no two may be equal."""
    seen: list[float] = []
    result = []
    for position, level in enumerate(params):
        if level.m is not None and level.u is not None:
            nudge = 0
            while any(abs(level.match_weight - w) < 1e-12 for w in seen):
                nudge += 1
                level = LevelParameters(level.label, level.m * (1 + 1e-9 * (position + nudge)), level.u)
        seen.append(level.match_weight)
        result.append(level)
    return tuple(result)


def _pairs_sharing(table: pa.Table, column: str) -> int:
    """How many record pairs share a (non-null) value of the column."""
    counts = table.group_by(column).aggregate([(column, "count")])
    values = counts.column(f"{column}_count").to_numpy()
    return int((values * (values - 1) // 2).sum())


def _pairs_sharing_all(table: pa.Table, columns: tuple[str, ...]) -> int:
    """How many record pairs agree on every one of the columns (none of them null)."""
    present = table.select(list(columns))
    for column in columns:
        present = present.filter(pc.is_valid(present.column(column)))
    if not present.num_rows:
        return 0
    counts = present.group_by(list(columns)).aggregate([([], "count_all")]).column("count_all").to_numpy()
    return int((counts * (counts - 1) // 2).sum())


def prediction_rules(table: pa.Table) -> tuple[str, ...]:
    """The blocking rules for this data: the narrow rules, and each wide rule whose pairs it can afford
    (comparisons.WIDE_BLOCKING_RULES). Chosen once, when the model is trained, and kept with it."""
    budget = WIDE_RULE_PAIRS_PER_RECORD * table.num_rows
    wide = tuple(rule for columns, rule in WIDE_BLOCKING_RULES if _pairs_sharing_all(table, columns) <= budget)
    return (*PREDICTION_BLOCKING_RULES, *wide)


def training_rules(table: pa.Table, settings: LinkageSettings) -> list[str]:
    """The EM blocking rules for this data: date of birth, then the first identifier enough pairs share
    (see comparisons.IDENTIFIER_TRAINING_RULES), else the address's rarest words, else names."""
    rules = list(TRAINING_BLOCKING_RULES)
    for column, rule in IDENTIFIER_TRAINING_RULES:
        if _pairs_sharing(table, column) >= settings.min_pairs_for_em:
            rules.append(rule)
            break
    else:
        if _pairs_sharing_all(table, ADDRESS_TRAINING_COLUMNS) >= settings.min_pairs_for_em:
            rules.append(ADDRESS_TRAINING_RULE)
        else:
            rules.append(FALLBACK_TRAINING_RULE)
    return blocking_rules(tuple(rules), link_within_source=settings.link_within_source)


def train_model(
    records: pa.Table, *, settings: LinkageSettings, engine: str = "duckdb", progress: Progress | None = None,
    prepared: Prepared | None = None,
) -> TrainedModel:
    """Train on the records themselves, without labels: term frequencies counted over them, u from random
    pairs, m by expectation maximisation over pairs from each training blocking rule, and the prior from
    what EM found. `prepared`: the records already prepared with their own frequencies."""
    if prepared is None or prepared.frequencies is None:
        with duckdb.connect() as con:
            prepared = prepare_in(con, records, settings)
    assert prepared.frequencies is not None
    table = prepared.table
    rules = training_rules(table, settings)
    stages = 2 + len(rules)
    report(progress, "train", 0, stages)
    specs = comparisons()
    n = table.num_rows
    u_pairs = min(settings.max_pairs_for_u, n * (n - 1) / 2)
    with database(engine, settings) as db_api:
        linker = _linker(db_api, table, splink_settings(settings, db_api.sql_dialect.sql_dialect_str,
                                                        for_prediction=False))
        report(progress, "train", 1, stages)
        linker.training.estimate_u_using_random_sampling(max_pairs=settings.max_pairs_for_u, seed=settings.seed)
        report(progress, "train", 2, stages)
        for index, rule in enumerate(rules):
            with _em_floored():
                linker.training.estimate_parameters_using_expectation_maximisation(
                    rule, max_pairs=settings.max_pairs_for_em,
                    # The prior comes from the date-of-birth session only: pairs sharing an identifier are
                    # nearly all matches, and say little about how many pairs match overall.
                    populate_probability_two_random_records_match_from_trained_values=index == 0,
                )
            report(progress, "train", 3 + index, stages)
        trained = linker.misc.save_model_to_json()
    parameters, inert = _extract_parameters(trained, specs, u_pairs, settings)
    chosen_rules = list(prediction_rules(table))
    prior = float(trained["probability_two_random_records_match"])
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    definition = definition_hash()
    # Rounded to 8 significant digits: DuckDB sums in parallel, so retraining on the same data and seed moves
    # the last bits (about 1e-13), and the same model should keep the same version.
    def rounded(x: float | None) -> str | None:
        return None if x is None else f"{x:.8g}"

    fingerprint = hashlib.sha256(json.dumps(
        {"definition": definition, "prior": rounded(prior),
         "parameters": {k: [(rounded(p.m), rounded(p.u)) for p in v] for k, v in parameters.items()},
         "frequencies": prepared.frequencies.as_dict(), "rules": chosen_rules},
        sort_keys=True).encode()).hexdigest()[:12]
    model = TrainedModel(
        version=f"{now.date().isoformat()}-{fingerprint}",
        trained_at=now.isoformat(),
        definition_hash=definition,
        splink_version=splink.__version__,
        engine=engine,
        probability_two_random_records_match=prior,
        parameters=parameters,
        training={"records": n, "seed": settings.seed, "u_pairs": u_pairs, "em_blocking_rules": rules, "comparisons_without_data": inert,
                  "settings": settings.as_dict(), "prediction_rules": chosen_rules},
        frequencies=prepared.frequencies,
    )
    report(progress, "train", stages, stages)
    return model


def _settings_from_training(model: TrainedModel) -> LinkageSettings:
    known = LinkageSettings.__dataclass_fields__
    saved = {k: v for k, v in model.training.get("settings", {}).items() if k in known}
    return LinkageSettings(**saved)


def model_to_json(model: TrainedModel) -> str:
    """The model as JSON: version, definition hash, prior and m/u per level, with labels, so a person can
    read what the model believes and the run can be repeated. It also holds the complete Splink settings
    (DuckDB SQL, blocking rules of the training settings): Splink itself can load them, without this code."""
    return json.dumps({
        "format": MODEL_FORMAT,
        "version": model.version,
        "trained_at": model.trained_at,
        "definition_hash": model.definition_hash,
        "splink_version": model.splink_version,
        "engine": model.engine,
        "probability_two_random_records_match": model.probability_two_random_records_match,
        "comparisons": {
            name: [{"label": p.label, "m_probability": p.m, "u_probability": p.u,
                    "match_weight": round(p.match_weight, 6)} for p in levels]
            for name, levels in model.parameters.items()
        },
        "training": model.training,
        "frequencies": model.frequencies.as_dict(),
        "splink_settings_duckdb": splink_settings(_settings_from_training(model), "duckdb", model=model),
    }, indent=2, sort_keys=False, default=str)


def model_from_json(text: str) -> TrainedModel:
    data = json.loads(text)
    if data.get("format") != MODEL_FORMAT:
        raise ValueError(f"unknown linkage model format {data.get('format')!r}")
    return TrainedModel(
        version=data["version"],
        trained_at=data["trained_at"],
        definition_hash=data["definition_hash"],
        splink_version=data["splink_version"],
        engine=data["engine"],
        probability_two_random_records_match=float(data["probability_two_random_records_match"]),
        parameters={
            name: tuple(LevelParameters(p["label"], p["m_probability"], p["u_probability"]) for p in levels)
            for name, levels in data["comparisons"].items()
        },
        training=data.get("training", {}),
        frequencies=Frequencies.from_dict(data.get("frequencies", {"records": 0})),
    )
