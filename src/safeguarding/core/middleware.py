"""Security headers Django does not set by itself."""

from __future__ import annotations

from collections.abc import Callable

from django.http import Http404, HttpRequest, HttpResponse, QueryDict

# Every script and style is served by the hub itself; nothing inline, nothing from elsewhere.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; frame-ancestors 'none'; form-action 'self'; "
    "base-uri 'self'; object-src 'none'"
)


class SecurityHeadersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if not request.path.startswith("/static/"):
            # Pages about children must not be kept by shared browsers or proxies.
            response.setdefault("Cache-Control", "no-store")
        return response


NUL = "\x00"


def _without_nul(values: QueryDict) -> QueryDict:
    """The same values with every NUL character taken out (keys too); the same object when none holds one."""
    if not any(NUL in key or any(NUL in v for v in items) for key, items in values.lists()):
        return values
    cleaned = QueryDict(mutable=True, encoding=values.encoding)
    for key, items in values.lists():
        cleaned.setlist(key.replace(NUL, ""), [v.replace(NUL, "") for v in items])
    cleaned._mutable = False
    return cleaned


class NulCharactersMiddleware:
    """A NUL character (``\\x00``, pasted from a binary file or sent by a tool) means nothing in any text
    the hub keeps, and PostgreSQL refuses it in text: a reason read straight from a page, or an address
    naming a record, would end in a server error. Taken out of every value a page sends; an address that
    holds one names nothing (not found), as on SQLite. Forms that check their fields refused it already."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if NUL in request.path:
            raise Http404
        request.GET = _without_nul(request.GET)  # type: ignore[assignment]
        if request.method == "POST" and request.content_type in ("application/x-www-form-urlencoded",
                                                                 "multipart/form-data"):
            request.POST = _without_nul(request.POST)  # type: ignore[assignment]
        return self.get_response(request)
