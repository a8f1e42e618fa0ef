"""Validating an extract's rows by the exchange format's description (``exchange.format``): each
row's required values checked, with every reason it cannot be imported (so that one fix does);
its optional values normalised, or set aside with a warning; the rows that pass handed on, as
``Accepted``, to be staged and written."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from safeguarding.exchange.format import (
    EMPTY,
    HUB_SYSTEM_REJECTION,
    MAX_VALUE,
    SET_ASIDE_MARK,
    SOURCE_SYSTEM,
    TOO_LONG,
    Column,
    Distinct,
    FileFormat,
    Sent,
    Unique,
    one_line,
    split_list,
)
from safeguarding.exchange.issues import Issue
from safeguarding.exchange.models import IssueSeverity
from safeguarding.exchange.read import Row
from safeguarding.people.models import SourceSystem


@dataclass(slots=True)
class Accepted:
    """A row that passed its required checks, with the values to store and warnings to report.

    ``ids`` are its required values that are not stored as fields: the record and event ids it is
    found and linked by, and a relationship's kind. ``values`` hold only values known and usable:
    an empty or set-aside cell is absent, so it never erases what the hub already holds.
    """

    line: int
    system_id: int
    ids: dict[str, str]
    values: dict[str, Any]
    warnings: list[tuple[str, str]]
    raw: dict[str, str]


def key_digest(system_pk: int, parts: list[str]) -> bytes:
    """A row's key (its system and the values of a ``Unique`` rule's other columns) as it is remembered:
    a 16-byte digest rather than the key keeps a 5-million-row file's keys to a few hundred MB."""
    key = "\x1f".join([str(system_pk), *parts])
    return hashlib.blake2b(key.encode(), digest_size=16).digest()


def repeated_key(rule: Unique, file: str, system_code: str, parts: list[str]) -> str:
    """The rejection of a row repeating a key an earlier row of the file holds."""
    return rule.rejection.format(file=file, system=system_code, **dict(zip(rule.columns[1:], parts, strict=True)))


def _set_aside_note(value: str) -> str:
    return f"{SET_ASIDE_MARK}{len(value):,} characters, more than the {MAX_VALUE:,} the hub keeps in one value]"


def kept_raw(cells: dict[str, str]) -> dict[str, str]:
    """The row as sent, to keep with a record or an issue, without any value longer than the hub
    keeps (such a value is set aside, and this says so where it was)."""
    if max(map(len, cells.values()), default=0) <= MAX_VALUE:
        return cells
    return {name: value if len(value) <= MAX_VALUE else _set_aside_note(value) for name, value in cells.items()}


class RowValidator:
    """Reads the rows of one file by its description, remembering the keys it has seen so that
    a key repeated later in the file is refused (those of rules checked as the rows are read: the
    write checks the others, ``upsert.Upsert``)."""

    def __init__(self, fmt: FileFormat, systems: dict[str, SourceSystem]) -> None:
        self.fmt = fmt
        self.systems = systems
        self._required = [(column, fmt.rules_after(column.name)) for column in fmt.required]
        self._optional = [(column, column.limit) for column in fmt.optional]
        # Digests of the keys seen so far in the file (``key_digest``).
        self._seen: set[bytes] = set()

    def __call__(self, row: Row) -> Accepted | Issue:
        cells = row.cells
        reasons: list[tuple[str, str]] = []
        system: SourceSystem | None = None
        ids: dict[str, str] = {}
        values: dict[str, Any] = {}
        for column, rules in self._required:
            text = cells.get(column.name, "").strip()
            if not text:
                reasons.append((column.name, EMPTY.format(column=column.name)))
            elif column is SOURCE_SYSTEM:  # the registry says whether the system may send
                system = self._system(text, column, reasons)
            elif len(text) > column.limit:
                reasons.append((column.name, TOO_LONG.format(column=column.name, limit=column.limit)))
            else:
                self._required_value(column, text, ids, values, reasons)
            for rule in rules:
                self._rule(rule, system, ids, reasons)
        if reasons or system is None:
            return Issue(
                self.fmt.name, row.line, IssueSeverity.REJECTED, "; ".join(r for _, r in reasons),
                ", ".join(dict.fromkeys(c for c, _ in reasons)), kept_raw(cells),
            )
        warnings: list[tuple[str, str]] = []
        for column, limit in self._optional:
            sent = cells.get(column.name)
            if sent and (text := sent.strip()):
                if column.one_line and len(lines := text.splitlines()) > 1:
                    text = one_line(text)
                    warnings.append((column.name, column.one_line.format(column=column.name, value=Sent(sent.strip()),
                                                                         lines=len(lines))))
                if len(text) > limit:
                    warnings.append((column.name, TOO_LONG.format(column=column.name, limit=limit) + "; set aside"))
                else:
                    self._optional_value(column, text, cells, values, warnings)
        for agreement in self.fmt.agreements:
            if reason := agreement.disagreement(values):
                warnings.append((agreement.column, reason))
        return Accepted(row.line, system.pk, ids, values, warnings, kept_raw(cells))

    def claims(self, row: Row) -> tuple[Accepted | Issue, list[bytes]]:
        """The row checked as though no key had been seen before it, with the keys it would claim.

        Rows checked apart this way (in worker processes, ``exchange.parallel``), whose keys are
        then taken with ``claim`` in file order, are accepted and refused exactly as reading them
        in order would accept and refuse them.
        """
        seen = self._seen
        self._seen = set()
        try:
            return self(row), list(self._seen)
        finally:
            self._seen = seen

    def claim(self, keys: list[bytes]) -> bool:
        """Take the keys ``claims`` found for the next row in file order; or, if one of them was
        taken before, take none and say so (that row is then checked again in order, with
        ``self(row)``, and refused as a repeat)."""
        seen = self._seen
        if any(key in seen for key in keys):
            return False
        seen.update(keys)
        return True

    def _system(self, code: str, column: Column, reasons: list[tuple[str, str]]) -> SourceSystem | None:
        system = self.systems.get(code)
        if system is None:
            reasons.append((column.name, column.rejection.format(column=column.name, value=Sent(code))))
            return None
        if system.is_hub:
            reasons.append((column.name, HUB_SYSTEM_REJECTION.format(value=Sent(code))))
            return None
        return system

    @staticmethod
    def _required_value(
        column: Column, text: str, ids: dict[str, str], values: dict[str, Any], reasons: list[tuple[str, str]]
    ) -> None:
        value: Any = text if column.normalise is None else column.normalise(text)
        if value is None:
            reasons.append((column.name, column.rejection.format(column=column.name, value=Sent(text))))
        elif column.spread:
            values.update(zip(column.spread, value, strict=True))
        elif column.field:
            values[column.field] = value
        else:
            ids[column.name] = value

    def _rule(
        self, rule: Unique | Distinct, system: SourceSystem | None, ids: dict[str, str],
        reasons: list[tuple[str, str]],
    ) -> None:
        if isinstance(rule, Distinct):
            value = ids.get(rule.column)
            if value and value == ids.get(rule.other):
                reasons.append((rule.column, rule.rejection))
            return
        # A key is checked (and remembered) only for a row with nothing wrong so far, as only such
        # a row can be the first of its key to be imported.
        if reasons or system is None:
            return
        parts = [ids[c] for c in rule.columns[1:]]
        digest = key_digest(system.pk, parts)
        if digest in self._seen:
            reasons.append((rule.column, repeated_key(rule, self.fmt.name, system.code, parts)))
        else:
            self._seen.add(digest)

    @staticmethod
    def _derive(column: Column, values: dict[str, Any]) -> None:
        for field, work_out in column.derived:
            values[field] = work_out(values[column.field])

    @staticmethod
    def _optional_value(
        column: Column, text: str, cells: dict[str, str], values: dict[str, Any], warnings: list[tuple[str, str]]
    ) -> None:
        name = column.name
        read = column.normalise
        if column.many:
            usable = []
            for part in split_list(text):
                value = part if read is None else read(part)
                if value is None:
                    warnings.append((name, column.warning.format(column=name, value=Sent(part))))
                else:
                    usable.append(value)
            if usable:
                values[column.field] = ";".join(dict.fromkeys(usable))
                RowValidator._derive(column, values)
            return
        if read is None:
            values[column.field] = text
            RowValidator._derive(column, values)
            return
        value = read(text)
        if value is None:
            fallback = column.fallback
            if fallback is not None and (kept := fallback.read(text)):
                values[fallback.field] = kept
                warnings.append((name, fallback.warning.format(column=name, value=Sent(text), kept=kept)))
            else:
                warnings.append((name, column.warning.format(column=name, value=Sent(text))))
            return
        order = column.not_before
        if order is not None:
            value = order.settle(value, values.get(order.column))
            if value is None:
                other = Sent(cells.get(order.column, "").strip())
                warnings.append((name, order.warning.format(column=name, value=Sent(text), other=other)))
                return
        values[column.field] = value
        RowValidator._derive(column, values)
        for cleared in column.clears:
            values[cleared] = ""
        if column.check is not None:
            passed = column.check.test(value)
            values[column.check.field] = passed
            if not passed:
                warnings.append((name, column.check.warning.format(column=name, value=Sent(text))))
