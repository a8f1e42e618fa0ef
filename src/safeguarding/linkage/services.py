"""Running record linkage over every agency's records and applying it to the hub's persons, with
stable person ids; and people's match decisions, which override the model and can be undone."""

from __future__ import annotations

import datetime as dt
import json
import time
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from django.conf import settings as django_settings
from django.db import connection, models, transaction
from django.http import HttpRequest
from django.utils import timezone

from safeguarding.accounts.access import Capability, has
from safeguarding.accounts.models import User
from safeguarding.audit.models import AuditEventType
from safeguarding.audit.services import audit_record
from safeguarding.core.arrow import query_arrow
from safeguarding.core.bulk import BulkTable
from safeguarding.core.errors import ServiceError
from safeguarding.frontdoor.models import Concern
from safeguarding.linkage.base import INPUT_COLUMNS, LinkageSettings, Progress, report
from safeguarding.linkage.models import (
    ChangeKind,
    LinkageModelVersion,
    LinkageRun,
    MatchDecision,
    MatchReview,
    MatchVerdict,
    PersonChange,
    ReviewStatus,
    RunStatus,
)
from safeguarding.people.models import LinkMethod, Person, PersonRole, SourceRecord, SourceSystem

BATCH = 5000
Pair = tuple[int, int]


def linkage_settings(**overrides: Any) -> LinkageSettings:
    """The partnership's thresholds (settings LINKAGE_LOWER_THRESHOLD / LINKAGE_UPPER_THRESHOLD),
    with any overrides for one run. None for one of the partnership's settings keeps it (a threshold
    not given on the command line); None for another is a value (``twin_match_weight=None``: off)."""
    values: dict[str, Any] = {
        "lower_threshold": django_settings.LINKAGE_LOWER_THRESHOLD,
        "upper_threshold": django_settings.LINKAGE_UPPER_THRESHOLD,
        "spark_master": django_settings.LINKAGE_SPARK_MASTER,
    }
    values.update({k: v for k, v in overrides.items() if v is not None or k not in values})
    return LinkageSettings(**values)


# --- loading the records ---------------------------------------------------------------------

_FIELDS = [c for c in INPUT_COLUMNS if c not in ("unique_id", "source_system")]
_LOAD_SCHEMA = pa.schema(
    [("unique_id", pa.int64()), ("person_id", pa.int64()), ("link_method", pa.string()),
     ("link_probability", pa.float64()), ("source_system", pa.string())]
    + [(name, pa.bool_() if name == "nhs_number_valid" else pa.string()) for name in _FIELDS]
)


@dataclass
class LoadedRecords:
    """Every source record as the pipeline's input table, with where each record stands now."""

    records: pa.Table
    # unique_id (ascending, as in records), person_id, link_method, link_probability
    state: pa.Table

    @property
    def current(self) -> dict[int, int]:
        """Each record's person."""
        return dict(zip(self.state.column("unique_id").to_pylist(), self.state.column("person_id").to_pylist(),
                        strict=True))


def _select_records_sql() -> str:
    """One query for every source record, its system's code and its linkage state (in no particular
    order: ``_load`` puts them in id order). Built from model metadata only; no caller's text reaches it."""
    quote = connection.ops.quote_name
    meta = SourceRecord._meta

    def column(name: str, model: type[models.Model] = SourceRecord, alias: str = "r") -> str:
        field = model._meta.get_field(name)
        assert isinstance(field, models.Field) and field.column
        return f"{alias}.{quote(field.column)}"

    selected = [
        # A postcode that is not a UK one is kept apart from ``postcode`` at import, but is still compared.
        f"CASE WHEN {column('postcode')} <> '' THEN {column('postcode')} ELSE {column('postcode_other')} END"
        if name == "postcode" else column(name)
        for name in _FIELDS
    ]
    return (
        f"SELECT {column('id')}, {column('person')}, {column('link_method')}, {column('link_probability')}, "  # noqa: S608
        f"{column('code', SourceSystem, 's')}, {', '.join(selected)} "
        f"FROM {quote(meta.db_table)} r JOIN {quote(SourceSystem._meta.db_table)} s "
        f"ON {column('id', SourceSystem, 's')} = {column('source_system')}"
    )


def _load(*, progress: Progress | None = None) -> LoadedRecords:
    """Read the records with one query straight into Arrow columns (``core.arrow.query_arrow``,
    through ADBC on both databases): a million records are never held as Django objects or dicts."""
    total = SourceRecord.objects.count()
    done = 0
    report(progress, "load", 0, total)

    def read(rows: int) -> None:
        nonlocal done
        done += rows
        report(progress, "load", done, total)

    # Sorted here, not by the database: the pipeline and the write-back want id order whichever
    # reader brought the rows.
    table = query_arrow(_select_records_sql(), _LOAD_SCHEMA, read).sort_by("unique_id")
    states = table.select(["unique_id", "person_id", "link_method", "link_probability"])
    records = table.select(list(INPUT_COLUMNS))
    return LoadedRecords(records, states)


def load_records(*, progress: Progress | None = None) -> tuple[pa.Table, dict[int, int]]:
    """Every source record as the pipeline's input table (INPUT_COLUMNS), and each record's current person."""
    loaded = _load(progress=progress)
    return loaded.records, loaded.current


# --- stable identities -----------------------------------------------------------------------


@dataclass
class Assignment:
    """Which person each record belongs to after a run, and what that changed."""

    person_of_cluster: dict[int, int | None]  # cluster id -> kept person id (None: a new person)
    merged_into: dict[int, int]  # retired person -> the person it was merged into
    moves: list[tuple[int, int, int | None, int]] = field(default_factory=list)  # record, from, to, cluster


def assign_persons(clusters: dict[int, int], current: dict[int, int]) -> Assignment:
    """Give each cluster a person id so that ids stay stable across runs.

    Each existing person belongs to the cluster holding most of its records (its home; on a tie, the
    lowest cluster id). A cluster keeps the oldest (lowest id) person at home there; the other persons
    at home there are merged into it. A cluster where no person is at home (records split off from
    persons at home elsewhere) gets a new person. So a person whose records did not change keeps
    their id, and a merge keeps the older id.
    """
    records = np.fromiter(current, dtype=np.int64, count=len(current))
    persons = np.fromiter(current.values(), dtype=np.int64, count=len(current))
    cluster_of = np.fromiter((clusters[r] for r in current), dtype=np.int64, count=len(current))
    return _assign(records, cluster_of, persons, set(clusters.values()))


def _assign(records: np.ndarray, cluster_of: np.ndarray, persons: np.ndarray, all_clusters: Iterable[int]) -> Assignment:
    """assign_persons over aligned arrays: each record, its cluster and its current person."""
    if not len(records):
        return Assignment(dict.fromkeys(all_clusters), {}, [])
    # How many records of each person each cluster holds: (cluster, person) runs after one sort,
    # as np.unique(..., axis=0) would give them, in a quarter of its time.
    order = np.lexsort((persons, cluster_of))
    sorted_clusters, sorted_persons = cluster_of[order], persons[order]
    starts = np.flatnonzero(np.r_[True, (sorted_clusters[1:] != sorted_clusters[:-1])
                                  | (sorted_persons[1:] != sorted_persons[:-1])])
    cluster, person = sorted_clusters[starts], sorted_persons[starts]
    counts = np.diff(np.r_[starts, len(order)])
    # Each person's home: the most records, then the lowest cluster id.
    order = np.lexsort((cluster, -counts, person))
    first = np.r_[True, person[order][1:] != person[order][:-1]]
    home_person, home_cluster = person[order][first], cluster[order][first]
    # Each cluster keeps the lowest person at home there; the others are merged into it.
    order = np.lexsort((home_person, home_cluster))
    home_person, home_cluster = home_person[order], home_cluster[order]
    leads = np.r_[True, home_cluster[1:] != home_cluster[:-1]]
    kept_clusters, kept_persons = home_cluster[leads], home_person[leads]
    keeper = kept_persons[np.cumsum(leads) - 1]
    merged_into = dict(zip(home_person[~leads].tolist(), keeper[~leads].tolist(), strict=True))
    person_of_cluster: dict[int, int | None] = dict.fromkeys(all_clusters)
    person_of_cluster.update(zip(kept_clusters.tolist(), kept_persons.tolist(), strict=True))
    # Records whose person changes; a record whose cluster has no keeper goes to a new person (None).
    at = np.minimum(np.searchsorted(kept_clusters, cluster_of), len(kept_clusters) - 1)
    has_keeper = kept_clusters[at] == cluster_of
    target = np.where(has_keeper, kept_persons[at], -1)
    moved = np.nonzero(target != persons)[0]
    moves = [
        (record, source, None if to < 0 else to, c)
        for record, source, to, c in zip(records[moved].tolist(), persons[moved].tolist(), target[moved].tolist(),
                                         cluster_of[moved].tolist(), strict=True)
    ]
    return Assignment(person_of_cluster, merged_into, moves)


def refresh_person_details(person_ids: Iterable[int]) -> None:
    """Set each person's display fields from the records behind them: the most common name and
    date of birth, a valid NHS number, the latest postcode; a child if any agency says so."""
    ids = sorted(set(person_ids))
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        records: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
        for row in SourceRecord.objects.filter(person_id__in=chunk).values_list("person_id", *_DETAIL_FIELDS):
            records[row[0]].append(row[1:])
        _PERSONS.update([_person_details(person, rs) for person, rs in records.items()], PERSON_DETAIL_FIELDS)


_DETAIL_FIELDS = (
    "given_name", "family_name", "date_of_birth", "sex", "role", "nhs_number", "nhs_number_valid", "postcode",
    "updated_at", "pk",
)
PERSON_DETAIL_FIELDS = ("given_name", "family_name", "date_of_birth", "sex", "nhs_number", "role", "postcode")
_EARLIEST = dt.datetime.min.replace(tzinfo=dt.UTC)


def _person_details(person_id: int, rs: list[tuple[Any, ...]]) -> dict[str, Any]:
    """A person's display values from their records (tuples of _DETAIL_FIELDS)."""
    given, family, dob, sex, role, nhs, nhs_valid, postcode, updated, pk = range(len(_DETAIL_FIELDS))
    full_dates = [r[dob] for r in rs if len(r[dob] or "") == 10]
    roles = {r[role] for r in rs}
    latest = max(rs, key=lambda r: (r[updated] is not None and bool(r[postcode]), r[updated] or _EARLIEST, r[pk]))
    return {
        "id": person_id,
        "given_name": _most_common(r[given] for r in rs),
        "family_name": _most_common(r[family] for r in rs),
        "date_of_birth": _most_common(full_dates) or _most_common(r[dob] for r in rs),
        "sex": _most_common(r[sex] for r in rs if r[sex] in ("F", "M", "X")),
        "nhs_number": _most_common(r[nhs] for r in rs if r[nhs_valid]),
        "role": (
            PersonRole.CHILD.value if PersonRole.CHILD in roles
            else (PersonRole.ADULT.value if PersonRole.ADULT in roles else "")
        ),
        "postcode": latest[postcode] or _most_common(r[postcode] for r in rs),
    }


def _most_common(values: Iterable[str | None]) -> str:
    """The most frequent non-empty value; on a tie, the first in sort order."""
    counted = Counter(v for v in values if v)
    if len(counted) <= 1:
        return next(iter(counted), "")
    return min(counted.items(), key=lambda kv: (-kv[1], kv[0]))[0]


# --- a linkage run ---------------------------------------------------------------------------


@dataclass
class RunResult:
    run: LinkageRun
    counts: dict[str, int]
    timings: dict[str, float]


def active_decisions() -> tuple[list[Pair], list[Pair], set[Pair]]:
    """Active 'same' and 'different' decisions (which override the model), and every decided pair
    (including 'unsure'), which is not put back in the review queue."""
    must: list[Pair] = []
    cannot: list[Pair] = []
    decided: set[Pair] = set()
    for left, right, verdict in MatchDecision.objects.filter(revoked_at__isnull=True).values_list(
        "record_l_id", "record_r_id", "verdict"
    ):
        pair = (min(left, right), max(left, right))
        decided.add(pair)
        if verdict == MatchVerdict.SAME:
            must.append(pair)
        elif verdict == MatchVerdict.DIFFERENT:
            cannot.append(pair)
    return must, cannot, decided


def _model_for_run(*, retrain: bool) -> tuple[Any, LinkageModelVersion | None]:
    from safeguarding.linkage.pipeline import definition_hash, model_from_json

    if retrain:
        return None, None
    saved = LinkageModelVersion.objects.filter(definition_hash=definition_hash()).first()
    if saved is None:
        return None, None
    return model_from_json(saved.model_json), saved


def linkage_run(
    *,
    engine: str = "duckdb",
    retrain: bool = False,
    lower_threshold: float | None = None,
    upper_threshold: float | None = None,
    initiated_by: str = "command line",
    progress: Progress | None = None,
    overrides: dict[str, Any] | None = None,
    full: bool = False,
) -> RunResult:
    """Link every source record into persons and apply it, keeping person ids stable.
    ``overrides`` sets other LinkageSettings for this run (e.g. link_within_source=False).
    Pairs are kept between runs (LINKAGE_STORE_DIR), so a run compares only the records that changed;
    ``full`` compares every record again."""
    from safeguarding.linkage.pipeline import conflicting_identifiers, link, model_to_json

    settings = linkage_settings(lower_threshold=lower_threshold, upper_threshold=upper_threshold, **(overrides or {}))
    run = LinkageRun.objects.create(
        started_at=timezone.now(),
        engine=engine,
        settings=json.loads(json.dumps(settings.as_dict(), default=str)),
        initiated_by=initiated_by,
    )
    timings: dict[str, float] = {}
    try:
        started = time.perf_counter()
        loaded = _load(progress=progress)
        records = loaded.records
        timings["load"] = time.perf_counter() - started
        must, cannot, decided = active_decisions()
        model, saved = _model_for_run(retrain=retrain)
        result = link(
            records,
            settings=settings,
            engine=engine,
            model=model,
            must_link=must,
            cannot_link=cannot,
            progress=progress,
            store=Path(django_settings.LINKAGE_STORE_DIR),
            compare_all=full,
        )
        timings.update(result.timings)
        started = time.perf_counter()
        conflicts = conflicting_identifiers(result.clusters, records, pairs=result.pairs)
        timings["identifiers"] = time.perf_counter() - started
        started = time.perf_counter()
        if saved is None:
            saved = _save_model(result.model, model_to_json(result.model), engine=engine, records=records.num_rows)
        with transaction.atomic():
            counts = _apply(
                run=run,
                result=result,
                state=loaded.state,
                must=must,
                decided=decided,
                progress=progress,
                conflicts=conflicts,
                records=records,
            )
            counts["records_compared"] = result.compared
            run.model = saved
            run.status = RunStatus.COMPLETED
            run.finished_at = timezone.now()
            timings["apply"] = time.perf_counter() - started
            run.counts, run.timings = counts, {k: round(v, 3) for k, v in timings.items()}
            run.save(update_fields=["model", "status", "finished_at", "counts", "timings"])
            audit_record(
                event_type=AuditEventType.LINKAGE_RUN,
                actor_label=initiated_by,
                target_kind="linkage_run",
                target_id=run.pk,
                detail={"counts": counts, "model": saved.version, "engine": engine},
            )
    except Exception as exc:
        LinkageRun.objects.filter(pk=run.pk).update(
            status=RunStatus.FAILED, finished_at=timezone.now(), failure=str(exc)[:2000]
        )
        raise ServiceError(f"Linkage run {run.pk} failed, and nothing was changed: {exc}") from exc
    run.refresh_from_db()
    # In the order the stages ran (PostgreSQL's jsonb keeps its keys in an order of its own).
    return RunResult(run=run, counts=counts, timings={k: round(v, 3) for k, v in timings.items()})


def _save_model(model: Any, text: str, *, engine: str, records: int) -> LinkageModelVersion:
    from safeguarding.linkage.pipeline import definition_hash

    now = timezone.now()
    version = f"{now:%Y%m%d-%H%M%S}-{definition_hash()[:8]}"
    return LinkageModelVersion.objects.create(
        version=version,
        definition_hash=definition_hash(),
        trained_at=now,
        trained_on_records=records,
        engine=engine,
        model_json=text,
    )


def _apply(
    *,
    run: LinkageRun,
    result: Any,
    state: pa.Table,
    must: list[Pair],
    decided: set[Pair],
    progress: Progress | None,
    conflicts: pa.Table,
    records: pa.Table,
) -> dict[str, int]:
    """Write the run's clusters to persons. Only what changes is written: after a quiet night that is
    a handful of rows, not a million. Per-record work is done over arrays, not Python loops."""
    clusters_table = result.clusters.sort_by("unique_id")
    ids = clusters_table.column("unique_id").to_numpy()
    if not np.array_equal(ids, state.column("unique_id").to_numpy()):
        raise ServiceError("the linkage result does not hold exactly the records loaded")
    cluster_of = clusters_table.column("cluster_id").to_numpy()
    was = state.column("person_id").to_numpy()
    clusters_found, cluster_index, size_of_cluster = np.unique(cluster_of, return_inverse=True, return_counts=True)
    assignment = _assign(ids, cluster_of, was, clusters_found.tolist())
    now = timezone.now()

    # New persons for clusters nobody is at home in.
    new_clusters = [c for c, p in assignment.person_of_cluster.items() if p is None]
    created = _PERSONS.insert_returning_ids([{} for _ in new_clusters], now) if new_clusters else []
    for cluster_id, new_person in zip(new_clusters, created, strict=True):
        assignment.person_of_cluster[cluster_id] = new_person
    person_of_cluster = assignment.person_of_cluster

    # Records: their person, and how they came to it (alone; linked by a person; by the model).
    target = np.fromiter((person_of_cluster[c] for c in clusters_found.tolist()), np.int64,
                         count=len(clusters_found))[cluster_index]
    size = size_of_cluster[cluster_index]
    probability = pc.fill_null(clusters_table.column("match_probability"), np.nan).to_numpy()
    reviewer_linked = np.isin(ids, np.fromiter({r for pair in must for r in pair}, np.int64))
    methods = np.array([LinkMethod.OWN.value, LinkMethod.REVIEWER.value, LinkMethod.MODEL.value])
    method = np.where(size == 1, 0, np.where(reviewer_linked | np.isnan(probability), 1, 2))
    probability = np.where(size == 1, np.nan, probability)
    old_method = pc.index_in(state.column("link_method"), value_set=pa.array(methods)).to_numpy(zero_copy_only=False)
    old_probability = pc.fill_null(state.column("link_probability"), np.nan).to_numpy()
    same_probability = (probability == old_probability) | (np.isnan(probability) & np.isnan(old_probability))
    moved = target != was
    changed = np.nonzero(moved | (method != old_method) | ~same_probability)[0]
    updates = [
        {"id": record, "person_id": person, "link_method": methods[m], "link_probability": None if p != p else p}
        for record, person, m, p in zip(ids[changed].tolist(), target[changed].tolist(), method[changed].tolist(),
                                        probability[changed].tolist(), strict=True)
    ]
    changed_persons = set(was[moved].tolist()) | set(target[moved].tolist())
    for start in range(0, len(updates), BATCH * 10):
        _RECORDS.update(updates[start : start + BATCH * 10], ["person", "link_method", "link_probability"])
        if progress:
            progress("apply", min(start + BATCH * 10, len(updates)), len(updates))

    # Retired persons point to the person they were merged into; a person at home again is not retired.
    kept = np.fromiter((p for p in person_of_cluster.values() if p is not None), np.int64)
    retired_before = _retired_person_ids()
    back_home = retired_before[np.isin(retired_before, kept)].tolist()
    _PERSONS.update([{"id": p, "merged_into_id": None} for p in back_home], ["merged_into"])
    _PERSONS.update([{"id": r, "merged_into_id": t} for r, t in assignment.merged_into.items()], ["merged_into"])
    concern_moves = _move_concerns(assignment.merged_into)

    # History: one change per person that received records.
    moves_by_target: dict[int, list[dict[str, int]]] = defaultdict(list)
    for record, source, _target, cluster_id in assignment.moves:
        receiver = person_of_cluster[cluster_id]
        assert receiver is not None
        moves_by_target[receiver].append({"record": record, "from": source, "to": receiver})
    for move in concern_moves:
        moves_by_target[move["to"]].append(move)
    changes = []
    merges = splits = 0
    for receiver, moves in moves_by_target.items():
        sources = {m["from"] for m in moves if "record" in m}
        is_merge = any(assignment.merged_into.get(s) == receiver for s in sources)
        merges += is_merge
        splits += not is_merge
        changes.append({
            "kind": ChangeKind.MERGE.value if is_merge else ChangeKind.SPLIT.value, "at": now, "run_id": run.pk,
            "person_id": receiver, "moves": moves,
        })
    _PERSON_CHANGES.insert(changes, now)
    refresh_person_details(changed_persons | set(moves_by_target))

    reviews = _refresh_review_queue(
        run=run, result=result, clusters=(ids, cluster_of), decided=decided,
        flagged=_flagged_pairs(conflicts, records, result),
    )
    return {
        "records": len(ids),
        "persons": len(clusters_found),
        "persons_with_several_records": int((size_of_cluster > 1).sum()),
        "pairs_scored": result.pairs.num_rows,
        "records_moved": len(assignment.moves),
        "merges": merges,
        "splits": splits,
        "new_persons": len(created),
        "review_pairs": reviews,
        "concerns_moved": len(concern_moves),
        "shared_identifiers_flagged": conflicts.num_rows,
    }


def _retired_person_ids() -> np.ndarray:
    """Every person merged into another: after a first run, hundreds of thousands, read straight into
    an array (``core.arrow.query_arrow``), not as Django objects."""
    quote = connection.ops.quote_name
    merged = Person._meta.get_field("merged_into")
    assert isinstance(merged, models.ForeignKey)
    sql = (f"SELECT {quote(Person._meta.pk.column)} FROM {quote(Person._meta.db_table)} "  # noqa: S608
           f"WHERE {quote(merged.column)} IS NOT NULL")
    return query_arrow(sql, pa.schema([("id", pa.int64())])).column("id").to_numpy()


_PERSONS = BulkTable(Person)
_RECORDS = BulkTable(SourceRecord)
_PERSON_CHANGES = BulkTable(PersonChange)
_REVIEWS = BulkTable(MatchReview)


# At most this many shared-identifier pairs are explained and queued per run; the rest wait for the
# next run (each needs its own small scoring query, and a flood would bury the ordinary queue).
MAX_FLAGGED_PER_RUN = 200
IDENTIFIER_WORDS = {"nhs_number": "NHS number", "upn": "unique pupil number", "pnc_id": "PNC id"}


def _flagged_pairs(conflicts: pa.Table, records: pa.Table, result: Any) -> dict[Pair, dict[str, Any]]:
    """Pairs of different persons sharing an NHS number, UPN or PNC id: a data-quality problem
    for review, never a reason to merge blindly. Each gets the model's explanation."""
    from safeguarding.linkage.scoring import explain_pairs

    if not conflicts.num_rows:
        return {}
    rows = conflicts.slice(0, MAX_FLAGGED_PER_RUN).to_pylist()
    wanted_ids = {r["unique_id_l"] for r in rows} | {r["unique_id_r"] for r in rows}
    mask = pc.is_in(records.column("unique_id"), value_set=pa.array(sorted(wanted_ids), pa.int64()))
    by_id = {r["unique_id"]: r for r in records.filter(mask).to_pylist()}
    pairs = [(min(r["unique_id_l"], r["unique_id_r"]), max(r["unique_id_l"], r["unique_id_r"])) for r in rows]
    explained = explain_pairs([(by_id[left], by_id[right]) for left, right in pairs], result.model,
                              settings=result.settings)
    flagged: dict[Pair, dict[str, Any]] = {}
    for row, pair, contributions in zip(rows, pairs, explained, strict=True):
        weight = sum(c.match_weight for c in contributions)
        flagged[pair] = {
            "unique_id_l": pair[0],
            "unique_id_r": pair[1],
            "match_weight": weight,
            "match_probability": float(2**weight / (1 + 2**weight)),
            "explanation": [c._asdict() for c in contributions],
            "flag": f"The same {IDENTIFIER_WORDS.get(row['identifier'], row['identifier'])} ({row['value']}) "
            f"is held by {row['persons']} people the model keeps apart",
        }
    return flagged


def _refresh_review_queue(
    *, run: LinkageRun, result: Any, clusters: tuple[np.ndarray, np.ndarray], decided: set[Pair],
    flagged: dict[Pair, dict[str, Any]],
) -> int:
    """Pending reviews become this run's review band: pairs already pending keep their place (and
    get the new score); pairs no longer in the band are marked superseded; decided pairs never return."""
    from safeguarding.linkage.pipeline import contributions_from_pair

    # Not the labels and per-comparison weights: the explanation is rebuilt from the levels (gamma_*).
    band = result.review.select([c for c in result.review.column_names
                                 if not c.startswith(("label_", "mw_"))]).to_pylist()
    wanted: dict[Pair, dict[str, Any]] = {}
    for row in band:
        pair = (min(row["unique_id_l"], row["unique_id_r"]), max(row["unique_id_l"], row["unique_id_r"]))
        if pair not in decided:
            wanted[pair] = row
    for pair, row in flagged.items():
        if pair in decided:
            continue
        if pair in wanted:
            wanted[pair]["flag"] = row["flag"]  # uncertain anyway: say why it matters
        else:
            wanted[pair] = row
    # Each wanted record's cluster, looked up in the run's (record, cluster) arrays sorted by record.
    record_ids, cluster_of = clusters
    wanted_ids = np.fromiter({r for pair in wanted for r in pair}, np.int64)
    at = np.minimum(np.searchsorted(record_ids, wanted_ids), max(len(record_ids) - 1, 0))
    cluster_of_record = {
        r: c for r, c, found in zip(wanted_ids.tolist(), cluster_of[at].tolist(),
                                    (record_ids[at] == wanted_ids).tolist(), strict=True) if found
    } if len(record_ids) else {}
    pending = {
        (left, right): pk
        for pk, left, right in MatchReview.objects.filter(status=ReviewStatus.PENDING).values_list(
            "pk", "record_l_id", "record_r_id"
        )
    }
    stale = [pk for pair, pk in pending.items() if pair not in wanted]
    _REVIEWS.update([{"id": pk, "status": ReviewStatus.SUPERSEDED.value} for pk in stale], ["status"])
    to_update: list[dict[str, Any]] = []
    to_create: list[dict[str, Any]] = []
    for pair, row in wanted.items():
        values = {
            "match_probability": row["match_probability"],
            "match_weight": row["match_weight"],
            "explanation": row.get("explanation") or [c._asdict() for c in contributions_from_pair(row, result.model)],
            "same_person_now": cluster_of_record.get(pair[0]) == cluster_of_record.get(pair[1]),
            "run_id": run.pk,
            "flag": row.get("flag", ""),
        }
        if pair in pending:
            to_update.append({"id": pending[pair], **values})
        else:
            to_create.append({"record_l_id": pair[0], "record_r_id": pair[1], **values})
    _REVIEWS.update(to_update, ["match_probability", "match_weight", "explanation", "same_person_now", "run", "flag"])
    _REVIEWS.insert(to_create, timezone.now())
    return len(wanted)


# --- people's decisions ----------------------------------------------------------------------


def _move_concerns(merged_into: dict[int, int]) -> list[dict[str, int]]:
    """Concerns follow a child into the person they were merged into; the moves are kept for undo."""
    if len(merged_into) > BATCH:
        # A first run merges hundreds of thousands of persons: one pass over the concerns beats
        # hundreds of queries each naming thousands of persons.
        concerns = [c for c in Concern.objects.only("pk", "child_id").iterator(chunk_size=BATCH)
                    if c.child_id in merged_into]
    else:
        concerns = list(Concern.objects.filter(child_id__in=list(merged_into)).only("pk", "child_id"))
    moves = [{"concern": c.pk, "from": c.child_id, "to": merged_into[c.child_id]} for c in concerns]
    for concern in concerns:
        concern.child_id = merged_into[concern.child_id]
    Concern.objects.bulk_update(concerns, ["child"], batch_size=BATCH)
    return moves


def _move_records(records: list[int], to_person: int) -> list[dict[str, int]]:
    moves = [
        {"record": pk, "from": person, "to": to_person}
        for pk, person in SourceRecord.objects.filter(pk__in=records).values_list("pk", "person_id")
        if person != to_person
    ]
    SourceRecord.objects.filter(pk__in=[m["record"] for m in moves]).update(person_id=to_person)
    return moves


def match_decide(
    *, acting_user: User, review: MatchReview, verdict: str, reason: str = "", request: HttpRequest | None = None
) -> MatchDecision:
    """Record a person's decision on a pair and apply it now: 'same person' merges the two persons
    (the older id is kept); 'different people' splits the second record off into a person of its
    own. Every later run keeps to the decision until it is undone."""
    if not has(acting_user, Capability.REVIEW_MATCHES):
        raise ServiceError("You cannot decide on record matches")
    if verdict not in MatchVerdict.values:
        raise ServiceError("Choose same person, different people or unsure")
    if verdict == MatchVerdict.DIFFERENT and not reason.strip():
        raise ServiceError("Say why these are different people")
    with transaction.atomic():
        locked = MatchReview.objects.select_for_update().get(pk=review.pk)
        if locked.status != ReviewStatus.PENDING:
            raise ServiceError("This pair has already been decided")
        now = timezone.now()
        decision = MatchDecision.objects.create(
            record_l_id=locked.record_l_id,
            record_r_id=locked.record_r_id,
            verdict=verdict,
            reason=reason.strip(),
            decided_by=acting_user,
            decided_at=now,
            review=locked,
        )
        locked.status = ReviewStatus.DECIDED
        locked.save(update_fields=["status"])
        # By id, not by the order in_bulk happens to return: 'different people' splits off record_r.
        by_id = SourceRecord.objects.in_bulk([locked.record_l_id, locked.record_r_id])
        left, right = by_id[locked.record_l_id], by_id[locked.record_r_id]
        change: PersonChange | None = None
        if verdict == MatchVerdict.SAME and left.person_id != right.person_id:
            keep, retire = sorted((left.person_id, right.person_id))
            moved = list(SourceRecord.objects.filter(person_id=retire).values_list("pk", flat=True))
            moves = _move_records(moved, keep)
            SourceRecord.objects.filter(pk__in=[left.pk, right.pk]).update(link_method=LinkMethod.REVIEWER)
            Person.objects.filter(pk=retire).update(merged_into_id=keep)
            moves += _move_concerns({retire: keep})
            change = PersonChange.objects.create(
                kind=ChangeKind.MERGE, at=now, decision=decision, person_id=keep, moves=moves
            )
            refresh_person_details([keep])
        elif verdict == MatchVerdict.DIFFERENT and left.person_id == right.person_id:
            new_person = Person.objects.create()
            moves = _move_records([right.pk], new_person.pk)
            SourceRecord.objects.filter(pk=right.pk).update(link_method=LinkMethod.OWN, link_probability=None)
            change = PersonChange.objects.create(
                kind=ChangeKind.SPLIT, at=now, decision=decision, person_id=new_person.pk, moves=moves
            )
            refresh_person_details([left.person_id, new_person.pk])
        audit_record(
            event_type=AuditEventType.MATCH_DECIDED,
            actor=acting_user,
            target_kind="match_review",
            target_id=locked.pk,
            person_id=left.person_id,
            reason=reason.strip(),
            detail={"verdict": verdict, "records": [left.pk, right.pk], "change": change.pk if change else None},
            request=request,
        )
    return decision


def match_decision_undo(*, acting_user: User, decision: MatchDecision, request: HttpRequest | None = None) -> None:
    """Undo a decision: it stops overriding the model, its merge or split is reversed (records go
    back to the persons they came from), and the pair returns to the review queue."""
    if not has(acting_user, Capability.REVIEW_MATCHES):
        raise ServiceError("You cannot undo match decisions")
    with transaction.atomic():
        locked = MatchDecision.objects.select_for_update().get(pk=decision.pk)
        if locked.revoked_at is not None:
            raise ServiceError("This decision has already been undone")
        now = timezone.now()
        locked.revoked_at, locked.revoked_by = now, acting_user
        locked.save(update_fields=["revoked_at", "revoked_by"])
        for change in PersonChange.objects.filter(decision=locked, undone_by__isnull=True):
            reverse_moves = []
            for move in change.moves:
                # Only what is still where the change put it goes back; a later run or decision
                # that moved it again wins.
                if "record" in move:
                    moved = SourceRecord.objects.filter(pk=move["record"], person_id=move["to"]).update(
                        person_id=move["from"]
                    )
                    kind = "record"
                else:
                    moved = Concern.objects.filter(pk=move["concern"], child_id=move["to"]).update(
                        child_id=move["from"]
                    )
                    kind = "concern"
                if moved:
                    Person.objects.filter(pk=move["from"]).update(merged_into=None)
                    reverse_moves.append({kind: move[kind], "from": move["to"], "to": move["from"]})
            undo = PersonChange.objects.create(
                kind=ChangeKind.UNDO, at=now, decision=locked, person_id=change.person_id, moves=reverse_moves
            )
            change.undone_by = undo
            change.save(update_fields=["undone_by"])
            refresh_person_details({m["to"] for m in reverse_moves} | {m["from"] for m in reverse_moves})
        if locked.review is not None:
            review = locked.review
            MatchReview.objects.create(
                record_l_id=review.record_l_id,
                record_r_id=review.record_r_id,
                match_probability=review.match_probability,
                match_weight=review.match_weight,
                explanation=review.explanation,
                same_person_now=review.same_person_now,
                run=review.run,
            )
        audit_record(
            event_type=AuditEventType.MATCH_DECISION_UNDONE,
            actor=acting_user,
            target_kind="match_decision",
            target_id=locked.pk,
            detail={"verdict": locked.verdict, "records": [locked.record_l_id, locked.record_r_id]},
            request=request,
        )
