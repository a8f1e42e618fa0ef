"""Every change to agencies and users, each audited in the same transaction."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.db import transaction

from safeguarding.accounts.models import Agency, User
from safeguarding.audit.models import AuditEventType
from safeguarding.audit.services import audit_record
from safeguarding.core.errors import ServiceError


def sign_in_recorded(*, user: User) -> None:
    with transaction.atomic():
        audit_record(
            event_type=AuditEventType.SIGNED_IN, actor=user, target_kind="user", target_id=user.pk
        )


def sign_in_failed_recorded(*, username: str) -> None:
    # Whether the name exists is not recorded, so the trail cannot be used to enumerate accounts
    # by whoever reads it, but the name typed is kept for the data protection officer.
    with transaction.atomic():
        audit_record(
            event_type=AuditEventType.SIGN_IN_FAILED,
            actor_label=f"unauthenticated ({username[:150] or 'no username'})",
            target_kind="username",
            target_id=username[:120],
        )


def sign_out_recorded(*, user: User) -> None:
    with transaction.atomic():
        audit_record(
            event_type=AuditEventType.SIGNED_OUT, actor=user, target_kind="user", target_id=user.pk
        )


def agency_create(
    *, acting_user: User | None, code: str, name: str, kind: str
) -> Agency:
    with transaction.atomic():
        if Agency.objects.filter(code=code).exists():
            raise ServiceError(f"An agency with the code {code} already exists")
        agency = Agency.objects.create(code=code, name=name, kind=kind)
        audit_record(
            event_type=AuditEventType.AGENCY_CREATED,
            actor=acting_user,
            target_kind="agency",
            target_id=agency.pk,
            detail={"code": code, "name": name, "kind": kind},
        )
    return agency


def agency_update(
    *, acting_user: User, agency: Agency, name: str, kind: str, is_active: bool
) -> Agency:
    with transaction.atomic():
        before = {"name": agency.name, "kind": agency.kind, "is_active": agency.is_active}
        agency.name, agency.kind, agency.is_active = name, kind, is_active
        agency.save(update_fields=["name", "kind", "is_active"])
        after = {"name": name, "kind": kind, "is_active": is_active}
        audit_record(
            event_type=AuditEventType.AGENCY_CHANGED,
            actor=acting_user,
            target_kind="agency",
            target_id=agency.pk,
            detail={"before": before, "after": after},
        )
    return agency


def user_create(
    *,
    acting_user: User | None,
    username: str,
    password: str,
    agency: Agency | None,
    role: str,
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    job_title: str = "",
    validate: bool = True,
) -> User:
    with transaction.atomic():
        if User.objects.filter(username__iexact=username).exists():
            raise ServiceError(f"A user with the username {username} already exists")
        user = User(
            username=username,
            agency=agency,
            role=role,
            first_name=first_name,
            last_name=last_name,
            email=email,
            job_title=job_title,
        )
        if validate:
            validate_password(password, user)
        user.set_password(password)
        user.save()
        audit_record(
            event_type=AuditEventType.USER_CREATED,
            actor=acting_user,
            target_kind="user",
            target_id=user.pk,
            detail={"username": username, "agency": agency.code if agency else None, "role": role},
        )
    return user


def user_update(
    *,
    acting_user: User,
    user: User,
    agency: Agency | None,
    role: str,
    is_active: bool,
    first_name: str,
    last_name: str,
    email: str,
    job_title: str,
) -> User:
    if user.pk == acting_user.pk and not is_active:
        raise ServiceError("You cannot deactivate your own account")
    with transaction.atomic():
        fields = ("agency_id", "role", "is_active", "first_name", "last_name", "email", "job_title")
        before: dict[str, Any] = {f: getattr(user, f) for f in fields}
        user.agency = agency
        user.role, user.is_active = role, is_active
        user.first_name, user.last_name, user.email, user.job_title = first_name, last_name, email, job_title
        user.save(update_fields=["agency", "role", "is_active", "first_name", "last_name", "email", "job_title"])
        after = {f: getattr(user, f) for f in fields}
        audit_record(
            event_type=AuditEventType.USER_CHANGED,
            actor=acting_user,
            target_kind="user",
            target_id=user.pk,
            detail={"before": before, "after": after},
        )
    return user
