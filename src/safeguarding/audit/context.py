"""Where an audited action came from (the address of a request, the command line, the background
worker), kept in a context variable so that services record it without knowing anything of HTTP."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse


@dataclass(frozen=True)
class AuditContext:
    """What the trail records about where an action came from."""

    ip_address: str = ""
    channel: str = ""  # "web", "command line", "worker", or empty when not known


_NOWHERE = AuditContext()
_current: ContextVar[AuditContext | None] = ContextVar("safeguarding_audit_context", default=None)


def current_context() -> AuditContext:
    return _current.get() or _NOWHERE


@contextmanager
def audit_context(*, ip_address: str = "", channel: str = "") -> Iterator[AuditContext]:
    """Within this block, every audit row records this address and channel."""
    context = AuditContext(ip_address=ip_address[:45], channel=channel)
    token = _current.set(context)
    try:
        yield context
    finally:
        _current.reset(token)


class AuditContextMiddleware:
    """Sets the audit context for the length of each web request (each request runs in a thread of
    its own, and a context variable belongs to the thread, so requests never see each other's)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with audit_context(ip_address=str(request.META.get("REMOTE_ADDR", "")), channel="web"):
            return self.get_response(request)
