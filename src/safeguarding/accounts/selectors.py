"""Every read of agencies, users, access changes, lockouts and sign-in state, for the
administrators' pages and the sign-in steps."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Count, Exists, F, Max, OuterRef, Q, QuerySet, Sum
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from safeguarding.accounts.access import (
    CAPABILITY_LABELS,
    Capability,
    capabilities_of,
    needs_in_words,
    needs_second_factor,
)
from safeguarding.accounts.forms import AgencyFilters, UserFilters
from safeguarding.accounts.mfa import DEMO_DEVICE_NAME, secret_text
from safeguarding.accounts.models import Agency, CustomRole, Role, User, role_name
from safeguarding.accounts.security.models import (
    AccessChange,
    AccessChangeKind,
    AccessChangeStatus,
    SetUpLink,
    SingleSignOnIdentity,
    TemporaryPassword,
)
from safeguarding.core.lists import Column, Listing, Sort, listing

# --- agencies and users --------------------------------------------------------------------------


def agencies_all() -> QuerySet[Agency]:
    return Agency.objects.order_by("name")


def agency_or_404(agency_id: int) -> Agency:
    return get_object_or_404(Agency, pk=agency_id)


def users_all() -> QuerySet[User]:
    """Every user, with whether a change of their access awaits approval."""
    pending = AccessChange.objects.filter(subject=OuterRef("pk"), status=AccessChangeStatus.PENDING)
    return (
        User.objects.select_related("agency")
        .annotate(has_pending_change=Exists(pending))
        .order_by("agency__name", "last_name", "username")
    )


USER_SORTS = [Sort("name", ("last_name", "first_name", "username")), Sort("agency", ("agency__name",)),
              Sort("role", ("role",))]


def users_listing(*, query: Mapping[str, Any]) -> Listing[User]:
    """Every user, a page at a time, by name, agency, role and status (administrators' page)."""
    filters = UserFilters(query or None, agencies=list(Agency.objects.order_by("name").values_list("pk", "name")))
    wanted = filters.values()
    users = users_all()
    if wanted.get("name"):
        text = wanted["name"]
        users = users.filter(Q(username__icontains=text) | Q(first_name__icontains=text) | Q(last_name__icontains=text))
    if wanted.get("agency"):
        users = users.filter(agency_id=wanted["agency"])
    if wanted.get("role"):
        users = users.filter(role__in=wanted["role"])
    if wanted.get("status") == "active":
        users = users.filter(is_active=True)
    elif wanted.get("status") == "inactive":
        users = users.filter(is_active=False)
    elif wanted.get("status") == "pending":
        users = users.filter(Exists(AccessChange.objects.filter(subject=OuterRef("pk"),
                                                                status=AccessChangeStatus.PENDING)))
    return listing(users, query=query, noun=("user", "users"), filters=filters, sorts=USER_SORTS, downloadable=True)


USER_COLUMNS: list[Column[User]] = [
    Column("Username", lambda u: u.username),
    Column("Name", lambda u: u.get_full_name()),
    Column("Agency", lambda u: u.agency.name if u.agency else ""),
    Column("Role", lambda u: u.get_role_display()),
    Column("Can sign in", lambda u: u.is_active),
    Column("Change awaiting approval", lambda u: getattr(u, "has_pending_change", False)),
    Column("Last signed in", lambda u: u.last_login),
]


def agencies_listing(*, query: Mapping[str, Any]) -> Listing[Agency]:
    filters = AgencyFilters(query or None)
    wanted = filters.values()
    agencies = agencies_all()
    if wanted.get("kind"):
        agencies = agencies.filter(kind__in=wanted["kind"])
    if wanted.get("status"):
        agencies = agencies.filter(is_active=wanted["status"] == "active")
    return listing(agencies, query=query, noun=("agency", "agencies"), filters=filters,
                   sorts=[Sort("name", ("name",)), Sort("kind", ("kind",))])


def user_or_404(user_id: int) -> User:
    return get_object_or_404(User.objects.select_related("agency"), pk=user_id)


# --- changes of access awaiting a second administrator -------------------------------------------


@dataclass(frozen=True)
class AccessChangeShown:
    change: AccessChange
    what: list[tuple[str, str, str]]  # (field, before, after) in words
    may_decide: bool  # the viewer may approve it (not the one who asked, not the person changed)
    # Where approving it e-mails a set-up link ("" where it sends none), and why the viewer's approval
    # would be refused for that link; worked out for the approval page only (None elsewhere).
    set_up_link_to: str | None = None
    set_up_link_barrier: str | None = None


def _in_words(values: dict[str, Any], agencies: dict[int, str]) -> dict[str, str]:
    return {
        "Role": role_name(values.get("role", "")),
        "Agency": agencies.get(values.get("agency_id") or 0, "none"),
        "Can sign in": "Yes" if values.get("is_active") else "No",
    }


def _granted(capabilities: frozenset[Capability]) -> list[str]:
    """What a set of capabilities lets a user do, in words, in the policy's order."""
    return [label for capability, label in CAPABILITY_LABELS.items() if capability in capabilities]


def _grants(capabilities: frozenset[Capability]) -> str:
    return "; ".join(_granted(capabilities))


def _shown(change: AccessChange, viewer: User, agencies: dict[int, str]) -> AccessChangeShown:
    if change.kind == AccessChangeKind.SECOND_FACTOR_RESET:
        what = [("Second factor", "Authenticator app and backup codes", "Removed: set up again at next sign-in")]
    else:
        before, after = _in_words(change.before, agencies), _in_words(change.after, agencies)
        what = [(k, before[k], after[k]) for k in before if before[k] != after[k]]
        old_role, new_role = change.before.get("role", ""), change.after.get("role", "")
        if old_role != new_role:
            # What the approver grants, in words, not only a role's name (two roles may look alike).
            gained = capabilities_of(new_role) - capabilities_of(old_role)
            lost = capabilities_of(old_role) - capabilities_of(new_role)
            if gained:
                what.append(("Capabilities gained", "none", _grants(gained)))
            if lost:
                what.append(("Capabilities lost", _grants(lost), "none"))
    may = change.requested_by_id != viewer.pk and change.subject_id != viewer.pk
    return AccessChangeShown(change, what, may)


def access_changes_pending(*, viewer: User) -> list[AccessChangeShown]:
    agencies = dict(Agency.objects.values_list("pk", "name"))
    changes = AccessChange.objects.filter(status=AccessChangeStatus.PENDING).select_related("subject", "subject__agency")
    return [_shown(c, viewer, agencies) for c in changes]


def access_change_or_404(*, change_id: int, viewer: User) -> AccessChangeShown:
    """One change, for its approval page: with where approving it e-mails a set-up link (the approver
    checks it, and the approval is bound to it: it is how the person, or someone else, will get in)."""
    change = get_object_or_404(AccessChange.objects.select_related("subject", "decided_by"), pk=change_id)
    shown = _shown(change, viewer, dict(Agency.objects.values_list("pk", "name")))
    if not set_up_link_on_approval(change, change.subject):
        return replace(shown, set_up_link_to="")
    return replace(shown, set_up_link_to=change.address if change.address is not None else change.subject.email.strip(),
                   set_up_link_barrier=set_up_link_barrier(user=change.subject, sent_by=viewer, change=change))


def access_changes_of(*, user: User, viewer: User) -> list[AccessChangeShown]:
    """A user's changes of access, newest first (their page shows what awaits approval and what was decided)."""
    agencies = dict(Agency.objects.values_list("pk", "name"))
    changes = AccessChange.objects.filter(subject=user).select_related("subject", "decided_by").order_by("-requested_at")[:10]
    return [_shown(c, viewer, agencies) for c in changes]


# --- sign-in state --------------------------------------------------------------------------------


def has_second_factor(user: User) -> bool:
    return (
        TOTPDevice.objects.filter(user=user, confirmed=True).exists()
        or StaticDevice.objects.filter(user=user, confirmed=True, token_set__isnull=False).exists()
    )


def authenticator_of(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("-pk").first()


def backup_codes_left(user: User) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def password_is_temporary(user: User) -> bool:
    return TemporaryPassword.objects.filter(user=user).exists()


def signs_in_with_sso(user: User) -> bool:
    return SingleSignOnIdentity.objects.filter(user=user).exists()


def may_take_set_up_link(user: User) -> bool:
    """An account that chooses its password through a set-up link: no second factor yet, no single
    sign-on (its provider keeps its password)."""
    return not signs_in_with_sso(user) and not has_second_factor(user)


def set_up_link_on_approval(change: AccessChange, subject: User) -> bool:
    """Whether approving the change (not yet applied) e-mails the person a set-up link: letting in an
    account that has no password yet and takes a link (a new one, or one deactivated before choosing one),
    or resetting the second factor of an account whose password an administrator set (voided then)."""
    if change.status != AccessChangeStatus.PENDING:
        return False
    if change.kind == AccessChangeKind.SECOND_FACTOR_RESET:
        return subject.is_active and TemporaryPassword.objects.filter(user=subject, set_by__isnull=False).exists()
    let_in = not subject.is_active and bool((change.after or {}).get("is_active"))
    return let_in and not subject.has_usable_password() and may_take_set_up_link(subject)


def set_up_link_barrier(*, user: User, sent_by: User, change: AccessChange | None = None) -> str | None:
    """Why a set-up link sent by ``sent_by`` (approving ``change``, if it is an approval that sends one)
    may not go to the person's address, in words; None when it may. The address is the way into an
    account with no second factor yet, so it must not be one that administrator chose: not an address they
    changed themselves, nor one changed by whoever asked for the change that sends it, nor one changed
    since the change was asked for (the approver was shown the address it was asked with)."""
    address, changer = user.email.strip(), user.email_changed_by_id
    if change is not None:
        if change.address is None:
            return ("This change was asked for before the hub recorded the address its set-up link goes to: "
                    "refuse it, and ask again")
        if change.address != address:
            return (f"{user.username}'s e-mail address has changed since this was asked for (from {change.address or 'none'} "
                    f"to {address or 'none'}): refuse it, and ask again")
    if not address:
        then = "refuse this, add it, and ask again" if change is not None else \
            "add it, then ask another administrator to send the link"
        return f"No e-mail address is recorded for {user.username}: {then}"
    if changer is not None and changer == sent_by.pk:
        then = "approve this (its set-up link goes there)" if change is not None else "send the link to it"
        return f"You changed {user.username}'s e-mail address, so another administrator must {then}"
    if change is not None and changer is not None and changer == change.requested_by_id:
        return (f"{change.requested_by_label} changed {user.username}'s e-mail address and asked for this change, "
                "so its set-up link may not go to that address: refuse it. An administrator who did not change the "
                "address may ask for it again, for a third to approve")
    return None


def set_up_link_latest(user: User) -> SetUpLink | None:
    """The person's latest set-up link, for their page (when sent, to where, whether used)."""
    return SetUpLink.objects.filter(user=user).select_related("sent_by").first()


def password_set_by_another_without_second_factor(user: User) -> bool:
    """A temporary password an administrator set on an account with no second factor (before set-up
    links): the administrator could sign in first and hold the account, so it no longer signs in."""
    return TemporaryPassword.objects.filter(user=user, set_by__isnull=False).exists() and not has_second_factor(user)


def sign_in_step(*, user: User, second_factor_passed: bool) -> str | None:
    """The page the user must finish before anything else, as a URL name, or None when signing in is
    complete: the second factor for anyone who has one; then their own password in place of a
    temporary one; then, for roles that must have one, setting up the second factor."""
    if not second_factor_passed and has_second_factor(user):
        return "accounts:second-factor"
    if password_is_temporary(user):
        return "accounts:password-change"
    if not second_factor_passed and needs_second_factor(user):
        return "accounts:second-factor-setup"
    return None


# --- lockouts -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Lockout:
    kind: str  # "username" or "address"
    value: str
    failures: int
    until: dt.datetime


def lockouts_current() -> list[Lockout]:
    """Usernames and addresses locked now by repeated failed sign-ins."""
    cool_off = settings.AXES_COOLOFF_TIME
    since = timezone.now() - cool_off
    recent = AccessAttempt.objects.filter(attempt_time__gte=since)
    found: list[Lockout] = []
    # An address has its own, higher limit (an office shares one: accounts.lockout_handler).
    for kind, column, limit in (("username", "username", settings.AXES_FAILURE_LIMIT),
                                ("address", "ip_address", settings.SIGN_IN_ADDRESS_FAILURE_LIMIT)):
        rows = (
            recent.exclude(**{f"{column}__isnull": True})
            .values(column)
            .annotate(failures=Sum("failures_since_start"), last=Max("attempt_time"))
            .filter(failures__gte=limit)
            .order_by(column)
        )
        found.extend(Lockout(kind, r[column], r["failures"], r["last"] + cool_off) for r in rows)
    return found


# --- the demo's authenticators -----------------------------------------------------------------------


def demo_authenticator_of(*, username: str) -> TOTPDevice | None:
    """The authenticator the demo made for one of its accounts (never one a person set up)."""
    return TOTPDevice.objects.filter(user__username=username, name=DEMO_DEVICE_NAME, confirmed=True).first()


def demo_authenticator_keys() -> dict[str, str]:
    """Each demo account's authenticator key, as text, for the demo's table of sign-ins."""
    devices = TOTPDevice.objects.filter(name=DEMO_DEVICE_NAME, confirmed=True).select_related("user")
    return {d.user.username: secret_text(d) for d in devices}


# --- roles: the built-in ones and the partnership's own ----------------------------------------------


@dataclass(frozen=True)
class RoleShown:
    code: str
    name: str
    grants: list[str]  # what it lets its users do, in words
    holders: int  # users holding it, active or not
    own: CustomRole | None = None  # the partnership's own role (else built-in)
    # what it lacks that its capabilities need, in words: a role defined before the hub checked it
    lacks: str = ""


def roles_listing() -> tuple[list[RoleShown], list[RoleShown]]:
    """The built-in roles and the partnership's own (retired last), each with what it grants and how
    many users hold it."""
    held = dict(User.objects.values("role").annotate(n=Count("pk")).values_list("role", "n"))
    built_in = [RoleShown(code, str(name), _granted(capabilities_of(code)), held.get(code, 0))
                for code, name in Role.choices]
    own = [RoleShown(r.code, r.name, _granted(capabilities_of(r.code)), held.get(r.code, 0), r,
                     needs_in_words(capabilities_of(r.code), advise=False))
           for r in CustomRole.objects.select_related("created_by").order_by(F("retired_at").asc(nulls_first=True), "name")]
    return built_in, own


def custom_role_or_404(role_id: int) -> CustomRole:
    return get_object_or_404(CustomRole, pk=role_id)
