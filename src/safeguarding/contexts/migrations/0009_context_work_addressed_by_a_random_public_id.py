"""Work on a context was addressed and referenced by its primary key (``/networks/contexts/5/``,
``X00005``), a count in the order work was opened, the police-only work included: the gaps between the
references a reader outside the police saw counted the police's work opened meanwhile. Each piece of
work now has a random public id (``ContextCase.public_id``, as entities have theirs), and pages and
addresses use it; the address by primary key answers not found, for everyone.

Existing work is given its id here, a batch at a time. No notice or e-mail links to work on a context,
so there is nothing else to point at the new address. The column becomes unique and required in the
next migration: on PostgreSQL a table's rows cannot be written and its constraints altered in one
transaction."""

from __future__ import annotations

import secrets
from typing import Any

from django.db import migrations, models

_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"  # as ``contexts.models.entity_public_id``, frozen here
_BATCH = 2000


def _new_id() -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(12))


def give_public_ids(apps: Any, schema_editor: Any) -> None:
    ContextCase = apps.get_model("contexts", "ContextCase")
    taken: set[str] = set()
    while True:
        pks = list(ContextCase.objects.filter(public_id__isnull=True).order_by("pk")
                   .values_list("pk", flat=True)[:_BATCH])
        if not pks:
            break
        batch = []
        for pk in pks:
            code = _new_id()
            while code in taken:
                code = _new_id()
            taken.add(code)
            batch.append(ContextCase(pk=pk, public_id=code))
        ContextCase.objects.bulk_update(batch, ["public_id"], batch_size=_BATCH)


class Migration(migrations.Migration):
    dependencies = [
        ("contexts", "0008_placeholder_reasons_count_no_one"),
    ]

    operations = [
        migrations.AddField(
            model_name="contextcase",
            name="public_id",
            field=models.CharField(editable=False, max_length=12, null=True),
        ),
        migrations.RunPython(give_public_ids, migrations.RunPython.noop),
    ]
