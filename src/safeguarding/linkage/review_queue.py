"""The review queue a linkage run leaves for people: the pairs in the review band, and pairs of
different persons sharing an identifier (a data-quality problem, never a reason to merge blindly)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from django.utils import timezone

from safeguarding.core.bulk import BulkTable
from safeguarding.linkage.models import LinkageRun, MatchReview, ReviewStatus
from safeguarding.linkage.pipeline import contributions_from_pair
from safeguarding.linkage.scoring import explain_pairs

Pair = tuple[int, int]
_REVIEWS = BulkTable(MatchReview)


# At most this many shared-identifier pairs are explained and queued per run; the rest wait for the
# next run (each needs its own small scoring query, and a flood would bury the ordinary queue).
MAX_FLAGGED_PER_RUN = 200
IDENTIFIER_WORDS = {"nhs_number": "NHS number", "upn": "unique pupil number", "pnc_id": "PNC id"}


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


def refresh_review_queue(
    *, run: LinkageRun, result: Any, clusters: tuple[np.ndarray, np.ndarray], decided: set[Pair],
    flagged: dict[Pair, dict[str, Any]],
) -> int:
    """Pending reviews become this run's review band: pairs already pending keep their place (and
    get the new score); pairs no longer in the band are marked superseded; decided pairs never return."""
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
