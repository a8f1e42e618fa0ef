"""Names as *Find a person* looks them up: keys and sounds on each source record, filled for the records
already held, and indexed (on PostgreSQL, other names by trigram; on SQLite, by a partial index)."""

from typing import Any

from django.db import migrations, models

from safeguarding.core import normalise


def fill_keys(apps: Any, schema_editor: Any) -> None:
    SourceRecord = apps.get_model("people", "SourceRecord")
    batch: list[Any] = []
    fields = ["given_key", "given_sound", "family_key", "family_sound", "family_last", "other_keys"]
    for record in SourceRecord.objects.only("id", "given_name", "family_name", "other_names").iterator(chunk_size=5000):
        record.given_key = normalise.name_key(record.given_name)
        record.given_sound = normalise.name_sound(record.given_name)
        record.family_key = normalise.name_key(record.family_name)
        record.family_sound = normalise.name_sound(record.family_name)
        record.family_last = normalise.last_name_word(record.family_name)
        record.other_keys = normalise.other_name_keys(record.other_names)
        batch.append(record)
        if len(batch) == 5000:
            SourceRecord.objects.bulk_update(batch, fields)
            batch = []
    if batch:
        SourceRecord.objects.bulk_update(batch, fields)


OTHER_KEYS_INDEX = {
    # A word anywhere among the other names: a trigram index answers LIKE '%word%' on PostgreSQL.
    "postgresql": ("CREATE EXTENSION IF NOT EXISTS pg_trgm",
                   "CREATE INDEX record_other_keys ON people_sourcerecord USING gin (other_keys gin_trgm_ops) "
                   "WHERE other_keys > ''"),
    # SQLite reads only the records that have other names, from the index, rather than every record.
    # (with the person, so that a search reads the index alone).
    "sqlite": ("CREATE INDEX record_other_keys ON people_sourcerecord (other_keys, person_id) WHERE other_keys > ''",),
}


def other_keys_index(apps: Any, schema_editor: Any) -> None:
    for sql in OTHER_KEYS_INDEX.get(schema_editor.connection.vendor, ()):
        schema_editor.execute(sql)


def drop_other_keys_index(apps: Any, schema_editor: Any) -> None:
    schema_editor.execute("DROP INDEX IF EXISTS record_other_keys")


class Migration(migrations.Migration):

    dependencies = [
        ('people', '0005_person_root_required'),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='sourcerecord',
            name='people_sour_family__2f9676_idx',
        ),
        migrations.AddField(
            model_name='sourcerecord',
            name='family_key',
            field=models.CharField(blank=True, max_length=60),
        ),
        migrations.AddField(
            model_name='sourcerecord',
            name='family_last',
            field=models.CharField(blank=True, help_text='the last word of a family name of several', max_length=60),
        ),
        migrations.AddField(
            model_name='sourcerecord',
            name='family_sound',
            field=models.CharField(blank=True, max_length=16),
        ),
        migrations.AddField(
            model_name='sourcerecord',
            name='given_key',
            field=models.CharField(blank=True, max_length=60),
        ),
        migrations.AddField(
            model_name='sourcerecord',
            name='given_sound',
            field=models.CharField(blank=True, max_length=16),
        ),
        migrations.AddField(
            model_name='sourcerecord',
            name='other_keys',
            field=models.TextField(blank=True, help_text="other names' keys and sounds, space-separated"),
        ),
        migrations.RunPython(fill_keys, migrations.RunPython.noop, elidable=True),
        migrations.AddIndex(
            model_name='sourcerecord',
            index=models.Index(fields=['family_key', 'given_key'], name='record_family_given_key'),
        ),
        migrations.AddIndex(
            model_name='sourcerecord',
            index=models.Index(fields=['family_sound', 'given_sound'], name='record_family_given_sound'),
        ),
        migrations.AddIndex(
            model_name='sourcerecord',
            index=models.Index(condition=models.Q(('family_last__gt', '')), fields=['family_last'], name='record_family_last'),
        ),
        migrations.RunPython(other_keys_index, drop_other_keys_index),
    ]
