"""Migration 0003's rule, once more: 0003 was widened after it was first written (places first named by
intelligence held with conditions, and the alerts that quoted their names), and a database that ran it
as first written would not run it again. Putting right what is already right changes nothing."""

from __future__ import annotations

from importlib import import_module

from django.db import migrations

# 0003's own step: the same rule over the same historical models.
relabel_places_again = import_module(
    "safeguarding.contexts.migrations.0003_places_labelled_only_from_shared_records").relabel_places


class Migration(migrations.Migration):
    dependencies = [
        ("contexts", "0010_context_public_id_unique"),
        ("earlywarning", "0011_evidence_police_only_when_written"),
    ]

    operations = [migrations.RunPython(relabel_places_again, migrations.RunPython.noop)]
