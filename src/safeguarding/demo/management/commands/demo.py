"""``safeguarding demo``: build the synthetic partnership (agencies, sign-ins, a generated area in
the exchange format with its ground truth) and import it into the hub."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from rich.console import Console
from rich.table import Table

from safeguarding.accounts.models import Role
from safeguarding.accounts.selectors import demo_authenticator_keys
from safeguarding.core.bulk import refresh_statistics
from safeguarding.core.errors import ServiceError
from safeguarding.core.options import whole_number
from safeguarding.core.progress import stage_bars
from safeguarding.demo.behaviours import BEHAVIOURS
from safeguarding.demo.generator import generate_partnership
from safeguarding.demo.partnership import (
    AGENCIES,
    DEMO_PASSWORD,
    DEMO_USERS,
    demo_casework,
    demo_concerns_raise,
    demo_intervene,
    demo_justice,
    demo_own_role,
    demo_partnership_setup,
    demo_strategy_targets,
    demo_support_and_data_protection,
)
from safeguarding.earlywarning.services import rule_precision_refresh
from safeguarding.linkage.review_queue import review_priorities_refresh


class Command(BaseCommand):
    help = "Generate a seeded synthetic partnership in the exchange format, keep its ground truth, and import it."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--children", type=int, default=2000, help="children in the area (default 2000)")
        parser.add_argument(
            "--records", type=int, default=None, help="aim for this many people rows instead (e.g. 1000000)"
        )
        parser.add_argument("--seed", type=int, default=20251122, help="the same seed always gives the same area")
        parser.add_argument(
            "--behaviour", default="default", choices=sorted(BEHAVIOURS),
            help="how the area's children behave (demo.behaviours): default, or an area the rules were not tuned on",
        )
        parser.add_argument(
            "--out", type=Path, default=None, help="where to write the extract and truth (default data/demo)"
        )
        parser.add_argument("--no-import", action="store_true", help="only generate the files")
        parser.add_argument("--no-link", action="store_true", help="import without linking records into persons")
        parser.add_argument("--no-scan", action="store_true", help="do not run the early-warning rules")
        parser.add_argument("--quiet", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        # Checked before anything is migrated, set up or written (the generator's own limits).
        whole_number(options, "children", minimum=1)
        whole_number(options, "records", minimum=100)
        console = Console(quiet=options["quiet"])
        out: Path = options["out"] or settings.DATA_DIR / "demo"
        started = time.monotonic()
        call_command("migrate", interactive=False, verbosity=0)
        demo_partnership_setup()

        with stage_bars(console, quiet=options["quiet"], prefix="Generating ") as report:
            summary = generate_partnership(
                out,
                children=options["children"],
                seed=options["seed"],
                target_records=options["records"],
                progress=report,
                everyday=BEHAVIOURS[options["behaviour"]].everyday,
                exploited=BEHAVIOURS[options["behaviour"]].exploited,
            )
        console.print(
            f"Generated {summary.people_rows:,} people rows, {summary.event_rows:,} events and "
            f"{summary.relationship_rows:,} relationships for {summary.children:,} children and {summary.adults:,} adults "
            f"({summary.exploited_children} exploited children in {summary.networks} networks) in {summary.extract_dir}; "
            f"ground truth in {summary.truth_dir}."
        )
        if options["no_import"]:
            return
        try:
            call_command("import_extract", str(summary.extract_dir), quiet=options["quiet"])
            if not options["no_link"]:
                call_command("link", quiet=options["quiet"])
            if not options["no_scan"]:
                call_command("scan", quiet=options["quiet"])
            if not options["no_link"]:
                # Links between people, vehicles, places and phones; new-link alerts go to the queue.
                call_command("links", stdout=self.stdout)
        except ServiceError as exc:
            raise CommandError(str(exc)) from exc
        raised = demo_concerns_raise()
        if raised:
            console.print(f"Raised {raised} concerns at the front door for the demo.")
        if not options["no_link"]:
            justice = demo_justice()
            if justice["operations"]:
                console.print(
                    f"Recorded {justice['intelligence']} graded intelligence reports, opened work on "
                    f"{justice['contexts']} place and an operation, as the demo's intelligence officer."
                )
        if not options["no_scan"]:
            worked = demo_casework()
            if worked["referred"]:
                console.print(
                    f"Referred {worked['referred']} children with alerts to the panel, screened them, and "
                    f"acknowledged {worked['acknowledged']} more alert, as the demo's MACE coordinator and lead "
                    "practitioner."
                )
            intervened = demo_intervene()
            console.print(
                f"Worked out {intervened['clocks']:,} statutory clocks; held a panel meeting that opened "
                f"{intervened['plans']} plans with {intervened['actions']} actions; escalated "
                f"{intervened['escalations']} overdue actions and clocks."
            )
            # The pairs waiting for review touching the children just alerted, referred and planned for come first.
            review_priorities_refresh()
            precise = rule_precision_refresh()
            console.print(
                f"Back-tested {len({row.rule_id for row in precise})} switched-on early-warning rules over the "
                "history: each alert shows how many of the children its rule flagged were referred later."
            )
        kept = demo_support_and_data_protection()
        refresh_statistics()  # the first visitors' pages planned for the demo's data, not an empty hub's
        if kept["plans"]:
            console.print(
                f"Opened {kept['plans']} support plans, logged {kept['requests']} subject access request, placed "
                f"{kept['holds']} legal hold and sealed {kept['seals']} record, as the demo's support worker and data "
                "protection officer."
            )

        if demo_own_role():
            console.print("Defined a role of the partnership's own (Youth justice worker), as the demo's administrator.")
        if demo_strategy_targets():
            console.print("Recorded the board's first strategy targets, as the demo's scrutineer: the board report "
                          "shows each quarter's figures against them.")

        table = Table(title=f"Demo sign-ins (password for all: {DEMO_PASSWORD})")
        for column in ("Username", "Role", "Agency", "Authenticator key"):
            table.add_column(column)
        agencies = {code: name for code, name, _ in AGENCIES}
        roles = dict(Role.choices)
        keys = demo_authenticator_keys()
        for u in DEMO_USERS:
            table.add_row(u.username, roles[u.role], agencies[u.agency], keys.get(u.username, ""))
        console.print(table)
        console.print(
            "Signing in asks for a security code after the password. Add an account's key to an authenticator "
            "app, or print its current code with: SAFEGUARDING_LOCAL_DEMO=1 .venv/bin/safeguarding totp USERNAME "
            "(the demo's accounts only; refused without SAFEGUARDING_LOCAL_DEMO=1 or DEBUG=1)."
        )
        console.print(f"Demo ready in {time.monotonic() - started:.0f} s.")
