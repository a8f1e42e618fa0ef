"""``safeguarding source_systems list|add``: the systems whose extracts the hub accepts."""

from __future__ import annotations

import io
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Count
from rich.console import Console
from rich.table import Table

from safeguarding.accounts.models import Agency
from safeguarding.core.errors import ServiceError
from safeguarding.exchange.services import source_system_register
from safeguarding.people.models import SourceSystem


class Command(BaseCommand):
    help = "List the source systems whose extracts the hub accepts, or register one for an agency."

    def add_arguments(self, parser: ArgumentParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="{list,add}")
        actions.add_parser("list", help="list the registered source systems and their agencies")
        add = actions.add_parser("add", help="register a source system for an agency")
        add.add_argument("code", help="the code extracts use in their source_system column, e.g. police-records")
        add.add_argument("--agency", required=True, help="the code of the agency the system belongs to")
        add.add_argument("--name", required=True, help="a readable name, e.g. 'Police records management system'")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "add":
            self._add(options["code"], options["agency"], options["name"])
        else:
            self._list()

    def _add(self, code: str, agency_code: str, name: str) -> None:
        agency = Agency.objects.filter(code=agency_code).first()
        if agency is None:
            known = ", ".join(Agency.objects.values_list("code", flat=True)) or "none yet"
            raise CommandError(f"There is no agency {agency_code!r} (agencies: {known}).")
        try:
            system = source_system_register(code=code, name=name, agency=agency, actor_label="command line")
        except ServiceError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"Registered source system {system.code} ({system.name}) for {agency.name}.")

    def _list(self) -> None:
        systems = SourceSystem.objects.select_related("agency").annotate(record_count=Count("records")).order_by("code")
        if not systems:
            self.stdout.write("No source systems are registered. Add one with: safeguarding source_systems add CODE "
                              "--agency AGENCY --name NAME")
            return
        table = Table("code", "name", "agency", "records", box=None, header_style="bold")
        for system in systems:
            hub = " (the hub's own)" if system.is_hub else ""
            table.add_row(system.code, system.name + hub, f"{system.agency.name} ({system.agency.code})",
                          f"{system.record_count:,}")
        buffer = io.StringIO()
        Console(file=buffer, width=120, color_system=None).print(table)
        self.stdout.write(buffer.getvalue(), ending="")
