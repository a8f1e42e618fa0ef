"""Signing in with a password, as Django's ModelBackend, and only while the person's agency takes part
in the partnership: a project that closes and is marked inactive takes its staff's access with it,
their open sessions included (the backend is asked again at each request)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend


class ActiveAgencyBackend(ModelBackend):
    def user_can_authenticate(self, user: Any) -> bool:
        agency = getattr(user, "agency", None)
        return super().user_can_authenticate(user) and (agency is None or agency.is_active)
