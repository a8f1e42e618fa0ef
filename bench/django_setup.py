"""Django set up for a benchmark that only generates or reads files: the demo generator and the
exchange format take their vocabularies from the hub's models, so Django must be ready, with a
scratch data folder unless SAFEGUARDING_DATA_DIR names one. No database is touched."""

from __future__ import annotations

import os
import tempfile


def django_ready() -> None:
    from django.apps import apps

    if apps.ready:
        return
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "safeguarding.config.settings")
    os.environ.setdefault("SAFEGUARDING_DATA_DIR", tempfile.mkdtemp(prefix="bench-data-"))
    import django

    django.setup()
