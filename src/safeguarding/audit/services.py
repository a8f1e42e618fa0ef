"""Writing to the audit trail, and checking it has not been tampered with."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from safeguarding.audit.context import current_context
from safeguarding.audit.models import AuditChainHead, AuditEvent, AuditEventType

GENESIS_HASH = "0" * 64


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
    event.save(force_insert=True)
    AuditChainHead.objects.filter(pk=1).update(row_hash=event.row_hash)
    return event


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    rows_checked: int
    first_bad_sequence: int | None = None
    problem: str = ""


def _rows() -> Iterator[AuditEvent]:
    return AuditEvent.objects.order_by("sequence", "id").iterator(chunk_size=5000)


def audit_verify() -> VerifyResult:
    """Walk the trail in order and report the first row that breaks the chain."""
    expected_previous = GENESIS_HASH
    expected_sequence = 1
    checked = 0
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
    return VerifyResult(True, checked)
