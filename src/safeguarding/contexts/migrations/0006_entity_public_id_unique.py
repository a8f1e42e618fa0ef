"""Every entity has its public id (0005): from now on it is required, unique, and made at random for
each new entity."""

from __future__ import annotations

from django.db import migrations, models

import safeguarding.contexts.models


class Migration(migrations.Migration):
    dependencies = [
        ("contexts", "0005_entities_addressed_by_a_random_public_id"),
    ]

    operations = [
        migrations.AlterField(
            model_name="entity",
            name="public_id",
            field=models.CharField(default=safeguarding.contexts.models.entity_public_id, editable=False,
                                   max_length=12, unique=True),
        ),
    ]
