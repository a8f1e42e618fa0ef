"""Writing to the audit trail, and checking it has not been tampered with: the hash chain, each row's
HMAC under a key kept outside the database, and the heads anchored outside the database."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from safeguarding.audit.context import current_context
from safeguarding.audit.models import AuditChainHead, AuditEvent, AuditEventType, AuditPersonShown
from safeguarding.core.errors import ServiceError

GENESIS_HASH = "0" * 64
logger = logging.getLogger(__name__)


def _canonical(event: AuditEvent) -> bytes:
    payload = {
        "sequence": event.sequence,
        "occurred_at": event.occurred_at.isoformat(timespec="microseconds"),
        "event_type": int(event.event_type),
        "actor_id": event.actor_id,
        "actor_label": event.actor_label,
        "actor_agency": event.actor_agency,
        "target_kind": event.target_kind,
        "target_id": event.target_id,
        "person_id": event.person_id,
        "reason": event.reason,
        "detail": event.detail,
        "ip_address": event.ip_address,
        "previous_hash": event.previous_hash,
    }
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str).encode()


def compute_hash(event: AuditEvent) -> str:
    return hashlib.sha256(_canonical(event)).hexdigest()


def compute_mac(event: AuditEvent) -> str:
    """The row's HMAC under the chain's key (settings.AUDIT_CHAIN_KEY, kept outside the database)."""
    key = str(settings.AUDIT_CHAIN_KEY).encode()
    return hmac.new(key, _canonical(event), hashlib.sha256).hexdigest()


class AuditOutsideTransactionError(RuntimeError):
    """audit_record was called outside a transaction: the change it records and its audit row would
    not be committed together."""


def _in_callers_transaction() -> bool:
    """Whether the caller opened a transaction (``transaction.atomic``). The test suite wraps each
    test in transactions of its own; those do not count, so a service that forgets its own
    transaction fails its tests exactly as it would fail in production."""
    connection = transaction.get_connection()
    return any(not getattr(block, "_from_testcase", False) for block in connection.atomic_blocks)


def audit_record(
    *,
    event_type: AuditEventType,
    actor: Any = None,
    actor_label: str = "",
    target_kind: str = "",
    target_id: object = "",
    person_id: int | None = None,
    reason: str = "",
    detail: dict[str, Any] | None = None,
    shown: Iterable[int] = (),
) -> AuditEvent:
    """Append one event to the trail, in the caller's transaction.

    It must be called inside the same ``transaction.atomic`` as the change it records, so that the
    change and its audit row are committed together or not at all: outside one it refuses
    (``AuditOutsideTransactionError``). Where the action came from (a request's address, the
    command line) is read from the audit context (``audit.context``), set by middleware.
    """
    if not _in_callers_transaction():
        raise AuditOutsideTransactionError("audit_record must be called inside the caller's transaction.atomic")
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    label = actor_label or (actor.get_username() if actor is not None else "system")
    agency_code = actor.agency.code if actor is not None and actor.agency_id else ""
    context = current_context()
    # Bump the head first: the UPDATE takes a write lock on every database, so two appends
    # can never both read the same previous hash.
    AuditChainHead.objects.get_or_create(pk=1)
    AuditChainHead.objects.filter(pk=1).update(sequence=F("sequence") + 1)
    head = AuditChainHead.objects.get(pk=1)
    event = AuditEvent(
        sequence=head.sequence,
        occurred_at=timezone.now(),
        event_type=event_type,
        actor=actor,
        actor_label=label[:300],
        actor_agency=agency_code,
        target_kind=target_kind,
        target_id=str(target_id),
        person_id=person_id,
        reason=reason,
        detail=json.loads(json.dumps(detail or {}, default=str)),
        ip_address=context.ip_address,
        previous_hash=head.row_hash,
    )
    event.row_hash = compute_hash(event)
    event.row_mac = compute_mac(event)
    event.save(force_insert=True)
    AuditChainHead.objects.filter(pk=1).update(row_hash=event.row_hash)
    if people := sorted(set(shown)):  # the persons a list, search or download showed (``about_person``)
        AuditPersonShown.objects.bulk_create(AuditPersonShown(sequence=event.sequence, person_id=pk) for pk in people)
    every = int(getattr(settings, "AUDIT_ANCHOR_EVERY", 0) or 0)
    if every and event.sequence % every == 0:
        # Once the row is committed (an anchor to a row rolled back would be a false alarm).
        transaction.on_commit(_anchor_quietly)
    return event


def _anchor_quietly() -> None:
    """The anchor written after a commit, for the request or command whose row it was: whatever goes
    wrong (the anchor store unreachable, its file damaged) is logged and the work goes on, since what it
    recorded is committed already. The scheduled ``audit anchor`` and ``audit verify`` say so too."""
    try:
        audit_anchor()
    except Exception:
        logger.exception("Could not write the audit trail's anchor to %s", settings.AUDIT_ANCHOR_FILE)


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    rows_checked: int
    first_bad_sequence: int | None = None
    problem: str = ""
    anchors_checked: int = 0


def _rows() -> Iterator[AuditEvent]:
    return AuditEvent.objects.order_by("sequence", "id").iterator(chunk_size=5000)


def audit_verify(*, anchors: Path | None = None) -> VerifyResult:
    """Walk the trail in order and report the first row that breaks the chain, whose HMAC is wrong
    (edited with the hashes recomputed), or that differs from a head anchored outside the database
    (the whole trail rewritten)."""
    expected_previous = GENESIS_HASH
    expected_sequence = 1
    checked = 0
    keyed = False
    for event in _rows():
        checked += 1
        if event.sequence != expected_sequence:
            if event.sequence > expected_sequence:
                problem = (
                    f"rows {expected_sequence} to {event.sequence - 1} are missing (deleted)"
                    if event.sequence - expected_sequence > 1
                    else f"row {expected_sequence} is missing (deleted)"
                )
            else:
                problem = f"row {event.sequence} appears out of order (inserted)"
            return VerifyResult(False, checked, event.sequence, problem)
        if event.previous_hash != expected_previous:
            return VerifyResult(
                False,
                checked,
                event.sequence,
                f"row {event.sequence} does not follow the row before it (inserted or replaced)",
            )
        if compute_hash(event) != event.row_hash:
            return VerifyResult(False, checked, event.sequence, f"row {event.sequence} was edited after it was written")
        if event.row_mac:
            keyed = True
            if not hmac.compare_digest(compute_mac(event), event.row_mac):
                return VerifyResult(
                    False, checked, event.sequence,
                    f"row {event.sequence} was edited after it was written (its key mark does not match: "
                    "the chain was recomputed by someone without the key, or the key has changed)",
                )
        elif keyed:
            return VerifyResult(
                False, checked, event.sequence, f"row {event.sequence} has lost its key mark (edited after it was written)"
            )
        expected_previous = event.row_hash
        expected_sequence += 1
    head = AuditChainHead.objects.filter(pk=1).first()
    if head is not None and head.sequence != expected_sequence - 1:
        if head.sequence > expected_sequence - 1:
            return VerifyResult(
                False,
                checked,
                expected_sequence,
                f"rows {expected_sequence} to {head.sequence} are missing from the end (deleted)",
            )
        return VerifyResult(False, checked, head.sequence + 1, f"row {head.sequence + 1} was added outside the hub")
    if head is not None and checked and head.row_hash != expected_previous:
        return VerifyResult(
            False, checked, expected_sequence - 1, f"row {expected_sequence - 1} does not match the chain head"
        )
    return _against_anchors(checked, anchors or Path(settings.AUDIT_ANCHOR_FILE))


def _against_anchors(checked: int, path: Path) -> VerifyResult:
    """Each head written outside the database must still be in the trail as it was (an anchor file that
    cannot be read is a failure to verify: the anchors it held cannot vouch for the trail)."""
    try:
        anchors = read_anchors(path)
    except AnchorFileDamaged as exc:
        return VerifyResult(False, checked, None, str(exc))
    if not anchors:
        return VerifyResult(True, checked)
    rows = {
        sequence: (row_hash, row_mac)
        for sequence, row_hash, row_mac in AuditEvent.objects.filter(
            sequence__in=[a["sequence"] for a in anchors]
        ).values_list("sequence", "row_hash", "row_mac")
    }
    for anchor in anchors:
        found = rows.get(anchor["sequence"])
        if found is None:
            return VerifyResult(
                False, checked, anchor["sequence"],
                f"row {anchor['sequence']}, anchored outside the database on {anchor['at']}, is missing (deleted)",
                anchors_checked=len(anchors),
            )
        if found != (anchor["row_hash"], anchor["row_mac"]):
            return VerifyResult(
                False, checked, anchor["sequence"],
                f"row {anchor['sequence']} differs from the head anchored outside the database on {anchor['at']}: "
                "the trail has been rewritten",
                anchors_checked=len(anchors),
            )
    return VerifyResult(True, checked, anchors_checked=len(anchors))


class AnchorFileDamaged(ServiceError):
    """The anchor file cannot be read, or a line of it is not an anchor as ``audit_anchor`` writes one."""


# Each line of the anchor file: the head's sequence, hash and key mark (none on rows from before keys), when.
_ANCHOR_FIELDS: dict[str, tuple[tuple[type, ...], str]] = {
    "sequence": ((int,), "a whole number"), "row_hash": ((str,), "text"), "row_mac": ((str, type(None)), "text or null"),
    "at": ((str,), "text"),
}


def read_anchors(path: Path) -> list[dict[str, Any]]:
    """The anchors written to ``path``, oldest first; ``AnchorFileDamaged`` naming the line and the
    reason if a line is not one (cut short by a full disk, say)."""
    if not path.exists():
        return []
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise AnchorFileDamaged(f"anchor file {path} cannot be read: {reason}") from exc
    anchors = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            anchor = json.loads(line)
        except json.JSONDecodeError as exc:
            raise AnchorFileDamaged(f"anchor file {path} line {number} is damaged: {exc.msg} (column {exc.colno})") from exc
        problem = _anchor_problem(anchor)
        if problem:
            raise AnchorFileDamaged(f"anchor file {path} line {number} is damaged: {problem}")
        anchors.append(anchor)
    return anchors


def _anchor_problem(anchor: object) -> str:
    if not isinstance(anchor, dict):
        return "not an anchor"
    for field, (types, kind) in _ANCHOR_FIELDS.items():
        if field not in anchor:
            return f"it has no {field}"
        if not isinstance(anchor[field], types) or isinstance(anchor[field], bool):
            return f"its {field} is not {kind}"
    return ""


def audit_anchor(*, path: Path | None = None) -> dict[str, Any] | None:
    """Append the chain's latest head to the anchor file (outside the database), for ``audit_verify``
    to check against; nothing when the trail is empty or the head is anchored already. A damaged anchor
    file is not added to (``AnchorFileDamaged``); the file cannot be written: ``OSError``."""
    target = path or Path(settings.AUDIT_ANCHOR_FILE)
    last = AuditEvent.objects.order_by("-sequence").values("sequence", "row_hash", "row_mac").first()
    if last is None:
        return None
    anchors = read_anchors(target)
    if anchors and anchors[-1]["sequence"] == last["sequence"]:
        return None
    anchor = {**last, "at": timezone.now().isoformat(timespec="seconds")}
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(anchor, sort_keys=True) + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    return anchor
