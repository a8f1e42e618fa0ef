"""Writing the demo partnership: its extract in the exchange format (columns in the order the
format's description gives them) and the ground truth beside it.

Rows are streamed to a part file per system and file, then joined, each system's rows together,
as if each agency's nightly extract had been concatenated; so a million people rows take little
memory. The extract is an input for the hub's importer, written with the plain csv module: its
values (``+44 7700 900123``) are as agencies send them, not cells for a spreadsheet.
"""

from __future__ import annotations

import csv
import shutil
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import IO, Any

from safeguarding.exchange.format import EVENTS, PEOPLE, RELATIONSHIPS, FileFormat

TRUTH_PERSONS_COLUMNS: tuple[str, ...] = ("source_system", "record_id", "true_person_id")
TRUTH_EXPLOITED_COLUMNS: tuple[str, ...] = (
    "true_person_id", "exploitation_type", "began_on", "network_id", "first_concern_on",
)
TRUTH_NETWORK_COLUMNS: tuple[str, ...] = ("network_id", "entity_kind", "entity_key")

ProgressCallback = Callable[[str, int, int], None]

_TRUTH_README = (
    "Ground truth for the synthetic Eastwood partnership in ../extract. Every person, vehicle, phone "
    "and place is invented. persons.csv maps every row of people.csv (source_system, record_id) to the "
    "true person it describes (true_person_id); records with the same true_person_id are the same human "
    "being however differently the agencies wrote them, so it scores record linkage. exploited.csv lists "
    "the children who were exploited: exploitation_type (sexual or criminal), the day it began "
    "(began_on), the planted network that exploited them (network_id; empty for online, peer or lone "
    "exploitation) and the day a professional first raised a concern (first_concern_on; empty if nobody "
    "did before the end of the period), so it scores early-warning rules: how many were flagged, how "
    "long before the first concern, and how many others were flagged too. networks.csv lists each "
    "network's members as network_id, entity_kind, entity_key: person (true_person_id of the "
    "perpetrators and of the children they exploited), vehicle (registration, upper case, no spaces), "
    "place (normalised postcode) and phone (E.164); every vehicle, place and phone listed appears in "
    "events.csv, so it scores network analysis.\n"
)


class _NullFile:
    """A file that forgets what it is told: the calibration run only counts rows."""

    def write(self, text: str) -> int:
        return len(text)


class ExtractWriter:
    """The streams the generator writes to: one part file per system and file, and the truth.
    With no folder, rows are only counted (the calibration run)."""

    def __init__(self, out_dir: Path | None, systems: Sequence[str]) -> None:
        self.out_dir = out_dir
        self.systems = tuple(systems)
        self.people_rows = 0
        self.event_rows = 0
        self.relationship_rows = 0
        self._files: list[IO[str]] = []
        self._people: dict[str, Any] = {}
        self._events: dict[str, Any] = {}
        self._relationships: dict[str, Any] = {}
        if out_dir is None:
            null = _NullFile()
            for system in self.systems:
                self._people[system] = csv.writer(null)
                self._events[system] = csv.writer(null)
                self._relationships[system] = csv.writer(null)
            self._truth_persons = csv.writer(null)
            self._truth_exploited = csv.writer(null)
            return
        self.extract_dir = out_dir / "extract"
        self.truth_dir = out_dir / "truth"
        self._parts_dir = self.extract_dir / ".parts"
        for folder in (self.extract_dir, self.truth_dir, self._parts_dir):
            folder.mkdir(parents=True, exist_ok=True)
        for system in self.systems:
            self._people[system] = self._writer(self._parts_dir / f"{system}.people.csv")
            self._events[system] = self._writer(self._parts_dir / f"{system}.events.csv")
            self._relationships[system] = self._writer(self._parts_dir / f"{system}.relationships.csv")
        self._truth_persons = self._writer(self.truth_dir / "persons.csv", TRUTH_PERSONS_COLUMNS)
        self._truth_exploited = self._writer(self.truth_dir / "exploited.csv", TRUTH_EXPLOITED_COLUMNS)

    def _writer(self, path: Path, header: Sequence[str] | None = None) -> Any:
        handle = path.open("w", newline="", encoding="utf-8")
        self._files.append(handle)
        writer = csv.writer(handle)
        if header:
            writer.writerow(header)
        return writer

    def person(self, system: str, values: dict[str, str], tpid: str) -> None:
        """A people.csv row, by column name, and the true person it describes."""
        self._people[system].writerow([values[c] for c in PEOPLE.names])
        self._truth_persons.writerow((system, values["record_id"], tpid))
        self.people_rows += 1

    def event(self, system: str, values: dict[str, str]) -> None:
        self._events[system].writerow([values[c] for c in EVENTS.names])
        self.event_rows += 1

    def relationship(self, system: str, values: dict[str, str]) -> None:
        self._relationships[system].writerow([values[c] for c in RELATIONSHIPS.names])
        self.relationship_rows += 1

    def exploited(self, row: Sequence[str]) -> None:
        """A row of truth/exploited.csv (TRUTH_EXPLOITED_COLUMNS)."""
        self._truth_exploited.writerow(row)

    def close(self, progress: ProgressCallback | None) -> None:
        """Join the parts into the three extract files, each system's rows together, as if each
        agency's nightly extract had been concatenated."""
        for handle in self._files:
            handle.close()
        if self.out_dir is None:
            return
        stages: tuple[tuple[str, FileFormat], ...] = (("people", PEOPLE), ("events", EVENTS),
                                                     ("relationships", RELATIONSHIPS))
        for done, (stem, described) in enumerate(stages):
            if progress:
                progress("assemble", done, len(stages))
            with (self.extract_dir / f"{stem}.csv").open("w", newline="", encoding="utf-8") as target:
                csv.writer(target).writerow(described.names)
                for system in self.systems:
                    part = self._parts_dir / f"{system}.{stem}.csv"
                    with part.open(encoding="utf-8", newline="") as source:
                        shutil.copyfileobj(source, target, 1 << 20)
                    part.unlink()
        self._parts_dir.rmdir()
        if progress:
            progress("assemble", len(stages), len(stages))

    def networks_truth(self, rows: Iterable[Sequence[str]]) -> None:
        """truth/networks.csv (TRUTH_NETWORK_COLUMNS), and the README that explains the truth."""
        if self.out_dir is None:
            return
        with (self.truth_dir / "networks.csv").open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(TRUTH_NETWORK_COLUMNS)
            writer.writerows(rows)
        (self.truth_dir / "README.txt").write_text(_TRUTH_README, encoding="utf-8")
