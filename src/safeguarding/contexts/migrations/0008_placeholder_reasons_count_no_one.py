"""A placeholder's reason said how many different people it was linked to ("Linked to 31 different
people: a value many records share..."), counted over every link, the police's too, and every reader of
the entity's page read it: beside the few people a reader outside the police saw, the number said how
many more the police hold. The reasons keep their words and lose the number; the page tells the police
the count from the links they see."""

from __future__ import annotations

import re
from typing import Any

from django.db import migrations

_COUNTED = re.compile(r"^Linked to \d+ different people: ")


def uncount(apps: Any, schema_editor: Any) -> None:
    Entity = apps.get_model("contexts", "Entity")
    changed = []
    for entity in Entity.objects.filter(placeholder_reason__startswith="Linked to ").only("pk", "placeholder_reason"):
        entity.placeholder_reason = _COUNTED.sub("", entity.placeholder_reason)
        changed.append(entity)
    Entity.objects.bulk_update(changed, ["placeholder_reason"], batch_size=1000)


class Migration(migrations.Migration):
    dependencies = [("contexts", "0007_police_victim_relationships_stay_with_the_police")]

    operations = [migrations.RunPython(uncount, migrations.RunPython.noop)]
