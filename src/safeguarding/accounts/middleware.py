"""Every page needs a signed-in user who has finished signing in (the second factor, their own
password in place of a temporary one), except signing in itself and static files. Sessions end
after 30 minutes without activity (Django's session age) and in any case after an absolute lifetime
(10 hours by default); the sign-in page then says why."""

from __future__ import annotations

import time
from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from safeguarding.accounts import selectors, services
from safeguarding.accounts.access import needs_second_factor, persons_hidden_remembered
from safeguarding.accounts.models import User
from safeguarding.accounts.single_sign_on import MFA_SESSION_KEY

OPEN_PATHS = ("/sign-in/", "/static/", "/assets/", "/health/")
SIGNED_IN_AT_KEY = "hub_signed_in_at"
SIGN_IN_COMPLETE_KEY = "hub_sign_in_complete"
# Pages a user part-way through signing in may still use, whatever step they are on.
_ALWAYS = ("/sign-out/",)


def second_factor_passed(request: HttpRequest) -> bool:
    """The hub's own second factor (django-otp marks the session), or a provider that asserted one."""
    is_verified = getattr(request.user, "is_verified", None)
    return bool((is_verified is not None and is_verified()) or request.session.get(MFA_SESSION_KEY))


def _to_sign_in(request: HttpRequest, ended: str = "") -> HttpResponse:
    """To the sign-in page, which says why the session ended; then back to the page asked for, with
    its query (a raise-concern link's child: without it the page after signing in was a bare 404),
    whether it was being read or a form on it sent."""
    query = {"next": request.get_full_path(), **({"ended": ended} if ended else {})}
    return redirect(f"{reverse(settings.LOGIN_URL)}?{urlencode(query, safe='/')}")


class SignInRequiredMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if not user.is_authenticated:
            if request.path.startswith(OPEN_PATHS):
                return self.get_response(request)
            # A session cookie whose session is gone: it ran out for want of activity.
            stale = settings.SESSION_COOKIE_NAME in request.COOKIES and request.session.is_empty()
            return _to_sign_in(request, "idle" if stale else "")
        assert isinstance(user, User)
        started = request.session.get(SIGNED_IN_AT_KEY)
        now = time.time()
        if started is None:
            request.session[SIGNED_IN_AT_KEY] = now
        elif now - float(started) > settings.SESSION_ABSOLUTE_SECONDS:
            services.signed_out_session_ended_recorded(user=user)
            logout(request)
            return _to_sign_in(request, "absolute")
        if request.path.startswith(("/static/", "/assets/", "/health/", *_ALWAYS)):
            return self.get_response(request)
        passed = second_factor_passed(request)
        if not request.session.get(SIGN_IN_COMPLETE_KEY) or (not passed and needs_second_factor(user)):
            step = selectors.sign_in_step(user=user, second_factor_passed=passed)
            if step is None:
                request.session[SIGN_IN_COMPLETE_KEY] = True
            else:
                step_path = reverse(step)
                if request.path != step_path and not request.path.startswith("/sign-in/"):
                    return redirect(f"{step_path}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)


class PersonsHiddenOncePerRequestMiddleware:
    """A GET (or HEAD) request works out who is sealed away from its reader once
    (``access.persons_hidden_remembered``): nothing it does seals, unseals, breaks the glass, merges or
    splits anyone. Any other request reads the seals afresh at every list."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method not in ("GET", "HEAD"):
            return self.get_response(request)
        with persons_hidden_remembered():
            return self.get_response(request)
