"""Errors a user can act on. Services raise these; views show the message, never a traceback."""


class ServiceError(Exception):
    """A request the hub refuses for a reason the user should read. ``field`` names the form field
    the reason is about, when there is one, so the page can put the message beside it."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class NotFoundOrForbidden(Exception):
    """The record is missing, or the user may not see it: the two are never told apart."""
