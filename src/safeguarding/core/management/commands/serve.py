"""``safeguarding serve``: run the hub with a production WSGI server (waitress) and its static files."""

from __future__ import annotations

import logging
import socket
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from safeguarding.core.options import whole_number


class Command(BaseCommand):
    help = "Serve the hub at http://HOST:PORT (default 127.0.0.1:8000)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--threads", type=int, default=8)
        parser.add_argument("--no-collectstatic", action="store_true", help="static files are already collected")
        parser.add_argument("--trusted-proxy", default=None, metavar="ADDRESS",
                            help="the reverse proxy's address: its X-Forwarded-For names the client "
                                 "(default: TRUSTED_PROXY, else none)")

    def handle(self, *args: Any, **options: Any) -> None:
        from waitress.server import create_server

        # Checked before anything is collected or started: waitress would take a port out of range or a
        # host it cannot look up for a ValueError, and no threads for a server that answers nobody.
        host = options["host"]
        port = whole_number(options, "port", minimum=1, maximum=65535) or 8000
        threads = whole_number(options, "threads", minimum=1) or 8
        address_check(host, port)
        if not options["no_collectstatic"]:
            call_command("collectstatic", interactive=False, verbosity=0)
        # Built only now: WhiteNoise indexes the collected files when the application is built.
        # (The application the settings name: WSGI_APPLICATION, as any WSGI server would load it.)
        from django.core.servers.basehttp import get_internal_wsgi_application

        application = get_internal_wsgi_application()
        proxy = settings.TRUSTED_PROXY if options["trusted_proxy"] is None else options["trusted_proxy"]
        logging.basicConfig()  # as waitress.serve: its own messages are shown
        try:
            server = create_server(application, **server_options(host, port, threads, proxy))
        except (OSError, ValueError) as exc:  # the port taken, or not ours to take
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            raise CommandError(f"Cannot serve on {host}:{port}: {reason}") from exc
        self.stdout.write(
            f"Safeguarding Hub on http://{host}:{port}/ "
            f"(database: {settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]}). Ctrl+C stops it."
        )
        try:
            server.run()
        except KeyboardInterrupt:
            self.stdout.write("Stopped.")
        finally:
            server.close()


def address_check(host: str, port: int) -> None:
    """A CommandError, with the reason, unless ``host`` names an address to listen on (as waitress looks
    it up: ``*`` is every address, an IPv6 address may be in brackets)."""
    name = None if host == "*" else host.strip("[]")
    try:
        socket.getaddrinfo(name, port, socket.AF_UNSPEC, socket.SOCK_STREAM, socket.IPPROTO_TCP, socket.AI_PASSIVE)
    except (OSError, UnicodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise CommandError(f"Cannot serve on {host}:{port}: {reason}") from None


def server_options(host: str, port: int, threads: int, trusted_proxy: str) -> dict[str, Any]:
    """waitress's settings. With a trusted proxy, a request from it takes its client's address from
    X-Forwarded-For (the last hop's, one proxy) and its scheme from X-Forwarded-Proto; from anyone else
    those headers are dropped, so no client can name its own address."""
    options: dict[str, Any] = {"host": host, "port": port, "threads": threads, "ident": "safeguarding"}
    if trusted_proxy:
        options.update(trusted_proxy=trusted_proxy, trusted_proxy_count=1,
                       trusted_proxy_headers={"x-forwarded-for", "x-forwarded-proto"},
                       clear_untrusted_proxy_headers=True)
    return options
