"""The e-mail address an access change was asked with (its approval's set-up link goes there), and when
e-mailing a set-up link last failed. A change awaiting approval is given its account's address now only if
no one has changed that address since the change was asked for (accounts 0005 found who last did, from the
audit trail); otherwise it keeps None, and its approval, if it would send a link, is refused: ask again."""

from django.db import migrations, models


def address_of_pending_changes(apps, schema_editor):
    AccessChange = apps.get_model("account_security", "AccessChange")
    for change in AccessChange.objects.filter(status="pending").select_related("subject"):
        changed_at = change.subject.email_changed_at
        if changed_at is None or changed_at < change.requested_at:
            change.address = change.subject.email.strip()
            change.save(update_fields=["address"])


class Migration(migrations.Migration):

    dependencies = [
        ('account_security', '0002_set_up_links'),
        ('accounts', '0005_email_changed_by'),
    ]

    operations = [
        migrations.AddField(
            model_name='accesschange',
            name='address',
            field=models.EmailField(blank=True, max_length=254, null=True),
        ),
        migrations.AddField(
            model_name='setuplink',
            name='send_failed_at',
            field=models.DateTimeField(blank=True, help_text='the last try to e-mail it failed', null=True),
        ),
        migrations.RunPython(address_of_pending_changes, migrations.RunPython.noop),
    ]
