"""Every change to agencies, users, passwords, second factors and access, each audited in the same
transaction. Raising anyone's access waits for a second administrator (``AccessChange``); no one
changes their own role, agency or ability to sign in."""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import threading
import time
import unicodedata
from typing import Any

from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db import IntegrityError, models, transaction
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from safeguarding.accounts import mfa, selectors
from safeguarding.accounts.access import (
    CAPABILITY_VALUES,
    NOT_FOR_OWN_ROLES,
    Capability,
    capabilities_of,
    has,
    needs_in_words,
    raises_access,
    role_assignable,
)
from safeguarding.accounts.models import Agency, CustomRole, Role, User
from safeguarding.accounts.security.models import (
    AccessChange,
    AccessChangeKind,
    AccessChangeStatus,
    SetUpLink,
    SingleSignOnIdentity,
    TemporaryPassword,
)
from safeguarding.audit.models import AuditEventType
from safeguarding.audit.services import audit_record
from safeguarding.core.errors import ServiceError
from safeguarding.core.jobs import run_in_background

logger = logging.getLogger(__name__)


def sign_in_recorded(*, user: User) -> None:
    with transaction.atomic():
        audit_record(
            event_type=AuditEventType.SIGNED_IN, actor=user, target_kind="user", target_id=user.pk
        )


def sign_in_failed_recorded(*, username: str, locked: bool = False) -> None:
    # Whether the name exists is not recorded, so the trail cannot be used to enumerate accounts
    # by whoever reads it, but the name typed is kept for the data protection officer.
    with transaction.atomic():
        audit_record(
            event_type=AuditEventType.SIGN_IN_FAILED,
            actor_label=f"unauthenticated ({username[:150] or 'no username'})",
            target_kind="username",
            target_id=username[:120],
            detail={"refused_while_locked": True} if locked else {},
        )


def signed_out_session_ended_recorded(*, user: User) -> None:
    with transaction.atomic():
        audit_record(
            event_type=AuditEventType.SIGNED_OUT_SESSION_ENDED,
            actor=user,
            target_kind="user",
            target_id=user.pk,
            detail={"after_seconds": settings.SESSION_ABSOLUTE_SECONDS},
        )


def sign_out_recorded(*, user: User) -> None:
    with transaction.atomic():
        audit_record(
            event_type=AuditEventType.SIGNED_OUT, actor=user, target_kind="user", target_id=user.pk
        )


def _fields_checked(model: type[models.Model], values: dict[str, tuple[str, object]]) -> None:
    """Each value as its column would take it (length, characters, blank, choices: the field's own
    validators), else a ServiceError naming the field: ``values`` maps a field to its label and value."""
    for name, (label, value) in values.items():
        field = model._meta.get_field(name)
        assert isinstance(field, models.Field)  # a column of the model's own, not a relation's reverse
        try:
            field.clean(value, None)
        except ValidationError as exc:
            raise ServiceError(f"{label}: {' '.join(exc.messages)}", field=name) from None


def agency_check(*, code: str, name: str, kind: str) -> None:
    """What ``agency_create`` refuses, checked before anything is written (the command line asks it
    first, so that nothing is made before a later check fails). Codes are lower case: one differing only
    by case is the same code."""
    code = code.lower()
    _fields_checked(Agency, {"code": ("The agency's code", code), "name": ("The agency's name", name),
                             "kind": ("The kind of agency", kind)})
    if Agency.objects.filter(code=code).exists():
        raise ServiceError(f"An agency with the code {code} already exists", field="code")


def agency_create(
    *, acting_user: User | None, code: str, name: str, kind: str
) -> Agency:
    code = code.lower()
    agency_check(code=code, name=name, kind=kind)
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


# --- the partnership's own roles --------------------------------------------------------------------


def custom_role_create(*, acting_user: User, name: str, capabilities: list[str], description: str = "") -> CustomRole:
    """A role of the partnership's own: a name and the capabilities it grants. It is offered when
    users are made or changed; giving it to someone raises their access like any role, for a second
    administrator to approve. What it grants never changes (make another role and move its users)."""
    if not has(acting_user, Capability.MANAGE_ACCOUNTS):
        raise ServiceError("Only an administrator can define roles")
    name = " ".join(unicodedata.normalize("NFKC", name or "").split())
    if any(unicodedata.category(ch) in ("Cc", "Cf") for ch in name):
        raise ServiceError("Use letters, numbers, spaces and punctuation in the role's name", field="name")
    if not name:
        raise ServiceError("Enter the role's name", field="name")
    if len(name) > 100:
        raise ServiceError("Keep the role's name to 100 characters or fewer", field="name")
    chosen = sorted(set(capabilities))
    if not chosen or any(c not in CAPABILITY_VALUES for c in chosen):
        raise ServiceError("Choose what the role lets its users do", field="capabilities")
    if {Capability(c) for c in chosen} & NOT_FOR_OWN_ROLES:
        raise ServiceError("Managing accounts and roles, and changing the tools, stay with the administrator role",
                           field="capabilities")
    lacking = needs_in_words(frozenset(Capability(c) for c in chosen))
    if lacking:
        raise ServiceError(lacking, field="capabilities")
    if any(frozenset(Capability(c) for c in chosen) == capabilities_of(role) for role in Role.values):
        raise ServiceError("A built-in role grants exactly that: give users that role instead", field="capabilities")
    slug = "-".join("".join(ch if ch.isalnum() else " " for ch in name.lower()).split())[:30].strip("-")
    with transaction.atomic():
        built_in = {str(label).casefold() for label in Role.labels} | {
            str(label).split(" or ")[0].casefold() for label in Role.labels} | set(Role.values)
        if CustomRole.objects.filter(name__iexact=name).exists() or name.casefold() in built_in:
            raise ServiceError(f"A role called {name} already exists", field="name")
        code, number = f"own-{slug or 'role'}", 1
        while CustomRole.objects.filter(code=code).exists():
            number += 1
            code = f"own-{slug or 'role'}-{number}"
        try:
            with transaction.atomic():
                role = CustomRole.objects.create(code=code, name=name, description=(description or "").strip(),
                                                 capabilities=chosen, created_by=acting_user,
                                                 created_at=timezone.now())
        except IntegrityError as exc:  # another administrator defined one of that name at the same moment
            raise ServiceError(f"A role called {name} already exists", field="name") from exc
        audit_record(event_type=AuditEventType.ROLE_CREATED, actor=acting_user, target_kind="role", target_id=code,
                     detail={"name": name, "capabilities": chosen})
    return role


def custom_role_retire(*, acting_user: User, role: CustomRole) -> CustomRole:
    """No longer offered. Refused while anyone holds it (active or not): move them to another role first."""
    if not has(acting_user, Capability.MANAGE_ACCOUNTS):
        raise ServiceError("Only an administrator can retire roles")
    with transaction.atomic():
        locked = CustomRole.objects.select_for_update().get(pk=role.pk)
        if locked.retired_at is not None:
            raise ServiceError("That role is already retired")
        held = User.objects.filter(role=locked.code).count()
        if held:
            raise ServiceError(f"{held:,} user{'s' if held != 1 else ''} still hold{'s' if held == 1 else ''} "
                               "this role: give them another role first")
        asked = AccessChange.objects.filter(status=AccessChangeStatus.PENDING, kind=AccessChangeKind.ACCESS,
                                            after__role=locked.code).count()
        if asked:
            raise ServiceError(f"{asked:,} change{'s' if asked != 1 else ''} of access awaiting approval "
                               f"give{'s' if asked == 1 else ''} this role: approve or refuse them first")
        locked.retired_at = timezone.now()
        locked.save(update_fields=["retired_at"])
        audit_record(event_type=AuditEventType.ROLE_RETIRED, actor=acting_user, target_kind="role",
                     target_id=locked.code, detail={"name": locked.name})
    return locked


def agency_update(
    *, acting_user: User, agency: Agency, name: str, kind: str, is_active: bool
) -> Agency:
    """Rename an agency, change its kind, or mark it inactive (a project that closes). Marking it inactive
    deactivates its staff's accounts there and then (their open sessions end at their next request), each
    audited; marking it active again lets no one back in by itself: each account is let back in as any
    deactivated account is, with a second administrator's approval. No one deactivates their own agency."""
    if not is_active and agency.is_active and acting_user is not None and acting_user.agency_id == agency.pk:
        raise ServiceError("You cannot mark your own agency inactive: it would sign you out with it. Ask another "
                           "administrator", field="is_active")
    with transaction.atomic():
        before = {"name": agency.name, "kind": agency.kind, "is_active": agency.is_active}
        closing = agency.is_active and not is_active
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
        if closing:
            for user in User.objects.select_for_update().filter(agency=agency, is_active=True):
                user.is_active = False
                user.save(update_fields=["is_active"])
                withdrawn = _set_up_links_withdraw(user, why="account deactivated")
                audit_record(event_type=AuditEventType.USER_CHANGED, actor=acting_user, target_kind="user",
                             target_id=user.pk, reason=f"{agency.name} marked inactive",
                             detail={"before": {"is_active": True}, "after": {"is_active": False},
                                     **({"set_up_links_withdrawn": withdrawn} if withdrawn else {})})
    return agency


def _access_of(user: User) -> dict[str, Any]:
    """The fields that decide what someone may see and do."""
    return {"role": user.role, "agency_id": user.agency_id, "is_active": user.is_active}


def _access_change_request(
    *,
    subject: User,
    kind: AccessChangeKind,
    requested_by: User | None,
    requested_by_label: str = "",
    before: dict[str, Any],
    after: dict[str, Any],
    reason: str,
) -> AccessChange:
    """Record a change that waits for a second administrator (inside the caller's transaction)."""
    if AccessChange.objects.filter(subject=subject, kind=kind, status=AccessChangeStatus.PENDING).exists():
        raise ServiceError(
            f"{subject.username} already has a change of this kind awaiting approval. "
            "Approve or refuse it under Access approvals first"
        )
    change = AccessChange.objects.create(
        subject=subject,
        kind=kind,
        requested_by=requested_by,
        requested_by_label=(requested_by_label or (requested_by.username if requested_by else "system"))[:200],
        requested_at=timezone.now(),
        reason=reason[:2000],
        before=before,
        after=after,
        address=subject.email.strip(),
    )
    audit_record(
        event_type=AuditEventType.ACCESS_CHANGE_REQUESTED,
        actor=requested_by,
        actor_label=requested_by_label,
        target_kind="user",
        target_id=subject.pk,
        reason=reason,
        detail={"change": change.pk, "kind": kind, "before": before, "after": after, "address": change.address},
    )
    return change


def user_check(
    *, username: str, role: str, first_name: str = "", last_name: str = "", email: str = "", job_title: str = ""
) -> None:
    """What ``user_create`` refuses in the new account's own fields, checked before anything is written
    (the command line asks it before the password and before making an agency): the username as Django's
    own validator and the column take it, the names' and job title's lengths, the e-mail address, the role."""
    _fields_checked(User, {
        "username": ("The username", username), "first_name": ("The first name", first_name),
        "last_name": ("The last name", last_name), "email": ("The e-mail address", email),
        "job_title": ("The job title", job_title),
    })
    if not role_assignable(role):
        raise ServiceError("Choose a role the hub offers", field="role")
    if User.objects.filter(username__iexact=username).exists():
        raise ServiceError(f"A user with the username {username} already exists", field="username")


def user_create(
    *,
    acting_user: User | None,
    username: str,
    password: str = "",
    agency: Agency | None,
    role: str,
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    job_title: str = "",
    validate: bool = True,
    password_is_temporary: bool = True,
    reason: str = "",
) -> User:
    """A new account. An administrator's new account grants access, so it cannot sign in until a
    second administrator approves it; no administrator chooses its password (whoever knew it could sign
    in first and set up their own authenticator): the approval e-mails the person a set-up link to
    choose their own. Accounts made by the hub itself (the demo, the command line: no acting user) apply
    at once, with the password given, which must be changed at the first sign-in when temporary."""
    user_check(username=username, role=role, first_name=first_name, last_name=last_name, email=email,
               job_title=job_title)
    if acting_user is not None and password:
        raise ServiceError("An administrator does not choose a new account's password: the hub e-mails the "
                           "person a link to choose their own", field="password")
    if acting_user is not None and not email.strip():
        raise ServiceError("Enter their e-mail address: the hub sends them a link there to choose their own "
                           "password", field="email")
    if acting_user is None and not password:
        raise ServiceError("Enter a temporary password", field="password")
    if agency is not None and not agency.is_active:
        raise ServiceError(f"{agency.name} is marked inactive: its staff cannot sign in", field="agency")
    with transaction.atomic():
        if not role_assignable(role, lock=True):
            raise ServiceError("Choose a role the hub offers", field="role")
        if User.objects.filter(username__iexact=username).exists():
            raise ServiceError(f"A user with the username {username} already exists", field="username")
        needs_approval = acting_user is not None
        user = User(
            username=username,
            agency=agency,
            role=role,
            first_name=first_name,
            last_name=last_name,
            email=email,
            job_title=job_title,
            is_active=not needs_approval,
        )
        if needs_approval:
            user.set_unusable_password()  # until they choose one through their set-up link
        else:
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
        if password_is_temporary and not needs_approval:
            TemporaryPassword.objects.create(user=user, set_by=acting_user, set_at=timezone.now())
        if needs_approval:
            _access_change_request(
                subject=user,
                kind=AccessChangeKind.ACCESS,
                requested_by=acting_user,
                before=_access_of(user),
                after={**_access_of(user), "is_active": True},
                reason=reason or "New account",
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
    reason: str = "",
) -> AccessChange | None:
    """Names and job title change at once. A change of access that lowers it (a role with fewer
    capabilities, deactivating) applies at once; one that raises it is recorded as pending and
    returned, for a second administrator to approve. No one changes their own access.

    The e-mail address is where a set-up link goes, so it is the way into an account with no second
    factor yet: it does not change while a change of the account's access awaits approval (the approval
    is bound to the address it was asked with), and who changed it is recorded on the account, so that
    neither they nor a change they ask for sends a link to it (``_set_up_link_issue``)."""
    after_access = {"role": role, "agency_id": agency.pk if agency else None, "is_active": is_active}
    own_access = "You cannot change your own role, agency or whether you can sign in. Ask another administrator"
    if _access_of(user) != after_access and user.pk == acting_user.pk:
        raise ServiceError(own_access)
    if not has(acting_user, Capability.MANAGE_ACCOUNTS):
        raise ServiceError("Only an administrator can change users")
    with transaction.atomic():
        # The row as it is now, locked (an approval locks it too): no change of access is approved between
        # the check below and this change of address, nor applied to a copy read before it.
        User.objects.select_for_update().filter(pk=user.pk).values_list("pk").get()
        user.refresh_from_db()
        before_access = _access_of(user)
        access_changed = before_access != after_access
        if access_changed and user.pk == acting_user.pk:
            raise ServiceError(own_access)
        if role != user.role and not role_assignable(role, lock=True):
            raise ServiceError("Choose a role the hub offers", field="role")
        profile = ("first_name", "last_name", "email", "job_title")
        before_profile = {f: getattr(user, f) for f in profile}
        email_changed = email != user.email
        if email_changed and AccessChange.objects.filter(subject=user, status=AccessChangeStatus.PENDING).exists():
            raise ServiceError(f"A change for {user.username} awaits approval, and a set-up link its approval sends "
                               "goes to the address it was asked with: change the e-mail address once it is approved "
                               "or refused", field="email")
        user.first_name, user.last_name, user.email, user.job_title = first_name, last_name, email, job_title
        after_profile = {f: getattr(user, f) for f in profile}
        changed_fields = ["agency", "role", "is_active", *profile]
        if email_changed:
            user.email_changed_by, user.email_changed_at = acting_user, timezone.now()
            changed_fields += ["email_changed_by", "email_changed_at"]
        raising = access_changed and raises_access(before=before_access, after=after_access)
        if access_changed and not raising:
            user.agency = agency
            user.role, user.is_active = role, is_active
        user.save(update_fields=changed_fields)
        # A link sent to an address no longer theirs, or to an account that can no longer sign in, stops working.
        withdrawn = 0
        if not user.is_active and before_access["is_active"]:
            withdrawn = _set_up_links_withdraw(user, why="account deactivated")
        elif before_profile["email"] != after_profile["email"]:
            withdrawn = _set_up_links_withdraw(user, why="e-mail address changed")
        if before_profile != after_profile or (access_changed and not raising):
            audit_record(
                event_type=AuditEventType.USER_CHANGED,
                actor=acting_user,
                target_kind="user",
                target_id=user.pk,
                reason=reason,
                detail={
                    "before": {**before_profile, **before_access},
                    "after": {**after_profile, **_access_of(user)},
                    **({"set_up_links_withdrawn": withdrawn} if withdrawn else {}),
                },
            )
        if raising:
            return _access_change_request(
                subject=user,
                kind=AccessChangeKind.ACCESS,
                requested_by=acting_user,
                before=before_access,
                after=after_access,
                reason=reason,
            )
    return None


# --- approving and refusing changes of access ---------------------------------------------------


def _second_administrator_check(*, acting_user: User, change: AccessChange) -> None:
    if not has(acting_user, Capability.MANAGE_ACCOUNTS):
        raise ServiceError("Only an administrator can approve a change of access")
    if change.requested_by_id is not None and change.requested_by_id == acting_user.pk:
        raise ServiceError("You asked for this change, so another administrator must approve it")
    if change.subject_id == acting_user.pk:
        raise ServiceError("This change is to your own account, so another administrator must approve it")
    # No administrator asked (single sign-on's groups did): whoever defined the role given is not the second.
    role = (change.after or {}).get("role", "")
    if change.requested_by_id is None and role not in Role.values \
            and CustomRole.objects.filter(code=role, created_by=acting_user).exists():
        raise ServiceError("You defined the role this change gives, so another administrator must approve it")


def _pending_locked(change: AccessChange) -> AccessChange:
    locked = AccessChange.objects.select_for_update().get(pk=change.pk)
    if locked.status != AccessChangeStatus.PENDING:
        raise ServiceError("This change has already been approved or refused")
    return locked


def access_change_approve(
    *, acting_user: User, change: AccessChange, reason: str = "", set_up_link_to: str | None = None
) -> AccessChange:
    """A second administrator approves: the change is applied now, if the account is still as it was
    when the change was asked for, its e-mail address included (a set-up link the approval sends goes
    there). ``set_up_link_to`` is where the approval page said a link would go ("" for nowhere): the
    approval is refused if that is no longer so (None: not from a page)."""
    with transaction.atomic():
        change = _pending_locked(change)
        _second_administrator_check(acting_user=acting_user, change=change)
        subject = User.objects.select_for_update().get(pk=change.subject_id)
        if change.address is not None and subject.email.strip() != change.address:
            raise ServiceError(f"{subject.username}'s e-mail address has changed since this was asked for. "
                               "Refuse it, and ask again")
        sends_link = selectors.set_up_link_on_approval(change, subject)
        # Why no link may go (a change asked for before the hub recorded its address, say) first: it is the
        # reason the approver needs, where the page's address would otherwise only differ.
        if sends_link and (barrier := selectors.set_up_link_barrier(user=subject, sent_by=acting_user, change=change)):
            raise ServiceError(barrier)
        if set_up_link_to is not None and set_up_link_to != ((change.address or "") if sends_link else ""):
            raise ServiceError("Where this approval e-mails a set-up link has changed since the page was loaded. "
                               "Look at it again")
        if change.kind == AccessChangeKind.ACCESS:
            if _access_of(subject) != change.before:
                raise ServiceError(
                    f"{subject.username}'s access has changed since this was asked for. Refuse it, and ask again"
                )
            if change.after["role"] != subject.role and not role_assignable(change.after["role"], lock=True):
                raise ServiceError("The role asked for is no longer offered (it was retired). Refuse this, and ask again")
            subject.role = change.after["role"]
            subject.agency_id = change.after["agency_id"]
            subject.is_active = change.after["is_active"]
            subject.save(update_fields=["role", "agency", "is_active"])
            # A new account has no password yet: its person is e-mailed a link to choose their own.
            if sends_link:
                _set_up_link_issue(user=subject, sent_by=acting_user, change=change)
        else:
            removed = _second_factor_remove(subject)
            # Any session still open (a laptop lost with the phone) ends: else it would set up its own factor.
            subject.sessions_ended_at = timezone.now()
            # A password an administrator set (before the reset) would now let them set up their own
            # authenticator and hold the account: it stops working, and the person is sent a set-up link.
            voided = TemporaryPassword.objects.filter(user=subject, set_by__isnull=False).delete()[0] > 0
            if voided:
                subject.set_unusable_password()
            subject.save(update_fields=["sessions_ended_at", "password"])
            # A link withdrawn when the person set up the factor now removed must not work again.
            withdrawn = _set_up_links_withdraw(subject, why="second factor reset")
            audit_record(
                event_type=AuditEventType.SECOND_FACTOR_RESET,
                actor=acting_user,
                target_kind="user",
                target_id=subject.pk,
                reason=change.reason,
                detail={"change": change.pk, "devices_removed": removed, "asked_by": change.requested_by_label,
                        **({"temporary_password_voided": True} if voided else {}),
                        **({"set_up_links_withdrawn": withdrawn} if withdrawn else {})},
            )
            if sends_link:
                _set_up_link_issue(user=subject, sent_by=acting_user, change=change)
        change.status = AccessChangeStatus.APPROVED
        change.decided_by, change.decided_at, change.decision_reason = acting_user, timezone.now(), reason[:2000]
        change.save(update_fields=["status", "decided_by", "decided_at", "decision_reason"])
        audit_record(
            event_type=AuditEventType.ACCESS_CHANGE_APPROVED,
            actor=acting_user,
            target_kind="user",
            target_id=subject.pk,
            reason=reason,
            detail={
                "change": change.pk,
                "kind": change.kind,
                "before": change.before,
                "after": change.after,
                "asked_by": change.requested_by_label,
                **({"set_up_link_to": change.address} if sends_link else {}),
            },
        )
    return change


def access_change_refuse(*, acting_user: User, change: AccessChange, reason: str) -> AccessChange:
    """Any administrator may refuse (the one who asked, to withdraw it), with a reason; nothing changes."""
    if not reason.strip():
        raise ServiceError("Enter why you are refusing this change", field="reason")
    if not has(acting_user, Capability.MANAGE_ACCOUNTS):
        raise ServiceError("Only an administrator can refuse a change of access")
    with transaction.atomic():
        change = _pending_locked(change)
        change.status = AccessChangeStatus.REFUSED
        change.decided_by, change.decided_at, change.decision_reason = acting_user, timezone.now(), reason[:2000]
        change.save(update_fields=["status", "decided_by", "decided_at", "decision_reason"])
        audit_record(
            event_type=AuditEventType.ACCESS_CHANGE_REFUSED,
            actor=acting_user,
            target_kind="user",
            target_id=change.subject_id,
            reason=reason,
            detail={"change": change.pk, "kind": change.kind, "after": change.after},
        )
    return change


# --- passwords -----------------------------------------------------------------------------------


def password_change(*, user: User, current_password: str, new_password: str) -> None:
    """The user chooses their own password; a temporary one is then no longer in force. Raises
    Django's ValidationError for a password the validators refuse."""
    if not user.has_usable_password():
        raise ServiceError("Your password is managed by your organisation's sign-in, not by the hub")
    if not user.check_password(current_password):
        raise ServiceError("The current password is not right", field="current_password")
    if new_password == current_password:
        raise ServiceError("Enter a new password, not the one you have now", field="new_password")
    validate_password(new_password, user)
    with transaction.atomic():
        user.set_password(new_password)
        user.save(update_fields=["password"])
        was_temporary = TemporaryPassword.objects.filter(user=user).delete()[0] > 0
        audit_record(
            event_type=AuditEventType.PASSWORD_CHANGED,
            actor=user,
            target_kind="user",
            target_id=user.pk,
            detail={"was_temporary": was_temporary},
        )


def password_set_temporary(*, acting_user: User, user: User, password: str) -> None:
    """An administrator sets a temporary password (a forgotten one) for an account that has a second
    factor; it must be changed at the next sign-in. It does not touch the second factor, so it alone does
    not give anyone the account. An account with no second factor yet is sent a set-up link instead."""
    if user.pk == acting_user.pk:
        raise ServiceError("Change your own password on the Change your password page", field="password")
    if not has(acting_user, Capability.MANAGE_ACCOUNTS):
        raise ServiceError("Only an administrator can set a temporary password")
    if SingleSignOnIdentity.objects.filter(user=user).exists():
        # Their provider vouches for them; a password here would be a second way in that it does not guard.
        raise ServiceError("This person signs in through their organisation's single sign-on: their password is "
                           "reset there", field="password")
    if not selectors.has_second_factor(user):
        # Whoever knew the password could sign in first and set up their own authenticator.
        raise ServiceError(f"{user.username} has no second factor yet, so no administrator may know a password "
                           "for their account: send them a set-up link instead", field="password")
    validate_password(password, user)
    with transaction.atomic():
        user.set_password(password)
        user.save(update_fields=["password"])
        TemporaryPassword.objects.update_or_create(
            user=user, defaults={"set_by": acting_user, "set_at": timezone.now()}
        )
        audit_record(
            event_type=AuditEventType.TEMPORARY_PASSWORD_SET,
            actor=acting_user,
            target_kind="user",
            target_id=user.pk,
        )


# --- set-up links: an account with no second factor yet gets no password from anyone -----------------

SET_UP_LINK_SALT = "safeguarding.accounts.set-up-link"
SET_UP_LINK_HOURS = 72


SET_UP_LINK_REFUSALS = {
    "expired": "This link has expired. Ask your administrator to send you a new one",
    "not-right": "This link is not right. Check you copied all of it from the e-mail, or ask your administrator "
                 "to send you a new one",
    "withdrawn": "This link no longer works. Ask your administrator to send you a new one",
    "used": "This link has already been used. Sign in with the password chosen with it. If you did not use it "
            "yourself, tell your administrator now",
    "replaced": "A newer link has been sent to you: use the latest e-mail",
    "account": "This link no longer works. Ask your administrator",
    "not-opened": "Open the link in the e-mail the hub sent you",
}


class SetUpLinkRefused(ServiceError):
    """A set-up link that does not work: ``why`` is which way (a key of ``SET_UP_LINK_REFUSALS``, safe to
    put in an address), the message why in words for the person who opened it."""

    def __init__(self, why: str) -> None:
        super().__init__(SET_UP_LINK_REFUSALS[why])
        self.why = why


def set_up_link_send(*, acting_user: User, user: User) -> SetUpLink:
    """An administrator sends (or sends again) a set-up link to a person whose account has no second
    factor yet: e-mailed to the address on their account, it lets them choose their own password and then
    set up their authenticator. Any earlier link stops working. Refused where a link would be a way in for
    someone else: an account with a second factor (a temporary password is safe there), one that signs
    in through single sign-on, one that cannot sign in, and an address the sending administrator set
    themselves (another administrator sends it: else changing the address to one's own, then sending,
    would hold the account)."""
    if not has(acting_user, Capability.MANAGE_ACCOUNTS):
        raise ServiceError("Only an administrator can send a set-up link")
    if user.pk == acting_user.pk:
        raise ServiceError("You cannot send yourself a set-up link. Ask another administrator")
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        if SingleSignOnIdentity.objects.filter(user=user).exists():
            raise ServiceError("This person signs in through their organisation's single sign-on: the hub keeps "
                               "no password for them")
        if selectors.has_second_factor(user):
            raise ServiceError(f"{user.username} already has a second factor. If they have forgotten their "
                               "password, set a temporary password")
        if not user.is_active:
            raise ServiceError(f"{user.username} cannot sign in (their account awaits approval or is "
                               "deactivated). The link is sent when another administrator lets them sign in")
        return _set_up_link_issue(user=user, sent_by=acting_user)


def _set_up_links_withdraw(user: User, *, why: str) -> int:
    """Every link of the person's not yet used stops working (inside the caller's transaction, which
    audits why). Returns how many."""
    return SetUpLink.objects.filter(user=user, used_at__isnull=True, withdrawn_at__isnull=True).update(
        withdrawn_at=timezone.now(), withdrawn_why=why[:200]
    )


def _set_up_link_issue(*, user: User, sent_by: User, change: AccessChange | None = None) -> SetUpLink:
    """A new link for the person (inside the caller's transaction, ``user`` locked), e-mailed once it
    commits; earlier ones are withdrawn. Every way a link is sent comes here, so here it is refused where the
    address is not one the sender (or, for an approval, ``change``'s asker) may send the way in to
    (``selectors.set_up_link_barrier``), or is blank. The link is made when the e-mail is, from this row's
    id and the hub's secret key: neither the database nor the job queue ever holds it."""
    if barrier := selectors.set_up_link_barrier(user=user, sent_by=sent_by, change=change):
        raise ServiceError(barrier)
    now = timezone.now()
    replaced = _set_up_links_withdraw(user, why="replaced by a newer link")
    link = SetUpLink.objects.create(user=user, sent_by=sent_by, created_at=now, address=user.email.strip(),
                                    expires_at=now + dt.timedelta(hours=SET_UP_LINK_HOURS))
    audit_record(
        event_type=AuditEventType.SET_UP_LINK_SENT,
        actor=sent_by,
        target_kind="user",
        target_id=user.pk,
        detail={"link": link.pk, "address": link.address, "expires_at": link.expires_at.isoformat(),
                "links_replaced": replaced},
    )
    run_in_background(set_up_link_email_send, link.pk)
    return link


def set_up_link_token(link: SetUpLink) -> str:
    """The secret part of the link's address: the row's id, signed and timestamped with the hub's key."""
    return signing.dumps({"link": link.pk}, salt=SET_UP_LINK_SALT)


def set_up_link_email_text(*, link: SetUpLink, url: str) -> tuple[str, str]:
    """The e-mail's subject and body. It goes outside the hub, so it says nothing of the hub's records:
    who the account is for, how to use the link, and until when."""
    user = link.user
    until = timezone.localtime(link.expires_at)  # England's time, as every date the hub shows
    expires = f"{until.day} {until:%B %Y} at {until:%H:%M}"
    name = user.first_name.strip() or user.username
    body = (
        f"Hello {name},\n\n"
        f"An account in the Safeguarding Hub is ready for you. Your username is {user.username}.\n\n"
        "Open this link to choose your password, then set up an authenticator app on your phone:\n\n"
        f"{url}\n\n"
        f"The link works once, until {expires}. Nobody else knows your password: do not share it, or this link.\n\n"
        "If you did not expect this e-mail, do not open the link: tell your organisation's administrator.\n"
    )
    return "Set up your Safeguarding Hub account", body


def set_up_link_email_send(link_id: int) -> int:
    """The background job that e-mails a set-up link (1 when sent; 0 when the link was sent already or no
    longer works). A failure to send is marked on the link (its person's page says so) and raised, so the
    job is tried again and, failing still, kept as failed."""
    link = SetUpLink.objects.select_related("user").filter(pk=link_id).first()
    if link is None or link.sent_at is not None or link.used_at is not None or link.withdrawn_at is not None:
        return 0
    url = f"{settings.HUB_BASE_URL}{reverse('accounts:set-up', args=[set_up_link_token(link)])}"
    subject, body = set_up_link_email_text(link=link, url=url)
    try:
        EmailMessage(subject=subject, body=body, to=[link.address], from_email=settings.DEFAULT_FROM_EMAIL).send()
    except Exception:
        SetUpLink.objects.filter(pk=link.pk).update(send_failed_at=timezone.now())
        raise
    SetUpLink.objects.filter(pk=link.pk).update(sent_at=timezone.now(), send_failed_at=None)
    return 1


def set_up_link_check(*, token: str) -> SetUpLink:
    """The link a token names, if it still works; else ``SetUpLinkRefused`` saying why."""
    try:
        payload = signing.loads(token, salt=SET_UP_LINK_SALT, max_age=dt.timedelta(hours=SET_UP_LINK_HOURS))
    except signing.SignatureExpired:
        raise SetUpLinkRefused("expired") from None
    except signing.BadSignature:
        raise SetUpLinkRefused("not-right") from None
    link_id = payload.get("link") if isinstance(payload, dict) else None
    if not isinstance(link_id, int):
        raise SetUpLinkRefused("withdrawn")
    return set_up_link_opened(link_id=link_id)


def set_up_link_opened(*, link_id: int) -> SetUpLink:
    """The link of that id, if it still works (its token's signature was checked when it was opened, and
    only its id kept, in the session); else ``SetUpLinkRefused`` saying why."""
    link = SetUpLink.objects.select_related("user").filter(pk=link_id).first()
    if link is None:
        raise SetUpLinkRefused("withdrawn")
    user = link.user
    if link.used_at is not None:
        raise SetUpLinkRefused("used")
    if link.withdrawn_at is not None:
        raise SetUpLinkRefused("replaced" if "replaced" in link.withdrawn_why else "withdrawn")
    if link.expires_at <= timezone.now():
        raise SetUpLinkRefused("expired")
    if (not user.is_active or SingleSignOnIdentity.objects.filter(user=user).exists()
            or selectors.has_second_factor(user)):
        raise SetUpLinkRefused("account")
    return link


class _NotGenuineLog:
    """Refused tokens that name no link of the hub's (anyone on the internet can send them): not audited
    (each row would take the audit chain's lock), but counted in a log line at most once a minute per process."""

    every_seconds = 60.0

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last = -self.every_seconds
        self._count = 0

    def __call__(self) -> None:
        now = time.monotonic()
        with self._lock:
            self._count += 1
            if now - self._last < self.every_seconds:
                return
            count, self._count, self._last = self._count, 0, now
        logger.warning("%d set-up link%s refused: not signed by the hub, or naming no link of its own",
                       count, "" if count == 1 else "s")


_not_genuine_logged = _NotGenuineLog()


def set_up_link_refused_recorded(*, why: str, token: str = "", link_id: int | None = None) -> None:
    """A refused link is audited when it is the hub's own (its token signed with the hub's key, expired or
    not, for a link that exists; or a link opened earlier, whose id the session keeps); anything else only
    counts towards a log line (``_NotGenuineLog``). Neither keeps the token."""
    if link_id is None:
        with contextlib.suppress(signing.BadSignature):  # an expired link's id is still read
            payload = signing.loads(token, salt=SET_UP_LINK_SALT)
            link_id = payload.get("link") if isinstance(payload, dict) else None
    if not isinstance(link_id, int) or not SetUpLink.objects.filter(pk=link_id).exists():
        _not_genuine_logged()
        return
    with transaction.atomic():
        audit_record(
            event_type=AuditEventType.SET_UP_LINK_REFUSED,
            actor_label="unauthenticated (a set-up link)",
            target_kind="set_up_link",
            target_id=str(link_id),
            detail={"why": why},
        )


def set_up_link_use(*, link_id: int, new_password: str) -> User:
    """The person chooses their own password through their link (opened in this session), which then stops
    working. Raises ``SetUpLinkRefused`` for a link that does not work, and Django's ValidationError for a
    password the validators refuse (the link still works then)."""
    with transaction.atomic():
        link = set_up_link_opened(link_id=link_id)
        link = SetUpLink.objects.select_for_update().select_related("user").get(pk=link.pk)
        if link.used_at is not None or link.withdrawn_at is not None:  # used or withdrawn a moment ago
            raise SetUpLinkRefused("withdrawn")
        user = User.objects.select_for_update().get(pk=link.user_id)
        validate_password(new_password, user)
        user.set_password(new_password)
        user.save(update_fields=["password"])
        TemporaryPassword.objects.filter(user=user).delete()
        link.used_at = timezone.now()
        link.save(update_fields=["used_at"])
        audit_record(event_type=AuditEventType.SET_UP_LINK_USED, actor=user, target_kind="user", target_id=user.pk,
                     detail={"link": link.pk})
    return user


# --- the second factor ---------------------------------------------------------------------------


def _second_factor_remove(user: User) -> int:
    removed = TOTPDevice.objects.filter(user=user).delete()[0]
    removed += StaticDevice.objects.filter(user=user).delete()[0]
    return removed


def _backup_codes_replace(user: User) -> list[str]:
    device, _ = StaticDevice.objects.get_or_create(user=user, name=mfa.BACKUP_DEVICE_NAME, defaults={"confirmed": True})
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(mfa.BACKUP_CODE_COUNT)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return codes


def authenticator_start(*, user: User) -> TOTPDevice:
    """A new, not yet confirmed authenticator for the user to scan (the same one on reloading the
    page, so the QR code does not change under them). Nothing is granted until it is confirmed."""
    with transaction.atomic():
        device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()
        if device is None:
            device = TOTPDevice.objects.create(user=user, name=mfa.APP_DEVICE_NAME, confirmed=False)
    return device


def authenticator_confirm(*, user: User, device: TOTPDevice, token: str) -> list[str]:
    """The user typed the code their app shows: the authenticator is confirmed (replacing any
    earlier one) and new backup codes are made, returned to be shown once."""
    if device.user_id != user.pk or device.confirmed:
        raise ServiceError("Start setting up your authenticator app again", field="token")
    if throttled := _throttled_message([device]):
        raise ServiceError(throttled, field="token")
    if not device.verify_token(_digits(token)):
        with transaction.atomic():
            audit_record(
                event_type=AuditEventType.SECOND_FACTOR_FAILED,
                actor=user,
                target_kind="user",
                target_id=user.pk,
                detail={"while": "setting up an authenticator app"},
            )
        raise ServiceError(_WRONG_CODE, field="token")
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        codes = _backup_codes_replace(user)
        # A link not yet used is no longer needed, and must not work again should this factor be reset.
        withdrawn = _set_up_links_withdraw(user, why="second factor set up")
        audit_record(
            event_type=AuditEventType.SECOND_FACTOR_ENROLLED,
            actor=user,
            target_kind="user",
            target_id=user.pk,
            detail={"device": device.persistent_id, **({"set_up_links_withdrawn": withdrawn} if withdrawn else {})},
        )
    return codes


def _digits(token: str) -> str:
    return "".join(ch for ch in token if not ch.isspace()).lower()


_WRONG_CODE = "The security code is not right. Enter the 6-digit code your app shows now, or a backup code"


def _throttled_message(devices: list[Any]) -> str | None:
    """Set when every device is refusing codes for a while after wrong ones (django-otp doubles the
    wait with each failure)."""
    waits = []
    for device in devices:
        allowed, data = device.verify_is_allowed()
        if allowed:
            return None
        if data and data.get("locked_until"):
            waits.append(max(1, int((data["locked_until"] - timezone.now()).total_seconds()) + 1))
    if not waits:
        return None
    wait = min(waits)
    return f"Too many wrong codes. Wait {wait} second{'s' if wait != 1 else ''}, then enter the code your app shows"


def second_factor_verify(*, user: User, token: str) -> Any:
    """The code from the user's authenticator app, or one of their backup codes (each works once).
    Returns the device that matched; a wrong code is audited and refused. django-otp slows down
    repeated wrong codes (each failure doubles the wait)."""
    code = _digits(token)
    devices: list[Any] = [
        *TOTPDevice.objects.filter(user=user, confirmed=True),
        *StaticDevice.objects.filter(user=user, confirmed=True),
    ]
    if not devices:
        raise ServiceError("Set up your authenticator app first", field="token")
    # Digits are an authenticator code, anything else a backup code: the wait is the one that kind of
    # device is serving (backup codes, never tried with digits, would otherwise hide the app's wait).
    tried = [d for d in devices if isinstance(d, TOTPDevice) == code.isdecimal()]
    if throttled := _throttled_message(tried):
        with transaction.atomic():
            audit_record(event_type=AuditEventType.SECOND_FACTOR_FAILED, actor=user, target_kind="user",
                         target_id=user.pk, detail={"while": "waiting after wrong codes"})
        raise ServiceError(throttled, field="token")
    for device in tried:
        if device.verify_token(code):
            with transaction.atomic():
                audit_record(
                    event_type=AuditEventType.SECOND_FACTOR_VERIFIED,
                    actor=user,
                    target_kind="user",
                    target_id=user.pk,
                    detail={"method": "authenticator app" if code.isdecimal() else "backup code"},
                )
            return device
    with transaction.atomic():
        audit_record(
            event_type=AuditEventType.SECOND_FACTOR_FAILED, actor=user, target_kind="user", target_id=user.pk
        )
    raise ServiceError(_WRONG_CODE, field="token")


def backup_codes_create(*, user: User) -> list[str]:
    """New backup codes for a signed-in user; the old ones stop working."""
    with transaction.atomic():
        codes = _backup_codes_replace(user)
        audit_record(event_type=AuditEventType.BACKUP_CODES_CREATED, actor=user, target_kind="user", target_id=user.pk)
    return codes


def second_factor_reset_request(*, acting_user: User, user: User, reason: str) -> AccessChange:
    """Someone lost their phone and backup codes. Removing their second factor lets whoever knows the
    password set up a new one, so it waits for a second administrator."""
    if not reason.strip():
        raise ServiceError("Enter why the second factor should be reset", field="reason")
    if user.pk == acting_user.pk:
        raise ServiceError("Ask another administrator to reset your own second factor", field="reason")
    if not has(acting_user, Capability.MANAGE_ACCOUNTS):
        raise ServiceError("Only an administrator can ask for a second factor to be reset")
    with transaction.atomic():
        return _access_change_request(
            subject=user,
            kind=AccessChangeKind.SECOND_FACTOR_RESET,
            requested_by=acting_user,
            before={},
            after={},
            reason=reason,
        )


def demo_authenticator_create(*, user: User) -> TOTPDevice:
    """The demo's accounts each get a confirmed authenticator named as the demo's, so a tester can
    sign in with `safeguarding totp USERNAME` (refused for any other device)."""
    with transaction.atomic():
        device = TOTPDevice.objects.filter(user=user, name=mfa.DEMO_DEVICE_NAME).first()
        if device is None:
            device = TOTPDevice.objects.create(user=user, name=mfa.DEMO_DEVICE_NAME, confirmed=True)
            withdrawn = _set_up_links_withdraw(user, why="second factor set up")
            audit_record(
                event_type=AuditEventType.SECOND_FACTOR_ENROLLED,
                actor_label="demo",
                target_kind="user",
                target_id=user.pk,
                detail={"device": device.persistent_id, "demo": True,
                        **({"set_up_links_withdrawn": withdrawn} if withdrawn else {})},
            )
    return device


# --- lockout -------------------------------------------------------------------------------------


def sign_in_locked_out_recorded(*, username: str, ip_address: str) -> None:
    with transaction.atomic():
        audit_record(
            event_type=AuditEventType.SIGN_IN_LOCKED_OUT,
            actor_label=f"unauthenticated ({username[:150] or 'no username'})",
            target_kind="username",
            target_id=username[:120],
            detail={"address": ip_address},
        )


def sign_in_unlock(*, acting_user: User, username: str = "", ip_address: str = "") -> int:
    """An administrator lifts a lockout early (the person called the service desk). Returns how many
    records of failed attempts were cleared."""
    if not has(acting_user, Capability.MANAGE_ACCOUNTS):
        raise ServiceError("Only an administrator can unlock sign-in")
    if not username and not ip_address:
        raise ServiceError("Choose a username or an address to unlock")
    with transaction.atomic():
        cleared = axes_reset(username=username or None, ip=ip_address or None)
        audit_record(
            event_type=AuditEventType.SIGN_IN_UNLOCKED,
            actor=acting_user,
            target_kind="username" if username else "address",
            target_id=username or ip_address,
            detail={"attempts_cleared": cleared},
        )
    return cleared


# --- single sign-on ------------------------------------------------------------------------------


def sso_sign_in(
    *, provider: str, provider_name: str, subject: str, username_hint: str, role: str, agency: Agency,
    first_name: str = "", last_name: str = "", email: str = "", with_mfa: bool = False,
) -> User:
    """A person the provider vouches for, whose groups map to ``agency`` and ``role``
    (``single_sign_on.mapped_access`` decided them). The first time, their account is made with that
    access (the partnership's mapping is the approval) when the role is built-in; a role of the
    partnership's own was defined by one administrator, so the account is made and waits for a second
    to approve it. Later, a mapping that lowers their access applies at once, and one that raises it
    waits for a second administrator while they keep what they had. A deactivated account stays so.

    Rows are locked in the order approving a change locks them (the change, the user, then the role),
    so that a sign-in and an approval at the same moment never wait on each other."""
    if not subject:
        raise ServiceError("The sign-in service did not say who you are")
    label = f"single sign-on ({provider})"
    now = timezone.now()
    no_longer_offered = ServiceError(f"Your group at {provider_name} gives a role the hub no longer offers "
                                     f"({role}). Ask your agency's administrator")
    waiting = False
    with transaction.atomic():
        if not role_assignable(role):
            raise no_longer_offered
        identity = SingleSignOnIdentity.objects.filter(provider=provider, subject=subject).first()
        if identity is None:
            if not role_assignable(role, lock=True):  # not retired meanwhile: a retirement now waits, and sees them
                raise no_longer_offered
            waiting = role not in Role.values
            username = _free_username(username_hint or f"{provider}-{subject}")
            user = User(
                username=username, agency=agency, role=role, first_name=first_name[:150],
                last_name=last_name[:150], email=email[:254], is_active=not waiting,
            )
            user.set_unusable_password()
            user.save()
            SingleSignOnIdentity.objects.create(
                user=user, provider=provider, subject=subject[:255], created_at=now, last_signed_in_at=now
            )
            audit_record(
                event_type=AuditEventType.SSO_ACCOUNT_CREATED,
                actor_label=label,
                target_kind="user",
                target_id=user.pk,
                detail={"username": username, "agency": agency.code, "role": role, "provider": provider_name},
            )
            if waiting:
                _access_change_request(
                    subject=user, kind=AccessChangeKind.ACCESS, requested_by=None, requested_by_label=label,
                    before=_access_of(user), after={**_access_of(user), "is_active": True},
                    reason=f"First sign-in through {provider_name}: its groups give a role of the partnership's own",
                )
        else:
            user = User.objects.get(pk=identity.user_id)
            if not user.is_active:
                if AccessChange.objects.filter(subject=user, kind=AccessChangeKind.ACCESS, after__is_active=True,
                                               status=AccessChangeStatus.PENDING).exists():
                    raise ServiceError("Your account in the hub waits for a second administrator to approve it. "
                                       "Ask your agency's administrator")
                raise ServiceError("Your account in the hub has been deactivated. Ask your administrator")
            identity.last_signed_in_at = now
            identity.save(update_fields=["last_signed_in_at"])
            before, after = _access_of(user), {"role": role, "agency_id": agency.pk, "is_active": True}
            if before != after:
                if raises_access(before=before, after=after):
                    pending = AccessChange.objects.filter(
                        subject=user, kind=AccessChangeKind.ACCESS, status=AccessChangeStatus.PENDING
                    ).first()
                    if pending is None or pending.after != after:
                        if pending is not None:
                            pending.status = AccessChangeStatus.REFUSED
                            pending.decided_at, pending.decision_reason = now, "Replaced by a later sign-in's groups"
                            pending.save(update_fields=["status", "decided_at", "decision_reason"])
                        _access_change_request(
                            subject=user, kind=AccessChangeKind.ACCESS, requested_by=None, requested_by_label=label,
                            before=before, after=after, reason=f"Groups at {provider_name} changed",
                        )
                else:
                    user.role, user.agency = role, agency
                    user.save(update_fields=["role", "agency"])
                    # After the user's row, as an approval locks them: not retired meanwhile (else undone).
                    if role != before["role"] and not role_assignable(role, lock=True):
                        raise no_longer_offered
                    audit_record(
                        event_type=AuditEventType.USER_CHANGED, actor_label=label, target_kind="user",
                        target_id=user.pk, detail={"before": before, "after": _access_of(user)},
                    )
        if not waiting:
            audit_record(
                event_type=AuditEventType.SSO_SIGNED_IN,
                actor=user,
                target_kind="user",
                target_id=user.pk,
                detail={"provider": provider_name, "second_factor_at_provider": with_mfa},
            )
    if waiting:  # the account is kept, and waits: the person is told so
        raise ServiceError(f"Your account in the hub is made, and waits for a second administrator to approve it: "
                           f"your group at {provider_name} gives a role the partnership defined. "
                           "Ask your agency's administrator")
    return user


def sso_refused_recorded(*, provider: str, subject: str, why: str) -> None:
    with transaction.atomic():
        audit_record(
            event_type=AuditEventType.SSO_REFUSED,
            actor_label=f"single sign-on ({provider}: {subject[:100] or 'unknown'})",
            target_kind="provider",
            target_id=provider,
            detail={"why": why},
        )


def _free_username(hint: str) -> str:
    base = "".join(ch for ch in hint.lower() if ch.isalnum() or ch in "._@+-")[:140] or "sso-user"
    candidate, n = base, 1
    while User.objects.filter(username__iexact=candidate).exists():
        n += 1
        candidate = f"{base}-{n}"
    return candidate
