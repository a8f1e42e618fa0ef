"""Signing in and out, the home page, and administrators' pages for agencies and users."""

from __future__ import annotations

from typing import cast

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, login, logout
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from safeguarding.accounts import services
from safeguarding.accounts.access import Capability, current_user, require
from safeguarding.accounts.forms import AgencyForm, SignInForm, UserForm
from safeguarding.accounts.models import Agency, User
from safeguarding.core.errors import ServiceError
from safeguarding.core.forms import add_service_error


@require_http_methods(["GET", "POST"])
def sign_in(request: HttpRequest) -> HttpResponse:
    form = SignInForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = authenticate(request, username=form.cleaned_data["username"], password=form.cleaned_data["password"])
        if user is None:
            services.sign_in_failed_recorded(username=form.cleaned_data["username"])
            form.add_error(None, "The username or password is not right")
        else:
            login(request, user)
            services.sign_in_recorded(user=cast(User, user))
            target = request.GET.get("next", "")
            if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
                target = settings.LOGIN_REDIRECT_URL
            return redirect(target or "home")
    return render(request, "accounts/sign_in.html", {"form": form})


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        services.sign_out_recorded(user=current_user(request))
    logout(request)
    return redirect("accounts:sign-in")


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/home.html", {})


# --- administrators --------------------------------------------------------------------------


def agency_list(request: HttpRequest) -> HttpResponse:
    require(request.user, Capability.MANAGE_ACCOUNTS)
    agencies = Agency.objects.order_by("name")
    return render(request, "accounts/agency_list.html", {"agencies": agencies})


@require_http_methods(["GET", "POST"])
def agency_edit(request: HttpRequest, agency_id: int | None = None) -> HttpResponse:
    require(request.user, Capability.MANAGE_ACCOUNTS)
    agency = get_object_or_404(Agency, pk=agency_id) if agency_id else None
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


def user_list(request: HttpRequest) -> HttpResponse:
    require(request.user, Capability.MANAGE_ACCOUNTS)
    users = User.objects.select_related("agency").order_by("agency__name", "last_name", "username")
    return render(request, "accounts/user_list.html", {"users": users})


@require_http_methods(["GET", "POST"])
def user_edit(request: HttpRequest, user_id: int | None = None) -> HttpResponse:
    require(request.user, Capability.MANAGE_ACCOUNTS)
    subject = get_object_or_404(User, pk=user_id) if user_id else None
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
    if subject:
        form.fields["username"].disabled = True
        del form.fields["password"]
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if subject:
                services.user_update(
                    acting_user=current_user(request),
                    user=subject,
                    agency=data["agency"],
                    role=data["role"],
                    is_active=data["is_active"],
                    first_name=data["first_name"],
                    last_name=data["last_name"],
                    email=data["email"],
                    job_title=data["job_title"],
                )
            else:
                if not data.get("password"):
                    raise ValidationError("Enter a temporary password")
                subject = services.user_create(
                    acting_user=current_user(request),
                    username=data["username"],
                    password=data["password"],
                    agency=data["agency"],
                    role=data["role"],
                    first_name=data["first_name"],
                    last_name=data["last_name"],
                    email=data["email"],
                    job_title=data["job_title"],
                )
        except ValidationError as exc:
            form.add_error("password" if "password" in form.fields else None, exc)
        except ServiceError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, f"{subject.username} saved")
            return redirect("accounts:users")
    return render(request, "accounts/user_form.html", {"form": form, "subject": subject})
