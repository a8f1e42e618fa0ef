"""The history of merges and splits moves to the identity room (people.PersonChange). Concerns that
merges moved into the person they joined go back under the id they were raised for: reads now follow
each person's root, so nothing needs moving, and an undone merge then gives each id its own concerns."""

from django.db import migrations


def copy_changes(apps, schema_editor):  # type: ignore[no-untyped-def]
    Old = apps.get_model("linkage", "PersonChange")
    New = apps.get_model("people", "PersonChange")
    Concern = apps.get_model("frontdoor", "Concern")
    rows = list(Old.objects.order_by("pk").values())
    New.objects.bulk_create(
        [
            New(
                pk=row["id"], kind=row["kind"], at=row["at"], linkage_run_id=row["run_id"],
                match_decision_id=row["decision_id"], person_id=row["person_id"], moves=row["moves"],
            )
            for row in rows
        ],
        batch_size=2000,
    )
    for row in rows:
        if row["undone_by_id"] is not None:
            New.objects.filter(pk=row["id"]).update(undone_by_id=row["undone_by_id"])
    for row in rows:
        if row["undone_by_id"] is not None:
            continue
        for move in row["moves"]:
            if "concern" in move:
                Concern.objects.filter(pk=move["concern"], child_id=move["to"]).update(child_id=move["from"])
    if schema_editor.connection.vendor == "postgresql" and rows:
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence('people_personchange', 'id'), "
                "(SELECT max(id) FROM people_personchange))"
            )


class Migration(migrations.Migration):
    dependencies = [
        ("linkage", "0002_matchreview_flag"),
        ("people", "0004_person_root_personchange"),
        ("frontdoor", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(copy_changes, migrations.RunPython.noop),
        migrations.DeleteModel(name="PersonChange"),
    ]
