"""The linkage pipeline's settings, its progress callback and the input columns it expects."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

# What the hub hands the pipeline: one row per source record.
# unique_id: int64, the hub's source record id. date_of_birth: "YYYY", "YYYY-MM", "YYYY-MM-DD" or empty.
# phones / emails / other_names: ';'-separated. postcode: normalised ("S65 1AB") but any format is accepted;
# the hub sends a record's postcode_other (not a UK postcode, e.g. "4223") where it holds no UK one.
# nhs_number: 10 digits or empty; nhs_number_valid: whether its modulus-11 check digit is right.
# role: "child" (under 18 when the agency sent the record) or "adult", as the exchange format has it, or empty.
INPUT_COLUMNS: tuple[str, ...] = (
    "unique_id", "source_system", "record_id", "given_name", "middle_names", "family_name", "other_names",
    "date_of_birth", "sex", "nhs_number", "nhs_number_valid", "upn", "pnc_id", "address", "postcode", "phones",
    "emails", "role",
)

Engine = Literal["duckdb", "spark"]
ENGINES: tuple[str, ...] = ("duckdb", "spark")

# progress(stage, done, total): called as each stage starts and ends, so a caller can draw a progress bar.
Progress = Callable[[str, int, "int | None"], None]


def report(progress: Progress | None, stage: str, done: int, total: int | None) -> None:
    """Call the progress callback if there is one."""
    if progress is not None:
        progress(stage, done, total)


@dataclass(frozen=True)
class LinkageSettings:
    """Everything that shapes a linkage run. Thresholds are settings, not constants in code, so the
    partnership can tune them and a run can say which were used."""

    # Pairs at or above `upper_threshold` link automatically; pairs in [lower, upper) go to a person.
    lower_threshold: float = 0.80
    upper_threshold: float = 0.95
    # Pairs scored below this are not returned at all (they are neither links nor worth reviewing).
    min_pair_probability: float = 0.50
    # Training: u from this many random pairs; m by expectation maximisation on at most this many pairs
    # per blocking rule (sampled deterministically, so the same data and seed give the same model).
    max_pairs_for_u: float = 2e6
    max_pairs_for_em: float = 5e5
    em_max_iterations: int = 25
    # An identifier is used as the second EM blocking rule only if at least this many pairs share one.
    min_pairs_for_em: int = 100
    # No single field's disagreement may count for more than about 10 bits against a match: m is floored
    # here, because unsupervised training on tidy data learns that a field "never" differs for the same
    # person, and real records are never that tidy.
    min_m_probability: float = 0.001
    # Different given names with one date of birth and family name may be twins, or one child under a name
    # the nickname list does not know. This fixed weight (bits) makes such a pair, all else agreeing, land
    # for review instead of linking. None: weigh it like any other given-name disagreement.
    twin_match_weight: float | None = -12.0
    seed: int = 42
    # An identifier (NHS number, UPN, PNC id, phone, email) held by more records than this is a shared or
    # placeholder value (a switchboard, a children's home, a default number), not evidence of identity:
    # it is ignored for linkage and reported by `conflicting_identifiers`.
    max_records_per_identifier: int = 50
    # False: only compare records from different source systems (for sources known to hold no duplicates
    # of their own, such as the two files of a classic link-only benchmark).
    link_within_source: bool = True
    # DuckDB: memory cap and threads. The cap keeps a million-record run inside a small machine's memory;
    # DuckDB spills to `temp_directory` beyond it.
    duckdb_memory_limit: str = "3GB"
    duckdb_threads: int | None = None
    duckdb_temp_directory: str | None = None
    # Spark: local mode, or a cluster's master URL (settings LINKAGE_SPARK_*); used only when no Spark
    # session is active already.
    spark_master: str = "local[2]"
    spark_driver_memory: str = "4g"
    spark_shuffle_partitions: int = 8
    spark_conf: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not 0 <= self.min_pair_probability <= self.lower_threshold <= self.upper_threshold <= 1:
            raise ValueError("need 0 <= min_pair_probability <= lower_threshold <= upper_threshold <= 1")

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


# A word or name held by fewer records than this in the training data is not kept in the model's
# frequencies: it counts as held by one record, the rarest there is.
MIN_COUNT_KEPT = 2


@dataclass(frozen=True)
class Frequencies:
    """How many of the records a model was trained on held each address word, given name and family name
    (term frequencies). They are part of the model, like its m and u: a pair's score then depends only on
    its two records and the model, so scores can be kept between runs and repeated exactly. A word the
    model never saw counts as held by one record."""

    records: int
    address: dict[str, int] = field(default_factory=dict)
    given: dict[str, int] = field(default_factory=dict)
    family: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"records": self.records, "address": self.address, "given": self.given, "family": self.family}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Frequencies:
        return cls(int(data["records"]), dict(data.get("address", {})), dict(data.get("given", {})),
                   dict(data.get("family", {})))
