"""A small, fast, deterministic XLSX writer: one sheet of plain values.

openpyxl without lxml writes ~30,000 cells a second, and it stamps the save time into the
book (docProps/core.xml and every zip entry), so the same data would not give the same
bytes. This writer assembles the SpreadsheetML parts directly: strings as inline strings
(codes such as «01» and «270001» stay text), numbers as numbers, an empty value as no cell,
a bold header row and a frozen pane under it. Zip entries carry a fixed timestamp, so a
book is a pure function of its rows. openpyxl, pandas and Excel read the result.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterable, Sequence
from functools import lru_cache
from pathlib import Path
from xml.sax.saxutils import escape

from openpyxl.utils import get_column_letter

FIXED_DATE_TIME = (2024, 9, 1, 0, 0, 0)
FIXED_ISO = "2024-09-01T00:00:00Z"
_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_NS_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_NS_PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
_CT = "application/vnd.openxmlformats-officedocument"
_DECL = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")

Row = Sequence[object] | None  # None: a blank row (no cells)

_CONTENT_TYPES = (
    _DECL + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
    'relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    f'<Override PartName="/xl/workbook.xml" ContentType="{_CT}.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    f'ContentType="{_CT}.spreadsheetml.worksheet+xml"/>'
    f'<Override PartName="/xl/styles.xml" ContentType="{_CT}.spreadsheetml.styles+xml"/>'
    '<Override PartName="/docProps/core.xml" '
    'ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
    '<Override PartName="/docProps/app.xml" '
    f'ContentType="{_CT}.extended-properties+xml"/>'
    "</Types>"
)
_ROOT_RELS = (
    _DECL + f'<Relationships xmlns="{_NS_PKG}">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="xl/workbook.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/'
    'relationships/metadata/core-properties" Target="docProps/core.xml"/>'
    '<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/extended-properties" Target="docProps/app.xml"/>'
    "</Relationships>"
)
_WORKBOOK_RELS = (
    _DECL + f'<Relationships xmlns="{_NS_PKG}">'
    f'<Relationship Id="rId1" Type="{_NS_R}/worksheet" Target="worksheets/sheet1.xml"/>'
    f'<Relationship Id="rId2" Type="{_NS_R}/styles" Target="styles.xml"/>'
    "</Relationships>"
)
_STYLES = (
    _DECL + f'<styleSheet xmlns="{_NS}">'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>'
    "</cellStyleXfs>"
    '<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)
_APP = (
    _DECL + '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/'
    'extended-properties"><Application>edu-dwh generator</Application></Properties>'
)


def _core(title: str) -> str:
    return (
        _DECL + '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/'
        'metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:dcterms="http://purl.org/dc/terms/" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        f"<dc:title>{escape(title)}</dc:title><dc:creator>edu-dwh generator</dc:creator>"
        f'<dcterms:created xsi:type="dcterms:W3CDTF">{FIXED_ISO}</dcterms:created>'
        f'<dcterms:modified xsi:type="dcterms:W3CDTF">{FIXED_ISO}</dcterms:modified>'
        "</cp:coreProperties>"
    )


def _workbook(sheet: str) -> str:
    return (
        _DECL + f'<workbook xmlns="{_NS}" xmlns:r="{_NS_R}">'
        '<bookViews><workbookView activeTab="0"/></bookViews>'
        f'<sheets><sheet name="{escape(sheet, {chr(34): "&quot;"})}" sheetId="1" r:id="rId1"/>'
        "</sheets></workbook>"
    )


def _cell(ref: str, value: object, style: str) -> str:
    kind = type(value)
    if kind is int:  # the common cases first
        return f'<c r="{ref}"{style}><v>{value}</v></c>'
    if kind is str:
        if value == "":
            return ""
        text = _text(value)
        space = ' xml:space="preserve"' if text != text.strip() else ""
        return f'<c r="{ref}"{style} t="inlineStr"><is><t{space}>{text}</t></is></c>'
    if value is None:
        return ""
    if isinstance(value, bool):
        return f'<c r="{ref}"{style} t="b"><v>{int(value)}</v></c>'
    if isinstance(value, float):
        if value != value:
            return ""
        text = str(int(value)) if value.is_integer() else repr(value)
        return f'<c r="{ref}"{style}><v>{text}</v></c>'
    return f'<c r="{ref}"{style}><v>{int(value)}</v></c>'  # numpy integers


@lru_cache(maxsize=65536)
def _text(value: str) -> str:
    """XML-escaped text without the control characters XML forbids (cached: few texts)."""
    return escape(_CONTROL.sub("", value))


def _sheet(rows: Iterable[Row], header_row: int | None, widths: Sequence[float]) -> str:
    letters: list[str] = []
    parts: list[str] = []
    last_row, last_col = 1, 1
    for r, row in enumerate(rows, start=1):
        if row is None:
            continue
        while len(letters) < len(row):
            letters.append(get_column_letter(len(letters) + 1))
        style = ' s="1"' if r == header_row else ""
        cells = "".join([_cell(f"{letters[i]}{r}", v, style) for i, v in enumerate(row)])
        parts.append(f'<row r="{r}">{cells}</row>')
        last_row, last_col = r, max(last_col, len(row))
    view = '<sheetView workbookViewId="0"/>'
    if header_row:
        top = f"A{header_row + 1}"
        view = (
            f'<sheetView workbookViewId="0"><pane ySplit="{header_row}" topLeftCell="{top}" '
            'activePane="bottomLeft" state="frozen"/>'
            f'<selection pane="bottomLeft" activeCell="{top}" sqref="{top}"/></sheetView>'
        )
    cols = "".join(
        f'<col min="{i}" max="{i}" width="{w:g}" customWidth="1"/>'
        for i, w in enumerate(widths, start=1)
    )
    return (
        _DECL + f'<worksheet xmlns="{_NS}" xmlns:r="{_NS_R}">'
        f'<dimension ref="A1:{get_column_letter(last_col)}{last_row}"/>'
        f"<sheetViews>{view}</sheetViews>"
        '<sheetFormatPr defaultRowHeight="15"/>'
        + (f"<cols>{cols}</cols>" if cols else "")
        + "<sheetData>"
        + "".join(parts)
        + "</sheetData></worksheet>"
    )


def write_xlsx(
    path: Path,
    sheet: str,
    rows: Iterable[Row],
    header_row: int | None = 1,
    title: str = "",
    widths: Sequence[float] = (),
) -> None:
    """Write one sheet. ``rows`` are value sequences (str → text, int/float → number,
    None or "" → no cell) or None for a blank row; row i of the iterable is sheet row i + 1.
    ``header_row`` (1-based) is bold and frozen."""
    path.parent.mkdir(parents=True, exist_ok=True)
    parts = (
        ("[Content_Types].xml", _CONTENT_TYPES),
        ("_rels/.rels", _ROOT_RELS),
        ("docProps/app.xml", _APP),
        ("docProps/core.xml", _core(title or sheet)),
        ("xl/workbook.xml", _workbook(sheet)),
        ("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS),
        ("xl/styles.xml", _STYLES),
        ("xl/worksheets/sheet1.xml", _sheet(rows, header_row, widths)),
    )
    with zipfile.ZipFile(path, "w") as archive:
        for name, text in parts:
            info = zipfile.ZipInfo(name, date_time=FIXED_DATE_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o600 << 16
            archive.writestr(info, text.encode("utf-8"))


def header_widths(headers: Sequence[str], lo: float = 9, hi: float = 32) -> list[float]:
    """Column widths that fit the header texts."""
    return [max(lo, min(hi, len(h) * 0.9 + 2)) for h in headers]
