"""The partnership's default roles and responsibilities (data/raci.json), installed as version 1 at
setup, so that reading the matrix never writes it.

``post_migrate`` runs after every ``migrate`` (a new database, or an upgrade of one where a page had
not yet made the first version) and after Django's ``flush`` (between transactional tests, or an
administrator resetting a database): it puts version 1 back when no version exists.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from safeguarding.mace.raci import as_json, default_matrix, parse

DEFAULT_CHANGE_NOTE = "The partnership's default, installed with the hub"


def install_default(version_model: Any) -> bool:
    """Write version 1 if the partnership has no matrix yet; True if it did (a broken data file fails
    loudly here, at setup)."""
    if version_model.objects.exists():
        return False
    version_model.objects.create(number=1, matrix=as_json(parse(default_matrix())), created_by=None,
                                 created_at=timezone.now(), change_note=DEFAULT_CHANGE_NOTE)
    return True


def reinstall_after_flush(sender: Any, using: str = "default", **kwargs: Any) -> None:
    from django.db import connections

    from safeguarding.mace.models import RaciVersion

    if RaciVersion._meta.db_table not in connections[using].introspection.table_names():
        return  # migrating backwards, or the table is not there yet
    install_default(RaciVersion.objects.db_manager(using).model)
