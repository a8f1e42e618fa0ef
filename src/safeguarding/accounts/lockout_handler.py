"""django-axes' handler as the hub configures it (``AXES_HANDLER``): loaded by axes once the apps are
ready, as it imports axes' models."""

from __future__ import annotations

from typing import Any

from axes.handlers.database import AxesDatabaseHandler
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import QuerySet, Sum
from django.http import HttpRequest

from safeguarding.accounts.lockout import username_of


class OwnFailuresClearedHandler(AxesDatabaseHandler):
    """Axes' database handler, except that a successful sign-in clears only the failures against the
    username that signed in. Axes clears every failure from the address too: an insider could guess at
    another's password four times, sign in as themselves, and guess again, never locked. So that an
    office's shared address is not locked by five typos of five people, the address counts towards its
    own, higher limit (``SIGN_IN_ADDRESS_FAILURE_LIMIT``)."""

    def get_failures(self, request: HttpRequest, credentials: dict[str, Any] | None = None) -> int:
        # One query set per lockout parameter, in settings.AXES_LOCKOUT_PARAMETERS' order: username, address.
        by_username, by_address = self.get_user_attempts(request, credentials)
        limit, address_limit = settings.AXES_FAILURE_LIMIT, settings.SIGN_IN_ADDRESS_FAILURE_LIMIT
        # The address's failures scaled so that it reaches axes' one limit at its own.
        return max(_failures(by_username), _failures(by_address) * limit // address_limit)

    def reset_user_attempts(self, request: HttpRequest, credentials: dict[str, Any] | None = None) -> int:
        username = username_of(request, credentials)
        if not username:
            return 0
        count, _ = AccessAttempt.objects.filter(username=username).delete()
        return int(count)


def _failures(attempts: QuerySet[AccessAttempt]) -> int:
    return int(attempts.aggregate(Sum("failures_since_start"))["failures_since_start__sum"] or 0)
