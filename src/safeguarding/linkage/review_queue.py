"""The review queue a linkage run leaves for people: the pairs in the review band, links kept apart because
they would give one person two NHS numbers, UPNs or PNC ids, and pairs of different persons sharing an
identifier (data-quality problems, never a reason to merge blindly)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from django.utils import timezone

from safeguarding.core.bulk import BulkTable
from safeguarding.linkage.models import LinkageRun, MatchReview, ReviewPriority, ReviewStatus
from safeguarding.linkage.pipeline import contributions_from_pair
from safeguarding.linkage.scoring import explain_pairs
from safeguarding.linkage.sources import persons_worked_with, worked_with_in_words

Pair = tuple[int, int]
_REVIEWS = BulkTable(MatchReview)


# At most this many shared-identifier pairs are explained and queued per run; the rest wait for the
# next run (each needs its own small scoring query, and a flood would bury the ordinary queue).
MAX_FLAGGED_PER_RUN = 200
# Reviews no longer wanted are marked a batch of ids at a time (SQLite takes at most 32,766 values a query).
SUPERSEDE_BATCH = 5000
KEPT_APART = ("The model links these records, but they are kept apart: linking them would put records holding "
              "different NHS numbers, unique pupil numbers or PNC ids, or records people have said are different "
              "people, in one person")
IDENTIFIER_WORDS = {"nhs_number": "NHS number", "upn": "unique pupil number", "pnc_id": "PNC id"}


def _priority(worked_with: list[str], flag: str | None) -> ReviewPriority:
    """A pair's place in the queue: touching a child the partnership works with, then an identifier
    problem, then the rest."""
    if worked_with:
        return ReviewPriority.WORKED_WITH
    return ReviewPriority.SHARED_IDENTIFIER if flag else ReviewPriority.UNCERTAIN


def flagged_pairs(conflicts: pa.Table, records: pa.Table, result: Any) -> dict[Pair, dict[str, Any]]:
    """Pairs of different persons sharing an NHS number, UPN or PNC id: a data-quality problem
    for review, never a reason to merge blindly. Each gets the model's explanation."""
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


@dataclass(frozen=True)
class QueueCounts:
    """What a run left for people: the pairs queued, by why, and the uncertain pairs beyond the limit."""

    queued: int
    worked_with: int
    shared_identifier: int
    uncertain: int
    left_to_model: int


def refresh_review_queue(
    *, run: LinkageRun, result: Any, persons: tuple[np.ndarray, np.ndarray], decided: set[Pair],
    flagged: dict[Pair, dict[str, Any]], limit: int,
) -> QueueCounts:
    """Pending reviews become this run's queue: pairs already pending keep their place (and get the new
    score); pairs no longer wanted are marked superseded; decided pairs never return.

    The queue is the pairs whose decision matters, most first: every pair in the review band, with an
    identifier problem (sharing one, or kept apart by two), that involves a child the partnership is working
    with (linkage.sources); then pairs with an identifier problem; then the rest of the band, the likeliest
    matches first (the model keeps them apart, so the likelier a match, the likelier the model is wrong), up
    to ``limit`` pairs in all. The band beyond the limit is left to the model: those pairs stay apart, as
    below the lower threshold."""
    # Not the labels and per-comparison weights: the explanation is rebuilt from the levels (gamma_*).
    band = result.review.select([c for c in result.review.column_names
                                 if not c.startswith(("label_", "mw_"))]).to_pylist()
    wanted: dict[Pair, dict[str, Any]] = {}
    for row in band:
        pair = (min(row["unique_id_l"], row["unique_id_r"]), max(row["unique_id_l"], row["unique_id_r"]))
        if pair not in decided:
            wanted[pair] = row
    for row in wanted.values():
        if row.get("kept_apart"):
            row["flag"] = KEPT_APART
    for pair, row in flagged.items():
        if pair in decided:
            continue
        if pair in wanted:
            wanted[pair]["flag"] = row["flag"]  # uncertain anyway: say why it matters
        else:
            wanted[pair] = row
    # Each wanted record's person after the run, looked up in the run's (record, person) arrays.
    record_ids, person_of = persons
    wanted_ids = np.fromiter({r for pair in wanted for r in pair}, np.int64)
    at = np.minimum(np.searchsorted(record_ids, wanted_ids), max(len(record_ids) - 1, 0))
    person_of_record = {
        r: p for r, p, found in zip(wanted_ids.tolist(), person_of[at].tolist(),
                                    (record_ids[at] == wanted_ids).tolist(), strict=True) if found
    } if len(record_ids) else {}
    worked_with = persons_worked_with() if wanted else {}
    for pair, row in wanted.items():
        ways = [w for r in pair for w in worked_with.get(person_of_record.get(r, -1), [])]
        row["worked_with"] = worked_with_in_words(ways)
        row["priority"] = _priority(ways, row.get("flag"))
    ranked = sorted(wanted, key=lambda pair: (wanted[pair]["priority"], -wanted[pair]["match_probability"], pair))
    must_see = sum(1 for pair in ranked if wanted[pair]["priority"] == ReviewPriority.WORKED_WITH)
    kept = ranked[:max(limit, must_see)]
    left_to_model = len(ranked) - len(kept)
    wanted = {pair: wanted[pair] for pair in kept}

    pending = {
        (left, right): pk
        for pk, left, right in MatchReview.objects.filter(status=ReviewStatus.PENDING).values_list(
            "pk", "record_l_id", "record_r_id"
        )
    }
    stale = [pk for pair, pk in pending.items() if pair not in wanted]
    # Only while still pending: a pair a reviewer decided since it was read stays decided.
    for start in range(0, len(stale), SUPERSEDE_BATCH):
        MatchReview.objects.filter(pk__in=stale[start : start + SUPERSEDE_BATCH], status=ReviewStatus.PENDING).update(
            status=ReviewStatus.SUPERSEDED)
    to_update: list[dict[str, Any]] = []
    to_create: list[dict[str, Any]] = []
    for pair, row in wanted.items():
        values = {
            "match_probability": row["match_probability"],
            "match_weight": row["match_weight"],
            "explanation": row.get("explanation") or [c._asdict() for c in contributions_from_pair(row, result.model)],
            "same_person_now": person_of_record.get(pair[0]) == person_of_record.get(pair[1]),
            "run_id": run.pk,
            "flag": row.get("flag", ""),
            "priority": int(row["priority"]),
            "worked_with": row["worked_with"][:300],
        }
        if pair in pending:
            to_update.append({"id": pending[pair], **values})
        else:
            to_create.append({"record_l_id": pair[0], "record_r_id": pair[1], **values})
    _REVIEWS.update(to_update, ["match_probability", "match_weight", "explanation", "same_person_now", "run", "flag",
                                "priority", "worked_with"])
    _REVIEWS.insert(to_create, timezone.now())
    by_priority = {p: sum(1 for row in wanted.values() if row["priority"] == p) for p in ReviewPriority}
    return QueueCounts(queued=len(wanted), worked_with=by_priority[ReviewPriority.WORKED_WITH],
                       shared_identifier=by_priority[ReviewPriority.SHARED_IDENTIFIER],
                       uncertain=by_priority[ReviewPriority.UNCERTAIN], left_to_model=left_to_model)


def review_priorities_refresh() -> int:
    """The pairs waiting for review ordered again by whom the partnership works with now: a run sets each
    pair's order when it queues it, and a concern, alert, plan or referral about one of its children since
    left the pair among the uncertain until the next run (the demo links before it scans: no pair came
    first). Run on a schedule (``workflows.scheduled``) and after the demo's casework. Returns how many
    pairs moved."""
    pending = list(MatchReview.objects.filter(status=ReviewStatus.PENDING).values_list(
        "pk", "record_l__person__root_id", "record_r__person__root_id", "flag", "priority", "worked_with"))
    if not pending:
        return 0
    worked_with = persons_worked_with()
    moved: list[tuple[int, int, str]] = []
    for pk, left, right, flag, priority, words in pending:
        ways = [*worked_with.get(left, []), *(worked_with.get(right, []) if right != left else [])]
        order, said = _priority(ways, flag), worked_with_in_words(ways)
        if (int(order), said) != (priority, words):
            moved.append((pk, int(order), said))
    # Only pairs still pending when written: one decided meanwhile keeps its decision's state.
    for pk, rank, said in moved:
        MatchReview.objects.filter(pk=pk, status=ReviewStatus.PENDING).update(priority=rank, worked_with=said)
    return len(moved)
