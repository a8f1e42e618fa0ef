"""Entities were addressed and referenced by their primary key (``/networks/entities/123/``,
``E0000123``), a count in the order entities were made: a practitioner outside the police who
submitted a registration they were curious about beside a made-up one could compare the two entities'
ids, and an older one said records already named it, police-only ones where they saw none. Each
entity now has a random public id (``Entity.public_id``), and pages, addresses, charts and e-mails use
it; the address by primary key answers not found, for everyone.

Existing entities are given theirs here, a batch at a time. The hub's own record of the e-mails it sent
(``notifications.Notification.link``, the link each user's list of notices opens) is pointed at the new
address; the text of what was sent is kept as it was sent. The column becomes unique and required in
the next migration: on PostgreSQL a table's rows cannot be written and its constraints altered in one
transaction."""

from __future__ import annotations

import re
import secrets
from typing import Any

from django.db import migrations, models

_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"  # as ``contexts.models.entity_public_id``, frozen here
_BATCH = 2000
_ENTITY_LINK = re.compile(r"^/networks/entities/(\d+)/$")


def _new_id() -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(12))


def give_public_ids(apps: Any, schema_editor: Any) -> None:
    Entity = apps.get_model("contexts", "Entity")
    Notification = apps.get_model("notifications", "Notification")
    taken: set[str] = set()
    while True:
        pks = list(Entity.objects.filter(public_id__isnull=True).order_by("pk").values_list("pk", flat=True)[:_BATCH])
        if not pks:
            break
        batch = []
        for pk in pks:
            code = _new_id()
            while code in taken:
                code = _new_id()
            taken.add(code)
            batch.append(Entity(pk=pk, public_id=code))
        Entity.objects.bulk_update(batch, ["public_id"], batch_size=_BATCH)
    # Notices pointing at an entity's page by its old address: a few per new link, read a batch at a time.
    last = 0
    while True:
        rows = list(Notification.objects.filter(pk__gt=last, link__startswith="/networks/entities/")
                    .order_by("pk").values_list("pk", "link")[:_BATCH])
        if not rows:
            break
        last = rows[-1][0]
        old = {pk: int(match.group(1)) for pk, link in rows if (match := _ENTITY_LINK.match(link))}
        public = dict(Entity.objects.filter(pk__in=set(old.values())).values_list("pk", "public_id"))
        Notification.objects.bulk_update(
            [Notification(pk=pk, link=f"/networks/entities/{public[entity]}/") for pk, entity in old.items()
             if entity in public],
            ["link"], batch_size=_BATCH,
        )


class Migration(migrations.Migration):
    dependencies = [
        ("contexts", "0004_work_opened_on_a_police_only_entity_stays_police_only"),
        ("notifications", "0007_police_holding_touched"),
    ]

    operations = [
        migrations.AddField(
            model_name="entity",
            name="public_id",
            field=models.CharField(editable=False, max_length=12, null=True),
        ),
        migrations.RunPython(give_public_ids, migrations.RunPython.noop),
    ]
