"""Running record linkage over every agency's records and applying it to the hub's persons, with
stable person ids; and people's match decisions, which override the model and can be undone."""

from __future__ import annotations

import datetime as dt
import json
import time
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from django.conf import settings as django_settings
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from safeguarding.accounts.access import Capability, has
from safeguarding.accounts.models import User
from safeguarding.audit.models import AuditEventType
from safeguarding.audit.services import audit_record
from safeguarding.core.errors import ServiceError
from safeguarding.frontdoor.models import Concern
from safeguarding.linkage.base import INPUT_COLUMNS, LinkageSettings, Progress
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
from safeguarding.people.models import LinkMethod, Person, PersonRole, SourceRecord

BATCH = 5000
Pair = tuple[int, int]


def linkage_settings(**overrides: Any) -> LinkageSettings:
    """The partnership's thresholds (settings LINKAGE_LOWER_THRESHOLD / LINKAGE_UPPER_THRESHOLD),
    with any overrides for one run."""
    values: dict[str, Any] = {
        "lower_threshold": django_settings.LINKAGE_LOWER_THRESHOLD,
        "upper_threshold": django_settings.LINKAGE_UPPER_THRESHOLD,
        "spark_master": django_settings.LINKAGE_SPARK_MASTER,
    }
    values.update({k: v for k, v in overrides.items() if v is not None})
    return LinkageSettings(**values)


# --- loading the records ---------------------------------------------------------------------

_FIELDS = [c for c in INPUT_COLUMNS if c not in ("unique_id", "source_system")]


def load_records(*, progress: Progress | None = None) -> tuple[pa.Table, dict[int, int]]:
    """Every source record as the pipeline's input table, and each record's current person.
    Read in chunks into Arrow, so a million records are not held as Django objects."""
    total = SourceRecord.objects.count()
    chunks: list[pa.Table] = []
    current: dict[int, int] = {}
    columns: dict[str, list[Any]] = {c: [] for c in INPUT_COLUMNS}
    rows = SourceRecord.objects.order_by("pk").values_list("pk", "person_id", "source_system__code", *_FIELDS)
    for done, row in enumerate(rows.iterator(chunk_size=BATCH), start=1):
        pk, person_id, system, *values = row
        current[pk] = person_id
        columns["unique_id"].append(pk)
        columns["source_system"].append(system)
        for name, value in zip(_FIELDS, values, strict=True):
            columns[name].append(value)
        if done % 50_000 == 0:
            chunks.append(_to_table(columns))
            columns = {c: [] for c in INPUT_COLUMNS}
            if progress:
                progress("load", done, total)
    chunks.append(_to_table(columns))
    if progress:
        progress("load", total, total)
    return pa.concat_tables(chunks), current


def _to_table(columns: dict[str, list[Any]]) -> pa.Table:
    arrays = {
        name: pa.array(
            values, pa.int64() if name == "unique_id" else pa.bool_() if name == "nhs_number_valid" else pa.string()
        )
        for name, values in columns.items()
    }
    return pa.table(arrays)


# --- stable identities -----------------------------------------------------------------------


@dataclass
class Assignment:
    """Which person each record belongs to after a run, and what that changed."""

    person_of_cluster: dict[int, int | None]  # cluster id -> kept person id (None: a new person)
    merged_into: dict[int, int]  # retired person -> the person it was merged into
    moves: list[tuple[int, int, int | None, int]] = field(default_factory=list)  # record, from, to, cluster


def assign_persons(clusters: dict[int, int], current: dict[int, int]) -> Assignment:
    """Give each cluster a person id so that ids stay stable across runs.

    Each existing person belongs to the cluster holding most of its records (its home). A cluster
    keeps the oldest (lowest id) person at home there; the other persons at home there are merged
    into it. A cluster where no person is at home (records split off from persons at home
    elsewhere) gets a new person. So a person whose records did not change keeps their id, and a
    merge keeps the older id.
    """
    counts: Counter[tuple[int, int]] = Counter((clusters[r], p) for r, p in current.items())
    home: dict[int, tuple[int, int]] = {}  # person -> (count, -cluster) best so far
    for (cluster_id, person), n in counts.items():
        best = home.get(person)
        if best is None or (n, -cluster_id) > best:
            home[person] = (n, -cluster_id)
    at_home: dict[int, list[int]] = defaultdict(list)
    for person, (_, neg_cluster) in home.items():
        at_home[-neg_cluster].append(person)
    person_of_cluster: dict[int, int | None] = {}
    merged_into: dict[int, int] = {}
    for cluster_id in set(clusters.values()):
        persons = sorted(at_home.get(cluster_id, []))
        if persons:
            person_of_cluster[cluster_id] = persons[0]
            for other in persons[1:]:
                merged_into[other] = persons[0]
        else:
            person_of_cluster[cluster_id] = None
    moves = []
    for record, person in current.items():
        cluster_id = clusters[record]
        target = person_of_cluster[cluster_id]
        if target != person:
            moves.append((record, person, target, cluster_id))
    return Assignment(person_of_cluster, merged_into, moves)


def refresh_person_details(person_ids: Iterable[int]) -> None:
    """Set each person's display fields from the records behind them: the most common name and
    date of birth, a valid NHS number, the latest postcode; a child if any agency says so."""
    ids = list(set(person_ids))
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        records: dict[int, list[Any]] = defaultdict(list)
        for r in SourceRecord.objects.filter(person_id__in=chunk).values(
            "person_id",
            "given_name",
            "family_name",
            "date_of_birth",
            "sex",
            "role",
            "nhs_number",
            "nhs_number_valid",
            "postcode",
            "updated_at",
            "pk",
        ):
            records[r["person_id"]].append(r)
        persons = list(Person.objects.filter(pk__in=chunk))
        for person in persons:
            rs = records.get(person.pk, [])
            if not rs:
                continue
            person.given_name = _most_common(r["given_name"] for r in rs)
            person.family_name = _most_common(r["family_name"] for r in rs)
            full_dates = [r["date_of_birth"] for r in rs if len(r["date_of_birth"] or "") == 10]
            person.date_of_birth = _most_common(full_dates) or _most_common(r["date_of_birth"] for r in rs)
            person.sex = _most_common(r["sex"] for r in rs if r["sex"] in ("F", "M", "X"))
            person.nhs_number = _most_common(r["nhs_number"] for r in rs if r["nhs_number_valid"])
            roles = {r["role"] for r in rs}
            person.role = (
                PersonRole.CHILD
                if PersonRole.CHILD in roles
                else (PersonRole.ADULT if PersonRole.ADULT in roles else "")
            )
            latest = max(
                rs,
                key=lambda r: (
                    r["updated_at"] is not None and bool(r["postcode"]),
                    r["updated_at"] or dt.datetime.min.replace(tzinfo=dt.UTC),
                    r["pk"],
                ),
            )
            person.postcode = latest["postcode"] or _most_common(r["postcode"] for r in rs)
        Person.objects.bulk_update(
            persons,
            ["given_name", "family_name", "date_of_birth", "sex", "nhs_number", "role", "postcode"],
            batch_size=BATCH,
        )


def _most_common(values: Iterable[str | None]) -> str:
    counted = Counter(v for v in values if v)
    if not counted:
        return ""
    return sorted(counted.items(), key=lambda kv: (-kv[1], kv[0]))[0][0]


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
) -> RunResult:
    """Link every source record into persons and apply it, keeping person ids stable.
    ``overrides`` sets other LinkageSettings for this run (e.g. link_within_source=False)."""
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
        records, current = load_records(progress=progress)
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
        )
        timings.update(result.timings)
        conflicts = conflicting_identifiers(result.clusters, records, pairs=result.pairs)
        started = time.perf_counter()
        if saved is None:
            saved = _save_model(result.model, model_to_json(result.model), engine=engine, records=records.num_rows)
        with transaction.atomic():
            counts = _apply(
                run=run,
                result=result,
                current=current,
                must=must,
                decided=decided,
                progress=progress,
                conflicts=conflicts,
                records=records,
            )
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
    return RunResult(run=run, counts=counts, timings=run.timings)


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
    current: dict[int, int],
    must: list[Pair],
    decided: set[Pair],
    progress: Progress | None,
    conflicts: pa.Table,
    records: pa.Table,
) -> dict[str, int]:
    clusters_table = result.clusters
    ids = clusters_table.column("unique_id").to_pylist()
    cluster_ids = clusters_table.column("cluster_id").to_pylist()
    probabilities = clusters_table.column("match_probability").to_pylist()
    clusters = dict(zip(ids, cluster_ids, strict=True))
    probability = dict(zip(ids, probabilities, strict=True))
    assignment = assign_persons(clusters, current)

    # New persons for clusters nobody is at home in.
    new_clusters = [c for c, p in assignment.person_of_cluster.items() if p is None]
    created = Person.objects.bulk_create([Person() for _ in new_clusters], batch_size=BATCH)
    for cluster_id, new_person in zip(new_clusters, created, strict=True):
        assignment.person_of_cluster[cluster_id] = new_person.pk

    # Records: their person, and how they came to it.
    size = Counter(clusters.values())
    reviewer_linked = {r for pair in must for r in pair}
    updates: list[SourceRecord] = []
    changed_persons: set[int] = set()
    for record, cluster_id in clusters.items():
        person_id = assignment.person_of_cluster[cluster_id]
        assert person_id is not None
        if size[cluster_id] == 1:
            method, p = LinkMethod.OWN, None
        elif record in reviewer_linked or probability.get(record) is None:
            method, p = LinkMethod.REVIEWER, probability.get(record)
        else:
            method, p = LinkMethod.MODEL, probability[record]
        updates.append(SourceRecord(pk=record, person_id=person_id, link_method=method, link_probability=p))
        if current[record] != person_id:
            changed_persons.update((current[record], person_id))
    for start in range(0, len(updates), BATCH):
        SourceRecord.objects.bulk_update(updates[start : start + BATCH], ["person", "link_method", "link_probability"])
        if progress:
            progress("apply", min(start + BATCH, len(updates)), len(updates))

    # Retired persons point to the person they were merged into; a person at home again is not retired.
    kept = {p for p in assignment.person_of_cluster.values() if p is not None}
    Person.objects.filter(pk__in=kept, merged_into__isnull=False).update(merged_into=None)
    retired_objs = [Person(pk=r, merged_into_id=t) for r, t in assignment.merged_into.items()]
    Person.objects.bulk_update(retired_objs, ["merged_into"], batch_size=BATCH)
    concern_moves = _move_concerns(assignment.merged_into)

    # History: one change per person that received records.
    now = timezone.now()
    moves_by_target: dict[int, list[dict[str, int]]] = defaultdict(list)
    for record, source, _target, cluster_id in assignment.moves:
        receiver = assignment.person_of_cluster[cluster_id]
        assert receiver is not None
        moves_by_target[receiver].append({"record": record, "from": source, "to": receiver})
    for move in concern_moves:
        moves_by_target[move["to"]].append(move)
    changes = []
    merges = splits = 0
    for target, moves in moves_by_target.items():
        sources = {m["from"] for m in moves if "record" in m}
        is_merge = any(assignment.merged_into.get(s) == target for s in sources)
        merges += is_merge
        splits += not is_merge
        changes.append(
            PersonChange(
                kind=ChangeKind.MERGE if is_merge else ChangeKind.SPLIT, at=now, run=run, person_id=target, moves=moves
            )
        )
    PersonChange.objects.bulk_create(changes, batch_size=BATCH)
    refresh_person_details(changed_persons | {t for t in moves_by_target})

    reviews = _refresh_review_queue(
        run=run, result=result, clusters=clusters, decided=decided, flagged=_flagged_pairs(conflicts, records, result)
    )
    multi = sum(1 for n in size.values() if n > 1)
    return {
        "records": len(clusters),
        "persons": len(size),
        "persons_with_several_records": multi,
        "pairs_scored": result.pairs.num_rows,
        "records_moved": len(assignment.moves),
        "merges": merges,
        "splits": splits,
        "new_persons": len(created),
        "review_pairs": reviews,
        "concerns_moved": len(concern_moves),
        "shared_identifiers_flagged": conflicts.num_rows,
    }


# At most this many shared-identifier pairs are explained and queued per run; the rest wait for the
# next run (each needs its own small scoring query, and a flood would bury the ordinary queue).
MAX_FLAGGED_PER_RUN = 200
IDENTIFIER_WORDS = {"nhs_number": "NHS number", "upn": "unique pupil number", "pnc_id": "PNC id"}


def _flagged_pairs(conflicts: pa.Table, records: pa.Table, result: Any) -> dict[Pair, dict[str, Any]]:
    """Pairs of different persons sharing an NHS number, UPN or PNC id: a data-quality problem
    for review, never a reason to merge blindly. Each gets the model's explanation."""
    from safeguarding.linkage.pipeline import explain_pair

    if not conflicts.num_rows:
        return {}
    rows = conflicts.slice(0, MAX_FLAGGED_PER_RUN).to_pylist()
    wanted_ids = {r["unique_id_l"] for r in rows} | {r["unique_id_r"] for r in rows}
    mask = pc.is_in(records.column("unique_id"), value_set=pa.array(sorted(wanted_ids), pa.int64()))
    by_id = {r["unique_id"]: r for r in records.filter(mask).to_pylist()}
    flagged: dict[Pair, dict[str, Any]] = {}
    for row in rows:
        pair = (min(row["unique_id_l"], row["unique_id_r"]), max(row["unique_id_l"], row["unique_id_r"]))
        contributions = explain_pair(by_id[pair[0]], by_id[pair[1]], result.model, settings=result.settings)
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
    *, run: LinkageRun, result: Any, clusters: dict[int, int], decided: set[Pair], flagged: dict[Pair, dict[str, Any]]
) -> int:
    """Pending reviews become this run's review band: pairs already pending keep their place (and
    get the new score); pairs no longer in the band are marked superseded; decided pairs never return."""
    from safeguarding.linkage.pipeline import contributions_from_pair

    band = result.review.to_pylist()
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
    pending = {(r.record_l_id, r.record_r_id): r for r in MatchReview.objects.filter(status=ReviewStatus.PENDING)}
    stale = [r.pk for pair, r in pending.items() if pair not in wanted]
    MatchReview.objects.filter(pk__in=stale).update(status=ReviewStatus.SUPERSEDED)
    to_update: list[MatchReview] = []
    to_create: list[MatchReview] = []
    for pair, row in wanted.items():
        explanation = row.get("explanation") or [c._asdict() for c in contributions_from_pair(row, result.model)]
        flag = row.get("flag", "")
        same_now = clusters.get(pair[0]) == clusters.get(pair[1])
        if pair in pending:
            review = pending[pair]
            review.match_probability, review.match_weight = row["match_probability"], row["match_weight"]
            review.explanation, review.same_person_now, review.run = explanation, same_now, run
            review.flag = flag
            to_update.append(review)
        else:
            to_create.append(
                MatchReview(
                    record_l_id=pair[0],
                    record_r_id=pair[1],
                    match_probability=row["match_probability"],
                    match_weight=row["match_weight"],
                    explanation=explanation,
                    same_person_now=same_now,
                    run=run,
                    flag=flag,
                )
            )
    MatchReview.objects.bulk_update(
        to_update,
        ["match_probability", "match_weight", "explanation", "same_person_now", "run", "flag"],
        batch_size=1000,
    )
    MatchReview.objects.bulk_create(to_create, batch_size=1000)
    return len(wanted)


# --- people's decisions ----------------------------------------------------------------------


def _move_concerns(merged_into: dict[int, int]) -> list[dict[str, int]]:
    """Concerns follow a child into the person they were merged into; the moves are kept for undo."""
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
