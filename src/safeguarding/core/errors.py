"""Errors a user can act on. Services raise these; views show the message, never a traceback."""


class ServiceError(Exception):
    """A request the hub refuses for a reason the user should read."""


class NotFoundOrForbidden(Exception):
    """The record is missing, or the user may not see it: the two are never told apart."""
