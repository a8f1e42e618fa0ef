"""Work opened on an entity no one outside the police could see stays police-only (``police_only``).
Before, it followed the entity: once anyone submitted the registration, every agency read the
police's assessment and plan.

Existing work: police-only when, at its opening, the entity had links and none of them shared,
judged by the links recorded by then and their marking now (a link the police have since marked C
counts as police-only, which can only keep work back; one whose condition they have since lifted
counts as shared, as the police chose). Work on an entity with no links at its opening was seen by
everyone and stays so."""

from __future__ import annotations

from typing import Any

from django.db import migrations, models
from django.db.models import Exists, OuterRef


def police_only_at_opening(apps: Any, schema_editor: Any) -> None:
    ContextCase = apps.get_model("contexts", "ContextCase")
    Link = apps.get_model("contexts", "Link")
    by_then = Link.objects.filter(entity_id=OuterRef("entity_id"), recorded_at__lte=OuterRef("opened_at"))
    ContextCase.objects.filter(Exists(by_then), ~Exists(by_then.filter(restricted=False))).update(police_only=True)


class Migration(migrations.Migration):

    dependencies = [
        ("contexts", "0003_places_labelled_only_from_shared_records"),
    ]

    operations = [
        migrations.AddField(
            model_name="contextcase",
            name="police_only",
            field=models.BooleanField(default=False),
        ),
        migrations.RunPython(police_only_at_opening, migrations.RunPython.noop),
    ]
