"""New-link alerts raised before 6 December 2026 on a police-only link hold only the words that say whom
to ask, with no words kept for the police's readers: a subject access bundle, which withholds an alert
whose words have more for the police, showed them, telling the child the police hold information
linking them to another child. Such alerts now keep those words for the police's readers too, so the
bundle withholds them whole; the police read what they read before."""

from __future__ import annotations

from typing import Any

from django.db import migrations

# contexts.services._WITHHELD as it was written (a frozen copy: migrations do not import code that may change).
WITHHELD = (
    "The police hold information under handling conditions that links this child to another child "
    "through the same person, vehicle, phone or place. Ask the police intelligence unit."
)


def forwards(apps: Any, schema_editor: Any) -> None:
    Alert = apps.get_model("earlywarning", "Alert")
    Alert.objects.filter(explanation=WITHHELD, explanation_restricted="").update(explanation_restricted=WITHHELD)


class Migration(migrations.Migration):
    dependencies = [("earlywarning", "0011_evidence_police_only_when_written")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
