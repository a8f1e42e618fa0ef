"""What django-axes counts failed sign-ins by: the username as typed (case ignored) and the address
the request came from (the same address the audit trail records)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest


def username_of(request: HttpRequest, credentials: dict[str, Any] | None = None) -> str:
    username = (credentials or {}).get("username") or request.POST.get("username") or ""
    return str(username).strip().lower()[:150]


def address_of(request: HttpRequest) -> str:
    return str(request.META.get("REMOTE_ADDR", ""))


def lockout_recorded(sender: Any, request: HttpRequest, username: str, ip_address: str, **kwargs: Any) -> None:
    """django-axes' ``user_locked_out`` signal: audit the moment a username or address becomes
    locked. Axes also sends it for each attempt refused while locked (those are audited as failed
    sign-ins); only the attempt that reached the limit has its failures counted on the request."""
    from safeguarding.accounts.services import sign_in_locked_out_recorded

    if getattr(request, "axes_failures_since_start", None) is not None:
        sign_in_locked_out_recorded(username=username or "", ip_address=ip_address or "")

