"""A place's label and kind were taken from the first record naming its postcode, even a police-only
one ("Op KESTREL stash flat above Ali kebab (S60 1AA)"), and shown and searched by every agency.
Places labelled so take the name the first shared record gave them, or their postcode alone, and
the kind guessed from that name, or none (a kind a person set on the place's page is kept).

Labelled so: a police-only event gave the label, or the place's first link is police-only. Before the
rule the record that made a place labelled it and nothing relabelled it, so a place first named by
intelligence held with conditions carries its words even though the link keeps none of them, and even
when a submission or shared intelligence named the place later (neither relabelled it).

New-link alerts quoted the label in their stored words ("Seen at place: <label>. The same place...");
those quoting an old label are given the new one. A concern started from such an alert is a
professional's text and is left as written. A migration writes no audit row (as the others).

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
            link_model=apps.get_model("contexts", "Link"), alert_model=apps.get_model("earlywarning", "Alert"),
            first_record_labelled=True)


class Migration(migrations.Migration):
    dependencies = [
        ("contexts", "0002_suspects_named_in_intelligence_stay_with_the_police"),
        ("audit", "0008_persons_shown"),
        ("people", "0008_event_handling_c"),
        ("earlywarning", "0008_rule_kind_new_link"),
    ]

    operations = [migrations.RunPython(relabel_places, migrations.RunPython.noop)]
