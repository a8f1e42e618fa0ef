"""Signing in and out (password, lockout, second factor, single sign-on), the user's own account
(password, authenticator, backup codes), the home page, and administrators' pages for agencies,
users, changes of access awaiting approval and locked sign-ins."""

from __future__ import annotations

import time
from typing import Any, cast

import django_otp
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, login, logout, update_session_auth_hash
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.safestring import mark_safe
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from safeguarding.accounts import mfa, selectors, services
from safeguarding.accounts.access import Capability, current_user, needs_second_factor, require
from safeguarding.accounts.downloads import list_download
from safeguarding.accounts.forms import (
    AccessDecisionForm,
    AgencyForm,
    AuthenticatorConfirmForm,
    CustomRoleForm,
    PasswordChangeForm,
    ReasonForm,
    SecurityCodeForm,
    SetUpPasswordForm,
    SignInForm,
    TemporaryPasswordForm,
    UnlockForm,
    UserForm,
)
from safeguarding.accounts.middleware import SIGN_IN_COMPLETE_KEY, SIGNED_IN_AT_KEY, second_factor_passed
from safeguarding.accounts.single_sign_on import MFA_SESSION_KEY, PROVIDER_SESSION_KEY, provider_or_none, providers
from safeguarding.core.errors import ServiceError
from safeguarding.core.forms import add_service_error

_BACKUP_CODES_SESSION_KEY = "hub_new_backup_codes"


def _next_or_home(request: HttpRequest) -> str:
    target = request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = ""
    # The setting is a URL name ("home"): as a link's address it was once relative to the page it was on.
    return target or resolve_url(settings.LOGIN_REDIRECT_URL)


def _minutes(seconds: float) -> str:
    if seconds < 60:
        return f"{round(seconds)} second{'s' if round(seconds) != 1 else ''}"
    minutes = round(seconds / 60)
    if minutes >= 60 and minutes % 60 == 0:
        hours = minutes // 60
        return f"{hours} hour{'s' if hours != 1 else ''}"
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


def _ended_message(ended: str) -> str:
    if ended == "idle":
        return (
            f"You were signed out because you had not used the hub for {_minutes(settings.SESSION_COOKIE_AGE)}. "
            "Sign in again to carry on."
        )
    if ended == "absolute":
        return (
            f"You were signed out because you had been signed in for {_minutes(settings.SESSION_ABSOLUTE_SECONDS)}. "
            "Sign in again to carry on."
        )
    return ""


def _signed_in(request: HttpRequest) -> None:
    request.session[SIGNED_IN_AT_KEY] = time.time()
    request.session.pop(SIGN_IN_COMPLETE_KEY, None)


@require_http_methods(["GET", "POST"])
def sign_in(request: HttpRequest) -> HttpResponse:
    form = SignInForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = authenticate(request, username=form.cleaned_data["username"], password=form.cleaned_data["password"])
        if user is None:
            locked = bool(getattr(request, "axes_locked_out", False))
            services.sign_in_failed_recorded(username=form.cleaned_data["username"], locked=locked)
            if locked:  # django-axes' middleware answers with the lockout page (locked_out below)
                return HttpResponse(status=429)
            form.add_error(None, "The username or password is not right")
        elif selectors.password_set_by_another_without_second_factor(cast(Any, user)):
            # An administrator knows it and the account has no second factor: it would be theirs to hold.
            services.sign_in_failed_recorded(username=form.cleaned_data["username"])
            form.add_error(None, "This password was set by an administrator before your account had a second "
                                 "factor, so it no longer signs in. Ask your administrator to send you a set-up link")
        else:
            login(request, user)
            _signed_in(request)
            services.sign_in_recorded(user=cast(Any, user))
            return redirect(_next_or_home(request))
    context = {
        "form": form,
        "ended": _ended_message(request.GET.get("ended", "")),
        "providers": [(p.key, p.name) for p in providers().values()],
        "next": request.GET.get("next", ""),
    }
    return render(request, "accounts/sign_in.html", context)


def locked_out(request: HttpRequest, original_response: Any = None, credentials: Any = None) -> HttpResponse:
    """django-axes' lockout page (AXES_LOCKOUT_CALLABLE). It reads the same whether or not the
    username exists: axes counts failures for any username typed."""
    context = {
        "minutes": _minutes(settings.AXES_COOLOFF_TIME.total_seconds()),
        "limit": settings.AXES_FAILURE_LIMIT,
    }
    return render(request, "accounts/locked_out.html", context, status=429)


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        services.sign_out_recorded(user=current_user(request))
    logout(request)
    return redirect("accounts:sign-in")


@require_POST
def keep_alive(request: HttpRequest) -> HttpResponse:
    """"Stay signed in" on the timeout warning: the request itself renews the session (the
    middleware has already sent anyone not signed in to sign in); nothing to show."""
    current_user(request)
    request.session.modified = True
    return HttpResponse(status=204)


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/home.html", {})


# --- the second factor ---------------------------------------------------------------------------


def _finish_second_factor(request: HttpRequest, device: Any) -> None:
    django_otp.login(request, device)
    request.session.pop(SIGN_IN_COMPLETE_KEY, None)


@require_http_methods(["GET", "POST"])
def second_factor(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    if not selectors.has_second_factor(user):
        return redirect(f"{reverse('accounts:second-factor-setup')}?{request.GET.urlencode()}")
    if second_factor_passed(request):
        return redirect(_next_or_home(request))
    form = SecurityCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device = services.second_factor_verify(user=user, token=form.cleaned_data["token"])
        except ServiceError as exc:
            add_service_error(form, exc)
        else:
            _finish_second_factor(request, device)
            return redirect(_next_or_home(request))
    return render(request, "accounts/second_factor.html", {"form": form})


@require_http_methods(["GET", "POST"])
def second_factor_setup(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    if selectors.has_second_factor(user) and not second_factor_passed(request):
        return redirect(f"{reverse('accounts:second-factor')}?{request.GET.urlencode()}")
    device = services.authenticator_start(user=user)
    form = AuthenticatorConfirmForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            codes = services.authenticator_confirm(user=user, device=device, token=form.cleaned_data["token"])
        except ServiceError as exc:
            add_service_error(form, exc)
        else:
            _finish_second_factor(request, device)
            request.session[_BACKUP_CODES_SESSION_KEY] = codes
            return redirect(f"{reverse('accounts:backup-codes')}?{request.GET.urlencode()}")
    context = {
        "form": form,
        "qr_svg": mark_safe(mfa.qr_svg(device)),  # noqa: S308 - segno's own markup of our device's address
        "secret": mfa.secret_text(device),
        "required": needs_second_factor(user),
        "replacing": selectors.has_second_factor(user),
    }
    return render(request, "accounts/second_factor_setup.html", context)


@require_http_methods(["GET", "POST"])
def backup_codes(request: HttpRequest) -> HttpResponse:
    """New backup codes are shown once: just after setting up an authenticator, or when asked for. Only
    once the second factor is passed: with a password alone, new codes would be a way past it."""
    user = current_user(request)
    if not second_factor_passed(request):
        return redirect(f"{reverse('accounts:second-factor')}?{request.GET.urlencode()}")
    if request.method == "POST":
        request.session[_BACKUP_CODES_SESSION_KEY] = services.backup_codes_create(user=user)
        return redirect("accounts:backup-codes")
    codes = request.session.pop(_BACKUP_CODES_SESSION_KEY, None)
    if not codes:
        return redirect("accounts:account")
    return render(request, "accounts/backup_codes.html", {"codes": codes, "next": _next_or_home(request)})


# --- the user's own account ----------------------------------------------------------------------


def account(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    context = {
        "authenticator": selectors.authenticator_of(user),
        "backup_codes_left": selectors.backup_codes_left(user),
        "second_factor_required": needs_second_factor(user),
        "has_password": user.has_usable_password(),
        "sso": bool(request.session.get(PROVIDER_SESSION_KEY)),
    }
    return render(request, "accounts/account.html", context)


@require_http_methods(["GET", "POST"])
def password_change(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    temporary = selectors.password_is_temporary(user)
    form = PasswordChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.password_change(
                user=user,
                current_password=form.cleaned_data["current_password"],
                new_password=form.cleaned_data["new_password"],
            )
        except ValidationError as exc:
            form.add_error("new_password", exc)
        except ServiceError as exc:
            add_service_error(form, exc)
        else:
            update_session_auth_hash(request, user)
            request.session.pop(SIGN_IN_COMPLETE_KEY, None)
            messages.success(request, "Your password has been changed")
            return redirect(_next_or_home(request))
    return render(
        request,
        "accounts/password_change.html",
        {"form": form, "temporary": temporary, "has_password": user.has_usable_password()},
    )


# --- set-up links: the person chooses their own password --------------------------------------------

# What the session keeps of an opened link: its id, and that its token's signature was checked then (never
# the token itself, so the session table holds nothing that opens the link).
_SET_UP_SESSION_KEY = "hub_set_up_link"


def _set_up_refused(why: str) -> HttpResponse:
    """Refusals leave the link's address at once, for a page without the token: Django logs every 4xx
    response with its path (``django.request``'s "Gone: ..."), which must not hold a working token."""
    return redirect(f"{reverse('accounts:set-up-refused')}?{urlencode({'why': why})}")


@csrf_exempt  # a refusal of any kind (405, 403) would be logged with the token in its path
def set_up(request: HttpRequest, token: str) -> HttpResponse:
    """The link from the e-mail. Opening it changes nothing (a mail filter may open it first, perhaps with
    HEAD; every method is answered alike, and only with a redirect, so no response here is logged with the
    token in its path): the link's id is kept in the session and the browser moves to an address without
    the token, as Django's own password reset does, so it is not left in the history, the logs, or sent on
    in a Referer."""
    try:
        link = services.set_up_link_check(token=token)
    except services.SetUpLinkRefused as exc:
        services.set_up_link_refused_recorded(token=token, why=str(exc))
        return _set_up_refused(exc.why)
    if request.user.is_authenticated:  # someone else's session on this browser: not theirs to continue
        logout(request)
    request.session[_SET_UP_SESSION_KEY] = {"link": link.pk, "signature_checked": True}
    return redirect("accounts:set-up-password")


@require_http_methods(["GET"])
def set_up_refused(request: HttpRequest) -> HttpResponse:
    why = request.GET.get("why", "")
    reason = services.SET_UP_LINK_REFUSALS.get(why, services.SET_UP_LINK_REFUSALS["withdrawn"])
    return render(request, "accounts/set_up_refused.html", {"reason": reason}, status=410)


def _link_opened(request: HttpRequest) -> int | None:
    kept = request.session.get(_SET_UP_SESSION_KEY)
    if isinstance(kept, dict) and kept.get("signature_checked") is True and isinstance(kept.get("link"), int):
        return int(kept["link"])
    return None


@require_http_methods(["GET", "POST"])
def set_up_password(request: HttpRequest) -> HttpResponse:
    link_id = _link_opened(request)
    try:
        if link_id is None:
            raise services.SetUpLinkRefused("not-opened")
        link = services.set_up_link_opened(link_id=link_id)
    except services.SetUpLinkRefused as exc:
        if link_id is not None:
            services.set_up_link_refused_recorded(link_id=link_id, why=str(exc))
        return render(request, "accounts/set_up_refused.html", {"reason": str(exc)}, status=410)
    form = SetUpPasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.set_up_link_use(link_id=link.pk, new_password=form.cleaned_data["new_password"])
        except ValidationError as exc:
            form.add_error("new_password", exc)
        except services.SetUpLinkRefused as exc:
            services.set_up_link_refused_recorded(link_id=link.pk, why=str(exc))
            return render(request, "accounts/set_up_refused.html", {"reason": str(exc)}, status=410)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            request.session.pop(_SET_UP_SESSION_KEY, None)
            _signed_in(request)
            services.sign_in_recorded(user=user)
            messages.success(request, "Your password is set. Now set up your authenticator app")
            return redirect("accounts:second-factor-setup")
    return render(request, "accounts/set_up_password.html", {"form": form, "person": link.user})


# --- single sign-on ------------------------------------------------------------------------------


class SingleSignOnStart(OIDCAuthenticationRequestView):
    """Sends the browser to the provider's sign-in, remembering which provider in the session."""

    def __init__(self, **kwargs: Any) -> None:  # the provider is known only from the address
        super(OIDCAuthenticationRequestView, self).__init__(**kwargs)

    def get_settings(self, attr: str, *args: Any) -> Any:
        per_provider = {
            "OIDC_RP_SCOPES": self.provider.scopes,
            "OIDC_AUTHENTICATION_CALLBACK_URL": "accounts:sso-callback",
            "OIDC_USE_PKCE": True,
        }
        if attr in per_provider:
            return per_provider[attr]
        return getattr(settings, attr, *args) if args else getattr(settings, attr)

    def get(self, request: HttpRequest, provider: str = "") -> HttpResponse:
        found = provider_or_none(provider)
        if found is None:
            raise Http404
        self.provider = found
        self.OIDC_OP_AUTH_ENDPOINT = found.authorization_endpoint
        self.OIDC_RP_CLIENT_ID = found.client_id
        request.session[PROVIDER_SESSION_KEY] = found.key
        return super().get(request)


class SingleSignOnCallback(OIDCAuthenticationCallbackView):
    """The provider sends the browser back here; the backend checks the tokens and maps the groups."""

    def get_settings(self, attr: str, *args: Any) -> Any:
        return getattr(settings, attr, *args) if args else getattr(settings, attr)

    @property
    def successreverse(self) -> str:
        target = self.request.session.get("oidc_login_next") or ""
        return target or str(settings.LOGIN_REDIRECT_URL)

    def login_failure(self) -> HttpResponse:
        reason = getattr(self.request, "sso_refusal", "") or (
            "The sign-in service did not confirm who you are. Try again, or sign in with a hub username and password."
        )
        return render(self.request, "accounts/sso_refused.html", {"reason": reason}, status=403)

    def login_success(self) -> HttpResponse:
        provider = self.request.session.get(PROVIDER_SESSION_KEY)
        response = super().login_success()
        session = self.request.session
        _signed_in(self.request)
        session[PROVIDER_SESSION_KEY] = provider
        if getattr(self.request, "sso_second_factor", False):
            session[MFA_SESSION_KEY] = provider
        else:
            session.pop(MFA_SESSION_KEY, None)
        return response


# --- administrators: agencies --------------------------------------------------------------------


def agency_list(request: HttpRequest) -> HttpResponse:
    require(request.user, Capability.MANAGE_ACCOUNTS)
    return render(request, "accounts/agency_list.html", {"agencies": selectors.agencies_listing(query=request.GET)})


@require_http_methods(["GET", "POST"])
def agency_edit(request: HttpRequest, agency_id: int | None = None) -> HttpResponse:
    require(request.user, Capability.MANAGE_ACCOUNTS)
    agency = selectors.agency_or_404(agency_id) if agency_id else None
    initial = (
        {"code": agency.code, "name": agency.name, "kind": agency.kind, "is_active": agency.is_active}
        if agency
        else None
    )
    form = AgencyForm(request.POST or None, initial=initial)
    if agency:
        form.fields["code"].disabled = True
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if agency:
                services.agency_update(
                    acting_user=current_user(request),
                    agency=agency,
                    name=data["name"],
                    kind=data["kind"],
                    is_active=data["is_active"],
                )
            else:
                agency = services.agency_create(
                    acting_user=current_user(request),
                    code=data["code"],
                    name=data["name"],
                    kind=data["kind"],
                )
        except ServiceError as exc:
            form.add_error("code", str(exc))
        else:
            messages.success(request, f"{agency.name} saved")
            return redirect("accounts:agencies")
    return render(request, "accounts/agency_form.html", {"form": form, "agency": agency})


# --- administrators: users -----------------------------------------------------------------------


def user_list(request: HttpRequest) -> HttpResponse:
    require(request.user, Capability.MANAGE_ACCOUNTS)
    users = selectors.users_listing(query=request.GET)
    if users.wants_download:
        return list_download(user=current_user(request), listing=users, columns=selectors.USER_COLUMNS, page="users",
                             filename="users")
    return render(request, "accounts/user_list.html", {"users": users})


@require_http_methods(["GET", "POST"])
def user_edit(request: HttpRequest, user_id: int | None = None) -> HttpResponse:
    require(request.user, Capability.MANAGE_ACCOUNTS)
    acting = current_user(request)
    subject = selectors.user_or_404(user_id) if user_id else None
    initial = None
    if subject:
        initial = {
            "username": subject.username,
            "first_name": subject.first_name,
            "last_name": subject.last_name,
            "email": subject.email,
            "job_title": subject.job_title,
            "agency": subject.agency_id,
            "role": subject.role,
            "is_active": subject.is_active,
        }
    form = UserForm(request.POST or None, initial=initial)
    if not subject:  # the set-up link goes there
        form.fields["email"].required = True
        form.fields["email"].help_text = ("Once another administrator approves the account, the hub e-mails a link "
                                          "here for them to choose their own password")
        form.fields["email"].error_messages["required"] = "Enter their e-mail address"
    if subject:
        form.fields["username"].disabled = True
        if subject.pk == acting.pk:  # refused by the service too; not offered here
            for name in ("agency", "role", "is_active"):
                form.fields[name].disabled = True
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        pending: object = None
        try:
            if subject:
                pending = services.user_update(
                    acting_user=acting,
                    user=subject,
                    agency=data["agency"],
                    role=data["role"],
                    is_active=data["is_active"],
                    first_name=data["first_name"],
                    last_name=data["last_name"],
                    email=data["email"],
                    job_title=data["job_title"],
                    reason=data.get("reason", ""),
                )
            else:
                subject = services.user_create(
                    acting_user=acting,
                    username=data["username"],
                    agency=data["agency"],
                    role=data["role"],
                    first_name=data["first_name"],
                    last_name=data["last_name"],
                    email=data["email"],
                    job_title=data["job_title"],
                    reason=data.get("reason", ""),
                )
                pending = True
        except ServiceError as exc:
            add_service_error(form, exc)
        else:
            if pending:
                messages.success(
                    request,
                    f"{subject.username} saved. The change of access waits for another administrator to approve it",
                )
            else:
                messages.success(request, f"{subject.username} saved")
            return redirect("accounts:users")
    context: dict[str, Any] = {"form": form, "subject": subject}
    if subject:
        context["changes"] = selectors.access_changes_of(user=subject, viewer=acting)
        context["has_second_factor"] = selectors.has_second_factor(subject)
        context["temporary"] = selectors.password_is_temporary(subject)
        context["is_self"] = subject.pk == acting.pk
        context["sso"] = selectors.signs_in_with_sso(subject)
        context["set_up_link"] = selectors.set_up_link_latest(subject)
    return render(request, "accounts/user_form.html", context)


@require_http_methods(["GET", "POST"])
def user_temporary_password(request: HttpRequest, user_id: int) -> HttpResponse:
    require(request.user, Capability.MANAGE_ACCOUNTS)
    subject = selectors.user_or_404(user_id)
    form = TemporaryPasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.password_set_temporary(
                acting_user=current_user(request), user=subject, password=form.cleaned_data["password"]
            )
        except ValidationError as exc:
            form.add_error("password", exc)
        except ServiceError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, f"Temporary password set for {subject.username}")
            return redirect("accounts:user-edit", user_id=subject.pk)
    context = {"form": form, "subject": subject, "no_second_factor": not selectors.has_second_factor(subject)}
    return render(request, "accounts/user_temporary_password.html", context)


@require_http_methods(["GET", "POST"])
def user_set_up_link(request: HttpRequest, user_id: int) -> HttpResponse:
    """Send (again) the set-up link of a person whose account has no second factor yet."""
    require(request.user, Capability.MANAGE_ACCOUNTS)
    subject = selectors.user_or_404(user_id)
    refused = ""
    if request.method == "POST":
        try:
            link = services.set_up_link_send(acting_user=current_user(request), user=subject)
        except ServiceError as exc:
            refused = str(exc)
        else:
            messages.success(request, f"A set-up link is sent to {link.address}. Any earlier link no longer works")
            return redirect("accounts:user-edit", user_id=subject.pk)
    context = {"subject": subject, "refused": refused, "latest": selectors.set_up_link_latest(subject),
               "hours": services.SET_UP_LINK_HOURS}
    return render(request, "accounts/user_set_up_link.html", context)


@require_http_methods(["GET", "POST"])
def user_second_factor_reset(request: HttpRequest, user_id: int) -> HttpResponse:
    require(request.user, Capability.MANAGE_ACCOUNTS)
    subject = selectors.user_or_404(user_id)
    form = ReasonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.second_factor_reset_request(
                acting_user=current_user(request), user=subject, reason=form.cleaned_data["reason"]
            )
        except ServiceError as exc:
            add_service_error(form, exc)
        else:
            messages.success(
                request, f"Resetting {subject.username}'s second factor waits for another administrator to approve it"
            )
            return redirect("accounts:user-edit", user_id=subject.pk)
    return render(request, "accounts/user_second_factor_reset.html", {"form": form, "subject": subject})


# --- administrators: approvals and lockouts ------------------------------------------------------


def access_approvals(request: HttpRequest) -> HttpResponse:
    require(request.user, Capability.MANAGE_ACCOUNTS)
    changes = selectors.access_changes_pending(viewer=current_user(request))
    return render(request, "accounts/access_approvals.html", {"changes": changes})


@require_http_methods(["GET", "POST"])
def access_approval(request: HttpRequest, change_id: int) -> HttpResponse:
    require(request.user, Capability.MANAGE_ACCOUNTS)
    acting = current_user(request)
    shown = selectors.access_change_or_404(change_id=change_id, viewer=acting)
    form = AccessDecisionForm(request.POST or None, initial={"set_up_link_to": shown.set_up_link_to or ""})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if data["decision"] == "approve":
                # Bound to where the page said a set-up link would go (when the page sent it: a script may not).
                link_to = data["set_up_link_to"] if "set_up_link_to" in request.POST else None
                services.access_change_approve(acting_user=acting, change=shown.change, reason=data["reason"],
                                               set_up_link_to=link_to)
                done = f"Change approved: {shown.change.subject.username}'s access is changed"
            else:
                services.access_change_refuse(acting_user=acting, change=shown.change, reason=data["reason"])
                done = f"Change refused: {shown.change.subject.username}'s access is as it was"
        except ServiceError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, done)
            return redirect("accounts:access-approvals")
        # Shown again as it is now: a decision sent again is bound to where a link goes now, not then.
        form.data = {**request.POST.dict(), "set_up_link_to": shown.set_up_link_to or ""}
    return render(request, "accounts/access_approval.html", {"shown": shown, "form": form})


def sign_in_locks(request: HttpRequest) -> HttpResponse:
    require(request.user, Capability.MANAGE_ACCOUNTS)
    return render(request, "accounts/sign_in_locks.html", {"lockouts": selectors.lockouts_current()})


@require_POST
def sign_in_unlock(request: HttpRequest) -> HttpResponse:
    require(request.user, Capability.MANAGE_ACCOUNTS)
    form = UnlockForm(request.POST)
    if not form.is_valid():
        raise PermissionDenied
    kind, value = form.cleaned_data["kind"], form.cleaned_data["value"]
    services.sign_in_unlock(
        acting_user=current_user(request),
        username=value if kind == "username" else "",
        ip_address=value if kind == "address" else "",
    )
    messages.success(request, f"Sign-in unlocked for the {kind} {value}")
    return redirect("accounts:sign-in-locks")


# --- roles: the built-in ones and the partnership's own ------------------------------------------------


@require_http_methods(["GET", "POST"])
def roles(request: HttpRequest) -> HttpResponse:
    """Every role, with what it grants and who holds it; an administrator defines the partnership's own."""
    require(request.user, Capability.MANAGE_ACCOUNTS)
    form = CustomRoleForm(request.POST if request.method == "POST" else None)  # an empty form sent is still checked
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            made = services.custom_role_create(acting_user=current_user(request), name=data["name"],
                                               capabilities=data["capabilities"], description=data["description"])
        except ServiceError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, f"The role {made.name} is defined: give it to users from their pages")
            return redirect("accounts:roles")
    built_in, own = selectors.roles_listing()
    return render(request, "accounts/roles.html", {"built_in": built_in, "own": own, "form": form})


@require_POST
def role_retire(request: HttpRequest, role_id: int) -> HttpResponse:
    require(request.user, Capability.MANAGE_ACCOUNTS)
    role = selectors.custom_role_or_404(role_id)
    try:
        services.custom_role_retire(acting_user=current_user(request), role=role)
    except ServiceError as exc:
        messages.error(request, f"{role.name} was not retired: {exc}")
    else:
        messages.success(request, f"The role {role.name} is retired: it is no longer offered")
    return redirect("accounts:roles")


# --- pages for when something goes wrong (issue 16) --------------------------------------------------


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A form refused because its CSRF token did not match: in the service's layout, with the way
    back to the form (its address, asked for afresh), never Django's bare page."""
    return render(request, "403_csrf.html", {"form_address": request.get_full_path()}, status=403)
