"""The audit chain gets a keyed HMAC per row; the triggers refusing changes no longer stand aside
for a 'maintenance window' (a row anyone with database write access could insert): they are put back
unconditional and the window's table is dropped."""

from django.db import migrations, models

from safeguarding.audit import triggers


def unconditional(apps, schema_editor):  # type: ignore[no-untyped-def]
    triggers.run(schema_editor.connection, triggers.REMOVE)
    triggers.run(schema_editor.connection, triggers.INSTALL)
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS audit_maintenance_window")


class Migration(migrations.Migration):
    dependencies = [("audit", "0006_actor_recent_actions_index")]

    operations = [
        migrations.AddField(
            model_name="auditevent",
            name="row_mac",
            field=models.CharField(blank=True, max_length=64, null=True),
        ),
        migrations.RunPython(unconditional, migrations.RunPython.noop),
    ]
