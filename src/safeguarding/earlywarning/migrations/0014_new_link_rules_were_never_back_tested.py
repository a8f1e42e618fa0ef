"""The back-test replays the agencies' events, which raise no alert of a rule raised as links are built:
the figures it kept for those rules said they flagged no one (0 of 0), and alerts read "there were none".
They are taken out; no figure is kept for such rules from now on (the audit trail keeps each back-test's)."""

from __future__ import annotations

from typing import Any

from django.db import migrations


def forward(apps: Any, schema_editor: Any) -> None:
    apps.get_model("earlywarning", "RulePrecision").objects.filter(rule__kind="new_link").delete()


class Migration(migrations.Migration):
    dependencies = [("earlywarning", "0013_intelligence_counts_for_the_children_it_names")]

    operations = [migrations.RunPython(forward, migrations.RunPython.noop)]
