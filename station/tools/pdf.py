"""A one-page PDF of plain lines, with fpdf2 (pure Python, from PyPI). The only module that imports fpdf.

Used for a contributor's statement of their own record (desk/record_pages.py).
Chromium's print-to-PDF is not there at run time on a station, and a
statement is headings and lines, which fpdf2 lays out without a browser. Text
is set in DejaVu Sans when the system has it (Debian's fonts-dejavu-core), so
any name or accent prints; without it, in the PDF core font Helvetica, with
what Latin-1 cannot hold written as "?".
"""

from __future__ import annotations

from pathlib import Path

from fpdf import FPDF

FONTS = (
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
    Path("/usr/share/fonts/dejavu/DejaVuSans.ttf"),
)


def statement(title: str, sections: list[tuple[str, list[str]]], footer: str) -> bytes:
    """A PDF: the title, then each section's heading and lines; shrunk to fit one A4 page."""
    size = 10.0
    while True:
        pdf = _render(title, sections, footer, size)
        if pdf.page_no() == 1 or size <= 6:
            return bytes(pdf.output())
        size -= 0.5


def _render(title: str, sections: list[tuple[str, list[str]]], footer: str, size: float) -> FPDF:
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(True, margin=15)
    pdf.set_title(title)
    font = next((f for f in FONTS if f.is_file()), None)
    family = "Helvetica"
    if font is not None:
        pdf.add_font("DejaVu", "", str(font))
        family = "DejaVu"

    def text(value: str) -> str:
        return value if font is not None else value.encode("latin-1", "replace").decode("latin-1")

    pdf.add_page()
    pdf.set_font(family, size=size + 6)
    pdf.multi_cell(0, (size + 6) * 0.5, text(title), new_x="LMARGIN", new_y="NEXT")
    for heading, lines in sections:
        pdf.ln(size * 0.3)
        pdf.set_font(family, size=size + 2)
        pdf.multi_cell(0, (size + 2) * 0.5, text(heading), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(family, size=size)
        for line in lines:
            pdf.multi_cell(0, size * 0.45, text(line), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(size * 0.5)
    pdf.set_font(family, size=size - 1)
    pdf.multi_cell(0, size * 0.45, text(footer), new_x="LMARGIN", new_y="NEXT")
    return pdf
