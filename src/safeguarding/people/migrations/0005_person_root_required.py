"""Every person has a root from now on (the identity room sets it when it creates a person)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("people", "0004_person_root_personchange"),
    ]

    operations = [
        migrations.AlterField(
            model_name="person",
            name="root",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.DO_NOTHING, related_name="identities", to="people.person"
            ),
        ),
    ]
