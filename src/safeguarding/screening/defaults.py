"""The default screening tool for England (data/england.json), installed as version 1 at setup.

The data migration installs it on every new database. Django's ``flush`` (used between
transactional tests, and by administrators resetting a database) empties tables but keeps the
migration history, so ``post_migrate``, which runs after both ``migrate`` and ``flush``, puts it
back when no version exists.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from django.utils import timezone

from safeguarding.screening.tool import config_as_json, parse_config

DEFAULT_CHANGE_NOTE = "Default screening tool for England, installed at setup"


def england_config() -> dict[str, Any]:
    """The shipped configuration, checked (a broken data file fails loudly at setup)."""
    raw = json.loads(resources.files("safeguarding.screening").joinpath("data/england.json").read_text("utf-8"))
    return config_as_json(parse_config(raw))


def install_default(version_model: Any) -> bool:
    """Write version 1 if the partnership has no tool yet; True if it did. ``version_model`` is
    the live model or the migration's historical one."""
    if version_model.objects.exists():
        return False
    version_model.objects.create(
        number=1, config=england_config(), created_by=None, created_at=timezone.now(), change_note=DEFAULT_CHANGE_NOTE
    )
    return True


def reinstall_after_flush(sender: Any, using: str = "default", **kwargs: Any) -> None:
    from django.db import connections

    from safeguarding.screening.models import ScreeningToolVersion

    if ScreeningToolVersion._meta.db_table not in connections[using].introspection.table_names():
        return  # migrating backwards, or the table is not there yet
    install_default(ScreeningToolVersion.objects.db_manager(using).model)
