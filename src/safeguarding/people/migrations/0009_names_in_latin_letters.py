"""Find a person's keys of the records whose names hold a letter Unicode cannot fold (Łukasz, Michał, Søren):
worked out again now that such a letter is written as its Latin letter (lukasz), not dropped (ukasz)."""

from django.db import migrations

from safeguarding.core import normalise

_FIELDS = ("given_key", "given_sound", "family_key", "family_sound", "family_last", "other_keys")


def keys_again(apps, schema_editor):  # type: ignore[no-untyped-def]
    SourceRecord = apps.get_model("people", "SourceRecord")
    changed = []
    rows = SourceRecord.objects.values_list("pk", "given_name", "family_name", "other_names", *_FIELDS)
    for pk, given, family, others, *kept in rows.iterator(chunk_size=5000):
        if f"{given}{family}{others}".isascii():
            continue
        keys = normalise.record_name_keys(given, family, others)
        if [keys[f] for f in _FIELDS] != kept:
            changed.append(SourceRecord(pk=pk, **keys))
    # Written after the reading ends (SQLite reads and writes one table on one connection without isolation).
    SourceRecord.objects.bulk_update(changed, _FIELDS, batch_size=1000)


class Migration(migrations.Migration):

    dependencies = [
        ("people", "0008_event_handling_c"),
    ]

    operations = [migrations.RunPython(keys_again, migrations.RunPython.noop, elidable=True)]
