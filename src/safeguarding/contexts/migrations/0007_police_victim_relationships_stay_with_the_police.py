"""A police relationships.csv row saying a child is an adult's victim names whom the police think offended
just as a "suspected_perpetrator" row does, but only the latter was police-only: the link built from the
victim row, and from the police's other rows about the same pair, was in every agency's networks, chart,
its CSV and networks.csv. The rule (``people.models.police_only_relationships``) now takes both kinds; the
single view and subject access read it when asked, and the links built before are made police-only here.
Links of pairs the police named as suspects before their other rows were followed (an earlier extract)
are put right the same way."""

from __future__ import annotations

from typing import Any

from django.db import migrations
from django.db.models import Exists, OuterRef

NAMES_AN_OFFENDER = ["suspected_perpetrator", "victim"]  # as ``people.models.NAMES_AN_OFFENDER``, frozen here


def hold(apps: Any, schema_editor: Any) -> None:
    Relationship = apps.get_model("people", "Relationship")
    Link = apps.get_model("contexts", "Link")
    named = Relationship.objects.filter(relationship__in=NAMES_AN_OFFENDER, source_system__agency__kind="police")
    same_way = named.filter(from_record=OuterRef("from_record"), to_record=OuterRef("to_record"))
    other_way = named.filter(from_record=OuterRef("to_record"), to_record=OuterRef("from_record"))
    held = Relationship.objects.filter(Exists(same_way) | Exists(other_way)).values("pk")
    Link.objects.filter(origin="relationship", relationship_id__in=held, restricted=False).update(restricted=True)


class Migration(migrations.Migration):
    dependencies = [
        ("contexts", "0006_entity_public_id_unique"),
        ("people", "0008_event_handling_c"),
    ]

    operations = [migrations.RunPython(hold, migrations.RunPython.noop)]
