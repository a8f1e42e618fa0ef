"""``safeguarding totp USERNAME``: the code a demo account's authenticator shows now, so a tester can
sign in to the local demo without a phone. Refused unless the hub runs as the local demo
(SAFEGUARDING_LOCAL_DEMO=1, which make run sets, or DEBUG=1), and for any authenticator but the one
the demo made: a real person's second factor is never printed."""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from safeguarding.accounts.mfa import code_at
from safeguarding.accounts.selectors import demo_authenticator_of


class Command(BaseCommand):
    help = "Print the current security code of a demo account (the local demo only)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")

    def handle(self, *args: Any, **options: Any) -> None:
        if not (settings.LOCAL_DEMO or settings.DEBUG):
            raise CommandError(
                "safeguarding totp works only for the local demo (SAFEGUARDING_LOCAL_DEMO=1 or DEBUG=1, as make run sets)"
            )
        device = demo_authenticator_of(username=options["username"])
        if device is None:
            raise CommandError(f"{options['username']} is not one of the demo's accounts with a demo authenticator")
        now = time.time()
        left = device.step - int(now - device.t0) % device.step
        self.stdout.write(code_at(device, now))
        self.stderr.write(f"(valid for {left} more seconds, and the 30 seconds after)")
