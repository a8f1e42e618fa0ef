"""Running record linkage over every agency's records and applying it to the hub's persons, with
stable person ids. The stages, along Splink's own lines: ``load`` (records into Arrow),
``pipeline`` (prepare, train or reuse the model, score, cluster), ``assign`` (which person each
cluster is: pure arrays), ``writeback`` (through the identity room), ``review_queue`` (what people
must look at) and ``decisions`` (what people decided, which overrides the model)."""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings as django_settings
from django.db import transaction
from django.utils import timezone

from safeguarding.audit.models import AuditEventType
from safeguarding.audit.services import audit_record
from safeguarding.core.bulk import compiled_for_the_rest_of_this_transaction
from safeguarding.core.errors import ServiceError
from safeguarding.linkage.base import LinkageSettings, Progress
from safeguarding.linkage.decisions import active_decisions, decisions_mark
from safeguarding.linkage.load import load
from safeguarding.linkage.models import LinkageModelVersion, LinkageRun, RunStatus
from safeguarding.linkage.pipeline import conflicting_identifiers, definition_hash, link, model_from_json, model_to_json
from safeguarding.linkage.review_queue import flagged_pairs, refresh_review_queue
from safeguarding.linkage.writeback import write_back
from safeguarding.people.identity import identity_lock

logger = logging.getLogger(__name__)


def linkage_settings(**overrides: Any) -> LinkageSettings:
    """The partnership's thresholds (settings LINKAGE_LOWER_THRESHOLD / LINKAGE_UPPER_THRESHOLD),
    with any overrides for one run. None for one of the partnership's settings keeps it (a threshold
    not given on the command line); None for another is a value (``twin_match_weight=None``: off).
    Thresholds out of order are refused (``ServiceError``)."""
    values: dict[str, Any] = {
        "lower_threshold": django_settings.LINKAGE_LOWER_THRESHOLD,
        "upper_threshold": django_settings.LINKAGE_UPPER_THRESHOLD,
        "spark_master": django_settings.LINKAGE_SPARK_MASTER,
        "spark_driver_memory": django_settings.LINKAGE_SPARK_DRIVER_MEMORY,
        "spark_shuffle_partitions": django_settings.LINKAGE_SPARK_PARTITIONS,
    }
    values.update({k: v for k, v in overrides.items() if v is not None or k not in values})
    lower, upper = values["lower_threshold"], values["upper_threshold"]
    floor = values.get("min_pair_probability", LinkageSettings.min_pair_probability)
    # (A threshold that is not a number, NaN, fails the comparison too.)
    if not floor <= lower <= upper <= 1:
        raise ServiceError(
            f"The thresholds must be in order {floor:g} <= lower <= upper <= 1 (pairs scored below {floor:g} are "
            f"not kept): the review threshold (lower) is {lower:g} and the link threshold (upper) {upper:g}."
        )
    return LinkageSettings(**values)


# --- a linkage run ---------------------------------------------------------------------------


@dataclass
class RunResult:
    run: LinkageRun
    counts: dict[str, int]
    timings: dict[str, float]
    nothing_to_link: bool = False


# Linkage compares records two by two and trains its model on the pairs: with fewer records than this
# there is nothing to compare or learn from, and a run says so instead of failing.
MIN_RECORDS = 10
NOTHING_TO_LINK = "Nothing to link: the hub holds no records yet (import the agencies' extracts first)."


def too_few_to_link(records: int) -> str:
    """What a run over fewer than ``MIN_RECORDS`` records says: a hub just given a small extract holds
    records, and "import the extracts first" would be false."""
    if not records:
        return NOTHING_TO_LINK
    return (f"Nothing linked: the model learns from the records it compares and needs at least {MIN_RECORDS}; the "
            f"hub holds {records}. Import the other agencies' extracts and run it again.")


class DecidedMeanwhile(ServiceError):
    """A run not applied because a reviewer decided or undid a match while it worked: running it
    again (quick: the scored pairs are kept) works from persons as they are now."""


DECIDED_MEANWHILE = (
    "a reviewer decided or undid a match while this run was working, so the run was not applied (it worked "
    "from persons as they were before the decision): run it again"
)


def _model_for_run(*, retrain: bool) -> tuple[Any, LinkageModelVersion | None]:
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
        # Read before the records and decisions: whatever changes persons after it, the run sees.
        mark = decisions_mark()
        loaded = load(progress=progress)
        records = loaded.records
        timings["load"] = time.perf_counter() - started
        if records.num_rows < MIN_RECORDS:
            return _nothing_to_link(run, records=records.num_rows, initiated_by=initiated_by, timings=timings)
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
        conflicts = conflicting_identifiers(result.clusters, records, pairs=result.pairs, identifiers=result.identifiers)
        timings["identifiers"] = time.perf_counter() - started
        started = time.perf_counter()
        model_text = model_to_json(result.model) if saved is None else ""
        with transaction.atomic():
            # Decisions wait while the run applies; one made while it worked means its view is stale.
            identity_lock()
            if decisions_mark() != mark:
                raise DecidedMeanwhile(DECIDED_MEANWHILE)
            # An 'unsure' made meanwhile changed no person: its pair stays out of the queue.
            decided = active_decisions()[2]
            compiled_for_the_rest_of_this_transaction()
            if saved is None:  # a model trained for this run is kept only with what the run changed
                saved = _save_model(result.model, model_text, engine=engine, records=records.num_rows)
            counts, persons = write_back(
                run_id=run.pk, result=result, state=loaded.state, must=must, now=timezone.now(), progress=progress
            )
            queue = refresh_review_queue(
                run=run, result=result, persons=persons, decided=decided,
                flagged=flagged_pairs(conflicts, records, result), limit=django_settings.LINKAGE_REVIEW_LIMIT,
            )
            counts["review_pairs"] = queue.queued
            counts["review_pairs_worked_with"] = queue.worked_with
            counts["review_pairs_shared_identifier"] = queue.shared_identifier
            counts["review_pairs_uncertain"] = queue.uncertain
            counts["review_band_left_to_model"] = queue.left_to_model
            counts["shared_identifiers_flagged"] = conflicts.num_rows
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
    except BaseException as exc:
        # Interrupted too (Ctrl+C, the process told to stop): the run is never left running.
        _failed(run, exc)
        if not isinstance(exc, Exception):
            raise
        failed = DecidedMeanwhile if isinstance(exc, DecidedMeanwhile) else ServiceError
        raise failed(f"Linkage run {run.pk} failed, and nothing was changed: {exc}") from exc
    run.refresh_from_db()
    # In the order the stages ran (PostgreSQL's jsonb keeps its keys in an order of its own).
    return RunResult(run=run, counts=counts, timings={k: round(v, 3) for k, v in timings.items()})


def _failed(run: LinkageRun, exc: BaseException) -> None:
    """Mark the run failed, saying why ("interrupted" for Ctrl+C), as the importer marks its runs."""
    message = "interrupted" if isinstance(exc, KeyboardInterrupt) else (str(exc) or type(exc).__name__)
    try:
        LinkageRun.objects.filter(pk=run.pk).update(status=RunStatus.FAILED, finished_at=timezone.now(),
                                                    failure=message[:2000])
    except Exception:
        # The database may be what failed; the caller still hears why the run did.
        logger.exception("could not mark linkage run %s as failed", run.pk)


def _nothing_to_link(run: LinkageRun, *, records: int, initiated_by: str, timings: dict[str, float]) -> RunResult:
    """A run over a hub with too few records to compare (none yet, say): it says so and changes nothing."""
    counts = {"records": records, "persons": records, "pairs_scored": 0, "records_moved": 0, "review_pairs": 0}
    with transaction.atomic():
        run.status = RunStatus.COMPLETED
        run.finished_at = timezone.now()
        run.counts, run.timings = counts, {k: round(v, 3) for k, v in timings.items()}
        run.note = too_few_to_link(records)
        run.save(update_fields=["status", "finished_at", "counts", "timings", "note"])
        audit_record(
            event_type=AuditEventType.LINKAGE_RUN,
            actor_label=initiated_by,
            target_kind="linkage_run",
            target_id=run.pk,
            detail={"counts": counts, "model": None, "engine": run.engine, "note": run.note},
        )
    return RunResult(run=run, counts=counts, timings=run.timings, nothing_to_link=True)


def _save_model(model: Any, text: str, *, engine: str, records: int) -> LinkageModelVersion:
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
