"""``safeguarding worker``: the background worker, a process of its own beside the web server.

It keeps the hub's schedules (``workflows.scheduled.SCHEDULES``) in the queue's table, then runs
Django-Q2's cluster over the queue in the hub's own database: jobs pages start (a test against
history), e-mails, and the scheduled work. Run it as its own service in production (see README)."""

from __future__ import annotations

from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from safeguarding.workflows.jobs import schedules_install


class Command(BaseCommand):
    help = "Run the background worker (scheduled work, e-mails, tests against history)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--install-only", action="store_true", help="keep the schedules, then stop")

    def handle(self, *args: Any, **options: Any) -> None:
        installed = schedules_install()
        self.stdout.write(f"Schedules kept: {', '.join(installed)}.")
        if options["install_only"]:
            return
        call_command("qcluster")
