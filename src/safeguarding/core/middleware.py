"""Security headers Django does not set by itself; static files with MoJ Frontend's images where its
stylesheet asks for them."""

from __future__ import annotations

import re
from collections.abc import Callable

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from whitenoise.middleware import WhiteNoiseMiddleware

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


class StaticFilesMiddleware(WhiteNoiseMiddleware):
    """WhiteNoise, which serves GOV.UK Frontend's fonts and images at /assets/ (WHITENOISE_ROOT), serving
    beside them each folder of ``HUB_ROOT_ASSETS`` (folder, address): MoJ Frontend's stylesheet asks for
    its images at /assets/images/ too (the filter's remove-tag crosses, the progress tick), which
    answered 404. A name GOV.UK Frontend already serves there stays GOV.UK Frontend's (read first when
    files are looked for at each request, as in development)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse] | None = None) -> None:
        super().__init__(get_response)
        for folder, prefix in getattr(settings, "HUB_ROOT_ASSETS", ()):
            kept = dict(self.files)
            self.add_files(str(folder), prefix=prefix)
            self.files.update(kept)


NUL = "\x00"
# Control characters mean nothing in any text the hub keeps; tab, line feed and carriage return do.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _without_control(values: QueryDict) -> QueryDict:
    """The same values with every control character but tab and line ends taken out (keys too); the same
    object when none holds one."""
    if not any(_CONTROL.search(key) or any(_CONTROL.search(v) for v in items) for key, items in values.lists()):
        return values
    cleaned = QueryDict(mutable=True, encoding=values.encoding)
    for key, items in values.lists():
        cleaned.setlist(_CONTROL.sub("", key), [_CONTROL.sub("", v) for v in items])
    cleaned._mutable = False
    return cleaned


class ControlCharactersMiddleware:
    """A control character (a NUL, ``\\x01``, an escape: pasted from a binary file or sent by a tool) means
    nothing in any text the hub keeps. PostgreSQL refuses NUL in text: a reason read straight from a page,
    or an address naming a record, would end in a server error. And a reason made only of other control
    characters was taken as filled in, though it says nothing a reader could see. So every one but tab, line
    feed and carriage return is taken out of every value a page sends, and a required field left with
    nothing is refused as empty. An address that holds a NUL names nothing (not found), as on SQLite."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if NUL in request.path:
            raise Http404
        request.GET = _without_control(request.GET)  # type: ignore[assignment]
        if request.method == "POST" and request.content_type in ("application/x-www-form-urlencoded",
                                                                 "multipart/form-data"):
            request.POST = _without_control(request.POST)  # type: ignore[assignment]
        return self.get_response(request)
