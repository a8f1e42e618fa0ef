"""A suspected perpetrator named in graded intelligence is police-only whatever its handling code:
links recorded before from intelligence marked P are made so."""

from __future__ import annotations

from typing import Any

from django.db import migrations


def restrict(apps: Any, schema_editor: Any) -> None:
    Link = apps.get_model("contexts", "Link")
    Link.objects.filter(origin="intelligence", nature="suspected_perpetrator", restricted=False).update(restricted=True)


class Migration(migrations.Migration):
    dependencies = [("contexts", "0001_initial")]

    operations = [migrations.RunPython(restrict, migrations.RunPython.noop)]
