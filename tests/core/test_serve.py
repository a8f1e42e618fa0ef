"""`safeguarding serve` behind a reverse proxy: waitress, configured as the command configures it, gives
the hub the client's address (what sign-in lockout counts and the audit trail records) only when the
request comes from the trusted proxy; no one else can name their own address."""

from __future__ import annotations

import socket
import threading
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from waitress import create_server

from safeguarding.accounts.lockout import address_of
from safeguarding.core.management.commands.serve import server_options


def _hub_sees(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    from django.http import HttpRequest

    request = HttpRequest()
    request.META = environ
    seen = f"{address_of(request)} {environ['wsgi.url_scheme']} {environ.get('HTTP_X_FORWARDED_FOR', '-')}"
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [seen.encode()]


@pytest.fixture
def served() -> Iterator[Any]:
    """Servers run as `serve` runs them, each in a thread polling in short turns, so that closing one
    waits for its turn to end (closed under a running ``select``, a thread died of a bad file descriptor)."""
    stopping = threading.Event()
    running: list[tuple[Any, threading.Thread]] = []

    def serve(trusted_proxy: str) -> str:
        options = server_options("127.0.0.1", 0, 2, trusted_proxy)
        server = create_server(_hub_sees, **options)

        def run() -> None:
            while not stopping.is_set():
                server.asyncore.loop(timeout=0.05, map=server._map, use_poll=server.adj.asyncore_use_poll, count=1)

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        running.append((server, thread))
        return f"http://127.0.0.1:{server.effective_port}/"

    yield serve
    stopping.set()
    for server, thread in running:
        thread.join(timeout=5)
        server.close()
        server.task_dispatcher.shutdown()


def _get(url: str, **headers: str) -> str:
    with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=10) as response:  # noqa: S310
        return response.read().decode()


def test_behind_the_trusted_proxy_the_hub_sees_each_clients_address(served: Any) -> None:
    url = served("127.0.0.1")  # the test's requests come from the proxy's address
    assert _get(url, **{"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"}).split()[:2] == [
        "203.0.113.9", "https"]
    assert _get(url, **{"X-Forwarded-For": "198.51.100.7"}).split()[0] == "198.51.100.7"
    # A client naming an address before the proxy's own entry is not believed: the proxy's entry counts.
    assert _get(url, **{"X-Forwarded-For": "10.9.9.9, 198.51.100.7"}).split()[0] == "198.51.100.7"


def test_without_a_trusted_proxy_or_from_elsewhere_no_client_names_its_own_address(served: Any) -> None:
    for proxy in ("", "192.0.2.1"):
        seen = _get(served(proxy), **{"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"}).split()
        assert seen[:2] == ["127.0.0.1", "http"], proxy
    # From an address that is not the proxy's, the forwarded headers are dropped before the hub sees them.
    assert _get(served("192.0.2.1"), **{"X-Forwarded-For": "203.0.113.9"}).split()[2] == "-"


@pytest.mark.parametrize(
    ("arguments", "reason"),
    [(["--port", "-1"], "--port must be from 1 to 65535"), (["--port", "99999"], "--port must be from 1 to 65535"),
     (["--threads", "0"], "--threads must be 1 or more"),
     (["--host", "no.such.host.invalid"], "Cannot serve on no.such.host.invalid:8000: ")],
)
def test_serve_refuses_an_address_or_threads_it_cannot_serve_with_before_anything_starts(
    arguments: list[str], reason: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from safeguarding.core.management.commands import serve

    def not_now(*args: object, **kwargs: object) -> None:
        raise AssertionError("static files collected, though serving was bound to fail")

    monkeypatch.setattr(serve, "call_command", not_now)
    with pytest.raises(CommandError, match=f"^{reason}"):
        call_command("serve", *arguments)


def test_serve_on_a_port_already_taken_says_so_in_one_line() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(CommandError, match=f"^Cannot serve on 127.0.0.1:{port}: Address already in use$"):
            call_command("serve", "--no-collectstatic", "--port", str(port), "--threads", "1")
