"""The board report as a PDF for the board's papers: the same sections and figures as the page."""

from __future__ import annotations

from django.utils import timezone
from fpdf import FPDF
from fpdf.fonts import FontFace

from safeguarding.dataprotection.bundle import add_fonts
from safeguarding.insight.selectors import BoardReport, Measure


def _name(m: Measure, complete: bool) -> str:
    name = f"{m.name} ({m.hint})" if m.hint else m.name
    if not m.target:
        return name
    judged = "nothing due" if m.met is None else ("met" if m.met else "not met") + ("" if complete else " so far")
    return f"{name}\nTarget: {m.target.lower()}: {judged}"


def to_pdf(report: BoardReport, *, partnership: str) -> bytes:
    pdf = FPDF(format="A4")
    add_fonts(pdf)
    pdf.set_margins(18, 18, 18)
    pdf.set_title(f"Board report: {report.quarter.name}")
    pdf.add_page()
    pdf.set_font("DejaVu", "B", 18)
    pdf.multi_cell(0, 9, f"{partnership}: board report", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", size=11)
    pdf.multi_cell(0, 6, f"{report.quarter.name}, beside {report.quarter.before.name}. Produced on "
                         f"{timezone.localdate():%-d %B %Y}. Counts only: no child, adult or worker is named.",
                   new_x="LMARGIN", new_y="NEXT")
    if not report.complete:
        pdf.multi_cell(0, 6, "The quarter is still under way: its figures will grow.", new_x="LMARGIN", new_y="NEXT")
    targeted = report.targeted
    if targeted:
        pdf.multi_cell(0, 6, f"Progress of the strategy. {report.targets_summary}.", new_x="LMARGIN", new_y="NEXT")
    heading = FontFace(emphasis="BOLD", fill_color=(243, 242, 241))
    for section in report.sections:
        pdf.ln(4)
        pdf.set_font("DejaVu", "B", 13)
        pdf.multi_cell(0, 7, section.title, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("DejaVu", size=9.5)
        if not section.measures:
            pdf.multi_cell(0, 5, section.empty, new_x="LMARGIN", new_y="NEXT")
            continue
        with pdf.table(col_widths=(90, 42, 42), headings_style=heading, line_height=5.5,
                       text_align=("LEFT", "RIGHT", "RIGHT")) as table:
            table.row(["Measure", report.quarter.name, report.quarter.before.name])
            for m in section.measures:
                table.row([_name(m, report.complete), m.this, m.before])
    return bytes(pdf.output())
