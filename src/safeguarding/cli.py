"""The ``safeguarding`` command: the hub's own commands and every Django management command.

safeguarding demo            generate a synthetic partnership and import it
safeguarding import PATH     import an extract in the exchange format (folder or .zip)
safeguarding serve           run the hub at http://127.0.0.1:8000
safeguarding audit verify    check the audit trail has not been tampered with
safeguarding migrate, createsuperuser, ...   Django's own commands
"""

from __future__ import annotations

import os
import sys

# The hub's command names that are not valid Python module names, or read better as two words.
ALIASES = {"import": "import_extract"}


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "safeguarding.config.settings")
    args = list(sys.argv if argv is None else argv)
    args[0] = "safeguarding"
    if len(args) > 1:
        args[1] = ALIASES.get(args[1], args[1])
    from django.core.management import execute_from_command_line

    from safeguarding.audit.context import audit_context

    # Commands run by hand are recorded in the audit trail as coming from the command line.
    with audit_context(channel="command line"):
        execute_from_command_line(args)


if __name__ == "__main__":
    main()
