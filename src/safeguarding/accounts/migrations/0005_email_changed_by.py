"""Who last changed each account's e-mail address (a set-up link goes there): filled for existing accounts
from the audit trail, the latest *Changed a user* row whose address before and after differ (its actor and
time). An account whose address no row changed keeps None: its address is as it was made."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


USER_CHANGED = 504  # AuditEventType.USER_CHANGED, as it was when this migration was written


def fill_from_the_audit_trail(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    AuditEvent = apps.get_model("audit", "AuditEvent")
    seen = set()
    rows = AuditEvent.objects.filter(event_type=USER_CHANGED, target_kind="user").order_by("-sequence")
    for row in rows.values("target_id", "actor_id", "occurred_at", "detail").iterator():
        detail = row["detail"] if isinstance(row["detail"], dict) else {}
        if row["target_id"] in seen:
            continue
        if (detail.get("before") or {}).get("email") == (detail.get("after") or {}).get("email"):
            continue
        seen.add(row["target_id"])
        if row["target_id"].isdigit():
            User.objects.filter(pk=int(row["target_id"])).update(
                email_changed_by_id=row["actor_id"], email_changed_at=row["occurred_at"])


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0004_user_sessions_ended_at'),
        ('audit', '0008_persons_shown'),
    ]

    operations = [
        migrations.AddField(
            model_name='user',
            name='email_changed_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='user',
            name='email_changed_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.RunPython(fill_from_the_audit_trail, migrations.RunPython.noop),
    ]
