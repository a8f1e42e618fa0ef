"""The audit trail is a hash chain: any edit, deletion or out-of-order insertion is found."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from safeguarding.audit import triggers
from safeguarding.audit.context import audit_context
from safeguarding.audit.models import AuditEvent, AuditEventType
from safeguarding.audit.services import (
    GENESIS_HASH,
    AuditOutsideTransactionError,
    audit_anchor,
    audit_record,
    audit_verify,
    compute_hash,
    read_anchors,
)


def _write(n: int) -> list[AuditEvent]:
    with transaction.atomic():
        return [
            audit_record(
                event_type=AuditEventType.PERSON_VIEWED,
                actor_label=f"tester {i}",
                target_kind="person",
                target_id=i,
                person_id=i,
            )
            for i in range(n)
        ]


@pytest.mark.django_db
def test_an_audit_row_is_refused_outside_the_callers_transaction() -> None:
    """The change and its audit row commit together or not at all: a service that forgets its
    transaction fails here (the test suite's own transactions do not count), and writes nothing."""
    with pytest.raises(AuditOutsideTransactionError):
        audit_record(event_type=AuditEventType.PERSON_VIEWED, actor_label="tester", target_kind="person")
    assert not AuditEvent.objects.exists()


@pytest.mark.django_db
def test_an_audit_row_records_where_the_action_came_from() -> None:
    with audit_context(ip_address="192.0.2.7", channel="web"), transaction.atomic():
        event = audit_record(event_type=AuditEventType.SIGNED_IN, actor_label="tester")
    assert event.ip_address == "192.0.2.7"
    with transaction.atomic():
        assert audit_record(event_type=AuditEventType.SIGNED_IN, actor_label="tester").ip_address == ""


def _sql(statement: str, params: list[object] | None = None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params or [])


@pytest.mark.django_db
def test_rows_chain_and_verify_passes() -> None:
    events = _write(5)
    assert [e.sequence for e in events] == [1, 2, 3, 4, 5]
    assert events[1].previous_hash == events[0].row_hash
    result = audit_verify()
    assert result.ok and result.rows_checked == 5


@pytest.mark.django_db
def test_edited_row_is_found() -> None:
    _write(5)
    _sql("UPDATE audit_auditevent SET actor_label = 'someone else' WHERE sequence = 3")
    result = audit_verify()
    assert not result.ok
    assert result.first_bad_sequence == 3
    assert "edited" in result.problem


@pytest.mark.django_db
def test_deleted_row_is_found() -> None:
    _write(5)
    _sql("DELETE FROM audit_auditevent WHERE sequence = 2")
    result = audit_verify()
    assert not result.ok and result.first_bad_sequence == 3
    assert "row 2 is missing" in result.problem


@pytest.mark.django_db
def test_rows_deleted_from_the_end_are_found() -> None:
    _write(5)
    _sql("DELETE FROM audit_auditevent WHERE sequence >= 4")
    result = audit_verify()
    assert not result.ok and result.first_bad_sequence == 4
    assert "missing from the end" in result.problem


@pytest.mark.django_db
def test_row_inserted_out_of_order_is_found() -> None:
    events = _write(3)
    # A forged row given the sequence number of an existing row's place, re-hashed to look right.
    forged = AuditEvent.objects.get(sequence=2)
    _sql("DELETE FROM audit_auditevent WHERE sequence = 2")
    forged.pk = None
    forged.actor_label = "forger"
    forged.previous_hash = events[2].row_hash  # chained onto the wrong row
    forged.save(force_insert=True)
    result = audit_verify()
    assert not result.ok and result.first_bad_sequence == 2


@pytest.mark.django_db
def test_database_refuses_update_and_delete() -> None:
    """And TRUNCATE on PostgreSQL (SQLite has no TRUNCATE: its DELETE without a WHERE is refused above)."""
    _write(2)
    with transaction.atomic():
        triggers.run(connection, triggers.INSTALL)  # as migrated; the test database runs without them
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            _sql("UPDATE audit_auditevent SET reason = 'changed' WHERE sequence = 1")
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            _sql("DELETE FROM audit_auditevent WHERE sequence = 1")
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            _sql("DELETE FROM audit_auditevent")
        if connection.vendor == "postgresql":
            _sql("SET CONSTRAINTS ALL IMMEDIATE")  # TRUNCATE waits for no queued checks of the rows written
            with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
                _sql("TRUNCATE audit_auditevent CASCADE")
        transaction.set_rollback(True)
    assert AuditEvent.objects.count() == 2


@pytest.mark.django_db
def test_audit_verify_command_names_the_first_bad_row() -> None:
    _write(4)
    call_command("audit", "verify")  # intact: no error
    _sql("UPDATE audit_auditevent SET reason = 'quietly changed' WHERE sequence = 2")
    with pytest.raises(CommandError, match="row 2"):
        call_command("audit", "verify")


@pytest.mark.django_db
def test_actor_is_kept_apart_from_target(make_user) -> None:  # type: ignore[no-untyped-def]
    user = make_user()
    with transaction.atomic():
        event = audit_record(
            event_type=AuditEventType.PERSON_VIEWED, actor=user, target_kind="person", target_id=42, person_id=42
        )
    assert event.actor == user and event.actor_label == user.username
    assert event.actor_agency == user.agency.code
    assert (event.target_kind, event.target_id, event.person_id) == ("person", "42", 42)


@pytest.mark.django_db
def test_an_edited_row_with_the_chain_recomputed_is_found_by_its_key_mark() -> None:
    """Someone with write access to the database edits a row and recomputes every hash after it: the
    chain is whole again, but without the key (kept outside the database) the key marks are not."""
    events = _write(5)
    edited = AuditEvent.objects.get(sequence=3)
    edited.reason = "nothing to see here"
    previous = events[1].row_hash
    for event in AuditEvent.objects.filter(sequence__gte=3).order_by("sequence"):
        if event.sequence == 3:
            event.reason = edited.reason
        event.previous_hash = previous
        event.row_hash = compute_hash(event)
        previous = event.row_hash
        _sql("UPDATE audit_auditevent SET reason = %s, previous_hash = %s, row_hash = %s WHERE id = %s",
             [event.reason, event.previous_hash, event.row_hash, event.pk])
    _sql("UPDATE audit_auditchainhead SET row_hash = %s", [previous])
    result = audit_verify()
    assert not result.ok and result.first_bad_sequence == 3 and "key mark" in result.problem


@pytest.mark.django_db
def test_a_key_mark_removed_from_a_row_is_found() -> None:
    _write(4)
    _sql("UPDATE audit_auditevent SET row_mac = NULL WHERE sequence = 3")
    result = audit_verify()
    assert not result.ok and result.first_bad_sequence == 3 and "lost its key mark" in result.problem


@pytest.mark.django_db
def test_a_rewrite_from_the_start_is_found_by_the_anchors_kept_outside_the_database(settings) -> None:  # type: ignore[no-untyped-def]
    """Even someone who has the key too cannot rewrite the trail unnoticed once its head has been
    written outside the database: the rewritten rows no longer match the anchors."""
    _write(3)
    call_command("audit", "anchor")
    assert read_anchors(settings.AUDIT_ANCHOR_FILE)[-1]["sequence"] == 3
    _sql("DELETE FROM audit_auditevent")
    _sql("UPDATE audit_auditchainhead SET sequence = 0, row_hash = %s", [GENESIS_HASH])
    with transaction.atomic():
        for i in range(3):
            audit_record(event_type=AuditEventType.SIGNED_IN, actor_label=f"someone else {i}")
    result = audit_verify()
    assert not result.ok and "rewritten" in result.problem
    with pytest.raises(CommandError, match="rewritten"):
        call_command("audit", "verify")


@pytest.mark.django_db
def test_anchoring_again_adds_a_line_only_when_the_trail_has_grown(settings) -> None:  # type: ignore[no-untyped-def]
    assert audit_anchor() is None  # nothing to anchor
    _write(2)
    assert audit_anchor()["sequence"] == 2  # type: ignore[index]
    assert audit_anchor() is None
    _write(1)
    assert audit_anchor()["sequence"] == 3  # type: ignore[index]
    assert [a["sequence"] for a in read_anchors(settings.AUDIT_ANCHOR_FILE)] == [2, 3]
    assert audit_verify().anchors_checked == 2


@pytest.mark.django_db
def test_there_is_no_window_that_switches_the_append_only_rule_off() -> None:
    tables = connection.introspection.table_names()
    assert "audit_maintenance_window" not in tables


@pytest.mark.django_db(transaction=True)
def test_the_hub_anchors_by_itself_every_so_many_rows(settings) -> None:  # type: ignore[no-untyped-def]
    settings.AUDIT_ANCHOR_EVERY = 3
    for _ in range(7):
        _write(1)
    assert [a["sequence"] for a in read_anchors(settings.AUDIT_ANCHOR_FILE)] == [3, 6]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("damage", "reason"),
    [('{"at": "2026-12-01T10:00:00+00:00", "row_hash": "ab', "line 2 is damaged: Unterminated string"),
     ('{"sequence": 2}', "line 2 is damaged: it has no row_hash"),
     ('{"sequence": "two", "row_hash": "ab", "row_mac": null, "at": "today"}',
      "line 2 is damaged: its sequence is not a whole number"),
     ('[1, 2]', "line 2 is damaged: not an anchor")],
)
def test_a_damaged_anchor_file_is_reported_by_its_line_and_fails_verification(settings, damage: str, reason: str) -> None:  # type: ignore[no-untyped-def]
    _write(2)
    audit_anchor()
    path = settings.AUDIT_ANCHOR_FILE
    with path.open("a", encoding="utf-8") as handle:
        handle.write(damage + "\n")  # a line cut short (a full disk), or not an anchor at all
    kept = path.read_text(encoding="utf-8")
    result = audit_verify()
    assert not result.ok and result.problem.startswith(f"anchor file {path} {reason}")
    with pytest.raises(CommandError, match=f"^Audit trail not verified: anchor file .* {reason}"):
        call_command("audit", "verify")
    _write(1)
    with pytest.raises(CommandError, match=f"{reason}.*: nothing was anchored"):
        call_command("audit", "anchor")
    assert path.read_text(encoding="utf-8") == kept  # nothing added to a damaged file


@pytest.mark.django_db
def test_a_request_whose_row_is_due_an_anchor_is_not_failed_by_a_damaged_anchor_file(  # type: ignore[no-untyped-def]
    settings, make_user, caplog, django_capture_on_commit_callbacks
) -> None:
    """The agency is made and the administrator told so, though the anchor after it could not be written:
    the problem is logged, for the scheduled anchor and verify to report."""
    from django.test import Client
    from django.urls import reverse

    from safeguarding.accounts.models import Agency, AgencyKind, Role
    from tests.factories import sign_in

    admin = make_user(role=Role.ADMINISTRATOR, agency_kind=AgencyKind.COUNCIL)
    settings.AUDIT_ANCHOR_EVERY = 1  # every row's commit is followed by an anchor
    settings.AUDIT_ANCHOR_FILE.write_text('{"sequence": 1, "row_ha\n', encoding="utf-8")
    client = sign_in(Client(), admin)
    with django_capture_on_commit_callbacks(execute=True) as anchors:
        response = client.post(reverse("accounts:agency-new"),
                               {"code": "east-youth", "name": "East youth service", "kind": AgencyKind.COUNCIL})
    assert response.status_code == 302 and Agency.objects.filter(code="east-youth").exists()
    assert anchors  # the anchor was due, and tried
    assert "Could not write the audit trail's anchor" in caplog.text and "line 1 is damaged" in caplog.text
