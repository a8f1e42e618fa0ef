"""A place's label and kind were taken from the first record naming its postcode, even a police-only
one ("Op KESTREL stash flat above Ali kebab (S60 1AA)"), and shown and searched by every agency.
Places labelled so take the name the first shared record gave them, or their postcode alone, and
the kind guessed from that name, or none (a kind a person set on the place's page is kept).

Done here rather than by the next link build: the build reads only new events, and until the next
extract the police's words would stay on every page; a migration puts it right before the hub serves
a page again. The rule is ``contexts.relabel``'s, which the hub also uses when an import marks an
event police-only after the fact."""

from __future__ import annotations

from typing import Any

from django.db import migrations


def relabel_places(apps: Any, schema_editor: Any) -> None:
    from safeguarding.contexts.relabel import relabel

    relabel(entity_model=apps.get_model("contexts", "Entity"), audit_model=apps.get_model("audit", "AuditEvent"),
            link_model=apps.get_model("contexts", "Link"))


class Migration(migrations.Migration):
    dependencies = [
        ("contexts", "0002_suspects_named_in_intelligence_stay_with_the_police"),
        ("audit", "0008_persons_shown"),
        ("people", "0008_event_handling_c"),
    ]

    operations = [migrations.RunPython(relabel_places, migrations.RunPython.noop)]
