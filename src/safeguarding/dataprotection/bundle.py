"""The disclosure bundle: one document model, written as a PDF with a contents page (fpdf2, with the
DejaVu Sans font shipped in ``fonts/`` so every name prints as spelled) and as JSON for machines.
Redactions are applied before either is written, so neither copy ever holds what was withheld."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fpdf import FPDF

from safeguarding.core.calendar import ENGLAND

FONTS = Path(__file__).parent / "fonts"


@dataclass
class BundleItem:
    title: str
    when: str
    source: str
    fields: list[tuple[str, str]]


@dataclass
class BundleSection:
    title: str
    items: list[BundleItem] = field(default_factory=list)


@dataclass
class Bundle:
    reference: str
    subject: str
    date_of_birth: str
    produced_on: dt.date
    notes: list[str]
    sections: list[BundleSection]

    def as_dict(self) -> dict[str, Any]:
        return {
            "reference": self.reference,
            "subject": self.subject,
            "date_of_birth": self.date_of_birth,
            "produced_on": self.produced_on.isoformat(),
            "notes": self.notes,
            "sections": [
                {
                    "title": s.title,
                    "items": [
                        {"title": i.title, "when": i.when, "source": i.source,
                         "fields": [{"label": label, "value": value} for label, value in i.fields]}
                        for i in s.items
                    ],
                }
                for s in self.sections
            ],
        }

    def to_json(self) -> bytes:
        return json.dumps(self.as_dict(), ensure_ascii=False, indent=1).encode()


def when_text(moment: dt.datetime | None) -> str:
    if moment is None:
        return ""
    local = moment.astimezone(ENGLAND)
    return f"{local:%-d %B %Y, %H:%M}"


def add_fonts(pdf: FPDF) -> None:
    """DejaVu Sans, regular and bold, as "DejaVu": every name prints as spelled."""
    pdf.add_font("DejaVu", "", str(FONTS / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(FONTS / "DejaVuSans-Bold.ttf"))


class _Pdf(FPDF):
    """A4 pages with the reference and page number at the foot, and fast plain-text lines: words are
    measured once each and lines written with ``text`` (fpdf2's own ``multi_cell`` measures every
    line character by character, which was 24 s for a bundle of 5,000 events)."""

    def __init__(self, reference: str) -> None:
        super().__init__(format="A4")
        self.reference = reference
        add_fonts(self)
        self.set_auto_page_break(auto=False)
        self.set_margins(18, 18, 18)
        self._widths: dict[tuple[str, float, str], float] = {}
        self.bottom = self.h - 18

    def footer(self) -> None:
        self.set_y(-12)
        style, size = self.font_style, self.font_size_pt
        self.set_font("DejaVu", size=8)
        self.cell(0, 5, f"{self.reference} · page {self.page_no()}", align="C")
        self.set_font("DejaVu", style, size)

    def _width(self, word: str) -> float:
        key = (self.font_style, self.font_size_pt, word)
        width = self._widths.get(key)
        if width is None:
            width = self._widths[key] = self.get_string_width(word)
        return width

    def _wrap(self, text: str, width: float) -> list[str]:
        lines: list[str] = []
        space = self._width(" ")
        for paragraph in text.splitlines() or [""]:
            line: list[str] = []
            used = 0.0
            for word in paragraph.split(" "):
                w = self._width(word)
                while w > width and word:  # a word longer than the line: cut it
                    cut = max(1, int(len(word) * width / w))
                    if line:
                        lines.append(" ".join(line))
                        line, used = [], 0.0
                    lines.append(word[:cut])
                    word = word[cut:]
                    w = self._width(word)
                if line and used + space + w > width:
                    lines.append(" ".join(line))
                    line, used = [], 0.0
                used += (space if line else 0) + w
                line.append(word)
            lines.append(" ".join(line))
        return lines

    def lines(self, text: str, height: float, *, keep: float = 0) -> None:
        """Write text wrapped to the page width, ``height`` apart, starting a page when one is full
        (``keep``: room wanted below the first line, so a title is not left alone at a page's foot)."""
        for i, line in enumerate(self._wrap(text, self.epw)):
            if self.y + height + (keep if i == 0 else 0) > self.bottom:
                self.add_page()
            self.text(self.l_margin, self.y + height * 0.8, line)
            self.y += height


def _contents(pdf: FPDF, outline: list[Any]) -> None:
    pdf.set_font("DejaVu", "B", 16)
    pdf.cell(0, 10, "Contents", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", size=11)
    for section in outline:
        pdf.cell(150, 7, section.name)
        pdf.cell(0, 7, str(section.page_number), align="R", new_x="LMARGIN", new_y="NEXT")


def to_pdf(bundle: Bundle) -> tuple[bytes, int]:
    """The PDF and its number of pages."""
    pdf = _Pdf(bundle.reference)
    pdf.set_title(f"Subject access request {bundle.reference}")
    pdf.add_page()
    pdf.set_font("DejaVu", "B", 18)
    pdf.lines("Information the Safeguarding Hub holds about you", 9)
    pdf.set_font("DejaVu", size=11)
    pdf.ln(2)
    for line in (f"Request: {bundle.reference}", f"About: {bundle.subject}",
                 f"Date of birth: {bundle.date_of_birth or 'not known'}", f"Produced on {bundle.produced_on:%-d %B %Y}"):
        pdf.lines(line, 6)
    pdf.ln(3)
    for note in bundle.notes:
        pdf.lines(note, 5.5)
        pdf.ln(1)
    pdf.add_page()
    pdf.insert_toc_placeholder(_contents, pages=1)
    for number, section in enumerate(bundle.sections):
        if number:  # the contents' placeholder has already begun the first section's page
            pdf.add_page()
        pdf.start_section(section.title)
        pdf.set_font("DejaVu", "B", 14)
        pdf.lines(section.title, 8)
        if not section.items:
            pdf.set_font("DejaVu", size=10)
            pdf.lines("Nothing held.", 5)
        for item in section.items:
            pdf.ln(1.5)
            pdf.set_font("DejaVu", "B", 10)
            pdf.lines(item.title, 5, keep=10)
            pdf.set_font("DejaVu", size=8)
            pdf.lines(" · ".join(p for p in (item.when, item.source) if p), 4)
            pdf.set_font("DejaVu", size=9.5)
            for label, value in item.fields:
                if value:
                    pdf.lines(f"{label}: {value}", 4.6)
    return bytes(pdf.output()), pdf.pages_count
