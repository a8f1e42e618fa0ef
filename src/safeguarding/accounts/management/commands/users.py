"""``safeguarding users add USERNAME --agency CODE --role ROLE``: make an account from the command
line, for the first administrators of a new hub (in the pages, every new account waits for a second
administrator, which a hub with none cannot have). The password is asked for and is temporary: it
must be changed at the first sign-in, and a second factor set up."""

from __future__ import annotations

import getpass
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from safeguarding.accounts import services
from safeguarding.accounts.access import role_assignable
from safeguarding.accounts.models import Agency, AgencyKind, Role
from safeguarding.core.errors import ServiceError


class Command(BaseCommand):
    help = "Add an account from the command line (the first administrators of a new hub)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        add = sub.add_parser("add", help="add an account with a temporary password")
        add.add_argument("username")
        add.add_argument("--agency", required=True, help="the agency's code")
        add.add_argument("--role", required=True,
                         help=f"a built-in role ({', '.join(Role.values)}) or the code of one of the partnership's own")
        add.add_argument("--agency-name", help="make the agency first, with this name, if the hub has none with the code")
        add.add_argument("--agency-kind", choices=AgencyKind.values, default=AgencyKind.COUNCIL)
        add.add_argument("--first-name", default="")
        add.add_argument("--last-name", default="")

    def handle(self, *args: Any, **options: Any) -> None:
        # Everything is checked before the password is asked for, and the agency (if it is new) and the
        # account are made in one transaction: a command that fails leaves nothing behind.
        code, role = options["agency"], options["role"]
        agency = Agency.objects.filter(code=code).first()
        try:
            if agency is None:
                if not options["agency_name"]:
                    raise CommandError(f"No agency has the code {code} (give --agency-name to make it)")
                services.agency_check(code=code, name=options["agency_name"], kind=options["agency_kind"])
            if not role_assignable(role):
                raise CommandError(f"No role has the code {role}: a built-in one is {', '.join(Role.values)}; "
                                   "the partnership's own are listed under Administration, Roles")
            services.user_check(username=options["username"], role=role, first_name=options["first_name"],
                                last_name=options["last_name"])
        except ServiceError as exc:
            raise CommandError(str(exc)) from exc
        password = self._password()
        try:
            with transaction.atomic():
                if agency is None:
                    agency = services.agency_create(
                        acting_user=None, code=code, name=options["agency_name"], kind=options["agency_kind"]
                    )
                user = services.user_create(
                    acting_user=None,
                    username=options["username"],
                    password=password,
                    agency=agency,
                    role=role,
                    first_name=options["first_name"],
                    last_name=options["last_name"],
                )
        except (ServiceError, ValidationError) as exc:
            raise CommandError(" ".join(getattr(exc, "messages", [str(exc)]))) from exc
        self.stdout.write(f"Added {user.username}. They change the password and set up a second factor when they first sign in.")

    def _password(self) -> str:
        try:
            password = getpass.getpass("Temporary password: ")
            if not password:
                raise CommandError("no password given")
            again = getpass.getpass("The same again: ")
        except EOFError:  # the input ended (a closed pipe, Ctrl+D) before a password was typed
            raise CommandError("no password given") from None
        if password != again:
            raise CommandError("The passwords do not match")
        return password
