"""Each piece of evidence says whether its event stayed with the police when the alert's words were
written. For the evidence already held the hub cannot know for certain, so it says so only where it is
sure the words never described the event: the alert's words were written counting police-only events
(it kept fuller words for the police), the event stays with the police now, and no import has changed
its type or handling code since it was imported (events change only by an import, and each import's
audit record lists the events it reclassified). Anywhere else the words may describe an event the police
hold now, and are withheld from everyone outside the police until a scan writes them again."""

from django.db import migrations, models
from django.db.models import Q

EXTRACT_IMPORTED = 401  # audit.models.AuditEventType.EXTRACT_IMPORTED, as it stood when this was written


def _reclassified(apps):  # type: ignore[no-untyped-def]
    """Every event an import has reclassified, or None when an import's record does not list them all."""
    AuditEvent = apps.get_model("audit", "AuditEvent")
    events = set()
    for detail in AuditEvent.objects.filter(event_type=EXTRACT_IMPORTED).values_list("detail", flat=True).iterator():
        if "reclassified_count" not in (detail or {}):
            # An import recorded before imports listed what they reclassified: it may have changed a
            # handling code all the same (every field of an event was updated), so nothing is certain.
            return None
        listed = (detail or {}).get("reclassified") or []
        if len(listed) < detail["reclassified_count"]:
            return None
        events.update(change["event"] for change in listed)
    return events


def mark_evidence_held_when_written(apps, schema_editor):  # type: ignore[no-untyped-def]
    AlertEvidence = apps.get_model("earlywarning", "AlertEvidence")
    reclassified = _reclassified(apps)
    if reclassified is None:
        return
    # people.models.restricted_events, as it stood when this was written
    restricted = Q(event__handling="C") | (Q(event__event_type="intelligence") & ~Q(event__handling="P"))
    held = AlertEvidence.objects.filter(restricted).exclude(alert__explanation_restricted="")
    ids = [pk for pk, event in held.values_list("pk", "event_id").iterator() if event not in reclassified]
    for start in range(0, len(ids), 5000):
        AlertEvidence.objects.filter(pk__in=ids[start : start + 5000]).update(police_only_when_written=True)


class Migration(migrations.Migration):

    dependencies = [
        ('audit', '0008_persons_shown'),
        ('earlywarning', '0010_stored_missed_opportunities'),
        ('people', '0008_event_handling_c'),
    ]

    operations = [
        migrations.AddField(
            model_name='alertevidence',
            name='police_only_when_written',
            field=models.BooleanField(default=False),
        ),
        migrations.RunPython(mark_evidence_held_when_written, migrations.RunPython.noop),
    ]
