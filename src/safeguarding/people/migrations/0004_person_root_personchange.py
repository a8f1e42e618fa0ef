"""Each person's root (the person they are now, following merges), and the history of merges and
splits, which moves here from the linkage room (copied by linkage 0003)."""

import django.db.models.deletion
from django.db import migrations, models


def fill_roots(apps, schema_editor):  # type: ignore[no-untyped-def]
    """Each person's root: follow merged_into to its end (a person never merged is its own root)."""
    Person = apps.get_model("people", "Person")
    parent = dict(Person.objects.filter(merged_into__isnull=False).values_list("pk", "merged_into_id"))
    Person.objects.filter(merged_into__isnull=True).update(root=models.F("pk"))
    by_root: dict[int, list[int]] = {}
    for pk in parent:
        current, seen = pk, set()
        while current in parent and current not in seen:
            seen.add(current)
            current = parent[current]
        by_root.setdefault(current, []).append(pk)
    for root, persons in by_root.items():
        for start in range(0, len(persons), 5000):
            Person.objects.filter(pk__in=persons[start : start + 5000]).update(root_id=root)


class Migration(migrations.Migration):
    dependencies = [
        ("people", "0003_sourcerecord_postcode_other"),
    ]

    operations = [
        migrations.AddField(
            model_name="person",
            name="root",
            field=models.ForeignKey(
                null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name="identities", to="people.person"
            ),
        ),
        migrations.CreateModel(
            name="PersonChange",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("kind", models.CharField(choices=[("merge", "Merged"), ("split", "Split"), ("undo", "Undone")], max_length=10)),
                ("at", models.DateTimeField()),
                ("linkage_run_id", models.BigIntegerField(blank=True, db_index=True, null=True)),
                ("match_decision_id", models.BigIntegerField(blank=True, db_index=True, null=True)),
                ("moves", models.JSONField(default=list)),
                ("person", models.ForeignKey(help_text="the person kept", on_delete=django.db.models.deletion.PROTECT, related_name="changes", to="people.person")),
                ("undone_by", models.OneToOneField(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="undoes", to="people.personchange")),
            ],
            options={"ordering": ["-at"]},
        ),
        migrations.RunPython(fill_roots, migrations.RunPython.noop),
    ]
