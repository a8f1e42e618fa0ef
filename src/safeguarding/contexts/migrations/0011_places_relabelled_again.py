"""Migration 0003's rule, once more: 0003 was widened after it was first written (places first named by
intelligence held with conditions, and the alerts that quoted their names), and a database that ran it
as first written would not run it again. Putting right what is already right changes nothing."""

from __future__ import annotations

from typing import Any

from django.db import migrations


def relabel_places_again(apps: Any, schema_editor: Any) -> None:
    from safeguarding.contexts.relabel import relabel

    relabel(entity_model=apps.get_model("contexts", "Entity"), audit_model=apps.get_model("audit", "AuditEvent"),
            link_model=apps.get_model("contexts", "Link"), alert_model=apps.get_model("earlywarning", "Alert"),
            first_record_labelled=True)


class Migration(migrations.Migration):
    dependencies = [
        ("contexts", "0010_context_public_id_unique"),
        ("earlywarning", "0011_evidence_police_only_when_written"),
    ]

    operations = [migrations.RunPython(relabel_places_again, migrations.RunPython.noop)]
