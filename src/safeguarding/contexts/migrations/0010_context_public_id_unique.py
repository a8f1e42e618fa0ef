"""Every piece of work on a context has its public id (0009): from now on it is required, unique, and
made at random for each new piece of work."""

from __future__ import annotations

from django.db import migrations, models

import safeguarding.contexts.models


class Migration(migrations.Migration):
    dependencies = [
        ("contexts", "0009_context_work_addressed_by_a_random_public_id"),
    ]

    operations = [
        migrations.AlterField(
            model_name="contextcase",
            name="public_id",
            field=models.CharField(default=safeguarding.contexts.models.entity_public_id, editable=False,
                                   max_length=12, unique=True),
        ),
    ]
