"""``safeguarding links``: build links between people, vehicles, places and phones from what the
agencies' records say that is new since the last build, and raise new-link alerts."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from safeguarding.contexts.services import links_build


class Command(BaseCommand):
    help = "Build links from the agencies' events, relationships and records; raise new-link alerts."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--no-alerts", action="store_true", help="build links without raising alerts")

    def handle(self, *args: Any, **options: Any) -> None:
        result = links_build(raise_alerts=not options["no_alerts"])
        self.stdout.write(
            f"Added {result.links_added:,} links and {result.entities_added:,} vehicles, places and phones; "
            f"raised {len(result.alerts):,} new-link alerts."
        )
        for kind, count in sorted(result.set_aside.items()):
            self.stdout.write(f"Set aside {count:,} {kind} values that could not be read (never joined on).")
        for name in result.placeholders:
            self.stdout.write(f"Placeholder (shared by too many people to link them): {name}")
