"""The XLSX reader below locate/rows (ingestion/read/xlsx/workbook.py): what python-calamine
reads and what is taken from the sheet's XML (error cells, formulas without a cached value,
zero-padding and date formats as openpyxl reads them, cells without `r`). Books are
written as raw SpreadsheetML in tmp_path; the expected values are openpyxl's."""

from __future__ import annotations

import datetime as dt
import warnings
import zipfile

import openpyxl
import pytest

from ingestion.read.xlsx.cells import shown
from ingestion.read.xlsx.workbook import Book, scan_sheet

NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RNS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
STYLES = (
    f'<styleSheet xmlns="{NS}"><numFmts count="3"><numFmt numFmtId="164" formatCode="000000"/>'
    '<numFmt numFmtId="165" formatCode="dd.mm.yyyy"/><numFmt numFmtId="166" formatCode="[h]:mm"/>'
    '</numFmts><fonts count="1"><font><sz val="11"/></font></fonts><fills count="1"><fill>'
    '<patternFill patternType="none"/></fill></fills><borders count="1"><border><left/><right/>'
    '<top/><bottom/><diagonal/></border></borders><cellStyleXfs count="1"><xf numFmtId="0"/>'
    '</cellStyleXfs><cellXfs count="5"><xf numFmtId="0"/><xf numFmtId="164"/><xf numFmtId="165"/>'
    '<xf numFmtId="166"/><xf numFmtId="14"/></cellXfs></styleSheet>'
)


def raw_book(path, sheets, prefix=""):
    """sheets: [(name, state, <sheetData> content, merged ranges)]"""
    p = f"{prefix}:" if prefix else ""
    xmlns = f'xmlns:{prefix}="{NS}"' if prefix else f'xmlns="{NS}"'
    sheet_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
    book_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
    types = [
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" '
        'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/xl/workbook.xml" ContentType="{book_type}"/>'
    ]
    rels = ['<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">']
    book = [f'<{p}workbook {xmlns} xmlns:r="{RNS}"><{p}sheets>']
    parts = {}
    for i, (name, state, data, merges) in enumerate(sheets, 1):
        types.append(
            f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="{sheet_type}"/>'
        )
        rels.append(
            f'<Relationship Id="rId{i}" Type="{RNS}/worksheet" Target="worksheets/sheet{i}.xml"/>'
        )
        st = f' state="{state}"' if state != "visible" else ""
        book.append(f'<{p}sheet name="{name}" sheetId="{i}"{st} r:id="rId{i}"/>')
        merged = "".join(f'<{p}mergeCell ref="{m}"/>' for m in merges)
        merged = f"<{p}mergeCells>{merged}</{p}mergeCells>" if merges else ""
        parts[f"xl/worksheets/sheet{i}.xml"] = (
            f"<{p}worksheet {xmlns}><{p}sheetData>{data}</{p}sheetData>{merged}</{p}worksheet>"
        )
    rels.append(f'<Relationship Id="rIdS" Type="{RNS}/styles" Target="styles.xml"/>')
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "".join(types) + "</Types>")
        zf.writestr(
            "_rels/.rels",
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{RNS}/officeDocument" Target="xl/workbook.xml"/>'
            "</Relationships>",
        )
        zf.writestr("xl/workbook.xml", "".join(book) + f"</{p}sheets></{p}workbook>")
        zf.writestr("xl/_rels/workbook.xml.rels", "".join(rels) + "</Relationships>")
        zf.writestr("xl/styles.xml", STYLES)
        for name, text in parts.items():
            zf.writestr(name, text)
    return path


ROW2 = (
    '<c r="B2" t="e"><v>#N/A</v></c>'  # an error typed / pasted as a value
    '<c r="C2" t="e"><f>1/0</f><v>#DIV/0!</v></c>'  # a formula's error
    "<c r='D2'><f>4+5</f><v>9</v></c>"  # a formula with its cached value
    '<c r="E2"><f>4+5</f></c>'  # a formula without a cached value
    '<c r="F2" s="1"><v>123</v></c>'  # «000000»
    '<c r="G2" s="2"><v>45397</v></c>'  # dd.mm.yyyy
    '<c r="H2" s="2"><v>123456789012</v></c>'  # a date format on a number beyond dates
    '<c r="I2" s="3"><v>1.25</v></c>'  # [h]:mm
    '<c r="J2" s="4"><v>-3</v></c>'  # a built-in date format on a negative number
    '<c r="K2" t="b"><v>0</v></c>'
)


def openpyxl_rows(path, title):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
        ws = wb[title]
        ws.reset_dimensions()
        rows = [list(r) for r in ws.iter_rows(values_only=True)]
        wb.close()
    return rows


@pytest.mark.parametrize("prefix", ["", "x"])
def test_values_as_openpyxl_reads_them(tmp_path, prefix):
    p = f"{prefix}:" if prefix else ""
    data = f'<{p}row r="1"><{p}c r="A1"><{p}v>1</{p}v></{p}c></{p}row>' + (
        f'<{p}row r="2">{ROW2}</{p}row>'.replace("<c ", f"<{p}c ")
        .replace("</c>", f"</{p}c>")
        .replace("<v>", f"<{p}v>")
        .replace("</v>", f"</{p}v>")
        .replace("<f>", f"<{p}f>")
        .replace("</f>", f"</{p}f>")
    )
    path = raw_book(tmp_path / "book.xlsx", [("Лист1", "visible", data, [])], prefix)
    with Book(path) as book:
        sheet = book.sheet("Лист1")
        rows = list(sheet.rows())
        assert sheet.uncalculated == {(2, 5)}
        assert sheet.zero_pad == {(2, 6): 6}
    assert [r for r, _ in rows] == [1, 2]
    texts = shown(rows[1][1], 2, sheet.zero_pad)
    assert texts == [
        "", "#N/A", "#DIV/0!", "9", "", "000123", "15.04.2024", "#VALUE!", "30:00",
        "27.12.1899", "ЛОЖЬ",
    ]  # fmt: skip
    expected = openpyxl_rows(path, "Лист1")[1]
    assert texts[:5] == ["" if v is None else str(v) for v in expected[:5]]
    assert rows[1][1][6] == expected[6] and rows[1][1][7] == expected[7] == "#VALUE!"


def test_cells_without_references_and_an_error_after_the_last_value(tmp_path):
    data = (
        '<row><c t="inlineStr"><is><t>a</t></is></c><c><f>1+1</f></c></row>'
        '<row><c t="e"><v>#REF!</v></c><c s="1"><v>7</v></c></row>'
        '<row r="5"><c r="C5" t="e"><v>#N/A</v></c></row>'
    )
    path = raw_book(tmp_path / "no_r.xlsx", [("Лист1", "visible", data, [])])
    with Book(path) as book:
        sheet = book.sheet("Лист1")
        assert sheet.uncalculated == {(1, 2)}
        assert sheet.zero_pad == {(2, 2): 6}
        rows = [(r, shown(v, r, sheet.zero_pad)) for r, v in sheet.rows()]
    assert [r for r, _ in rows] == [1, 2, 3, 4, 5]  # blank rows 3-4 are rows too
    assert rows[1][1][:2] == ["#REF!", "000007"]
    assert rows[4][1][2] == "#N/A"


def test_hidden_sheets_merges_and_the_calamine_row_layout(tmp_path):
    data = (
        '<row r="3"><c r="C3" t="inlineStr"><is><t>x</t></is></c></row>'
        '<row r="4"><c r="D4"><v>2</v></c></row>'
    )
    path = raw_book(
        tmp_path / "book.xlsx",
        [("A", "hidden", data, ["C3:D3"]), ("B", "veryHidden", "", []), ("C", "visible", "", [])],
    )
    with Book(path) as book:
        assert [(s.title, s.sheet_state) for s in book.sheets] == [
            ("A", "hidden"),
            ("B", "veryHidden"),
            ("C", "visible"),
        ]
        sheet = book.sheet("A")
        assert sheet.merges == [(3, 3, 3, 4)]
        rows = list(sheet.rows())
        assert list(book.sheet("C").rows()) == []
    # rows from 1 and columns from A, whatever calamine's first used cell is
    assert rows == [(1, ["", "", "", ""]), (2, ["", "", "", ""]), (3, ["", "", "x", ""]),
                    (4, ["", "", "", 2.0])]  # fmt: skip


def test_scan_of_a_sheet_larger_than_one_block(tmp_path, monkeypatch):
    """Cells cut by the 1 MB blocks of the streaming scan are still seen whole."""
    import ingestion.read.xlsx.workbook as workbook

    monkeypatch.setattr(workbook, "_BLOCK", 37)  # cut everywhere
    rows = "".join(
        f'<row r="{r}"><c r="A{r}" t="inlineStr"><is><t>{"t" * (r % 50)}</t></is></c>'
        f'<c r="B{r}"><f>A{r}</f>{"<v>1</v>" if r % 3 else ""}</c>'
        f'<c r="C{r}" t="e"><v>#N/A</v></c><c r="D{r}" s="1"><v>{r}</v></c></row>'
        for r in range(1, 200)
    )
    path = raw_book(tmp_path / "big.xlsx", [("S", "visible", rows, [])])
    with zipfile.ZipFile(path) as zf:
        styles = workbook.read_styles(zf)
        scan = scan_sheet(zf, "xl/worksheets/sheet1.xml", styles)
    assert scan.uncalculated == {(r, 2) for r in range(1, 200) if r % 3 == 0}
    assert scan.values == {(r, 3): "#N/A" for r in range(1, 200)}
    assert scan.zero_pad == {(r, 4): 6 for r in range(1, 200)}


def test_dates_and_times_display_as_before(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append([dt.date(2024, 4, 15), dt.datetime(2024, 4, 15, 10, 30), dt.time(8, 5), 0.5])
    ws["D1"].number_format = "hh:mm"
    wb.save(tmp_path / "d.xlsx")
    with Book(tmp_path / "d.xlsx") as book:
        sheet = book.sheet(book.sheets[0].title)
        (_, values), *_ = sheet.rows()
    assert shown(values, 1, {}) == ["15.04.2024", "15.04.2024 10:30", "08:05", "12:00"]


def test_a_value_python_cannot_hold_reads_the_rest_of_the_sheet_with_openpyxl(tmp_path):
    data = "".join(
        f'<row r="{r}"><c r="A{r}"><v>{r}</v></c><c r="B{r}" s="3"><v>{v}</v></c></row>'
        for r, v in ((1, "1.5"), (2, "1500000000000000"), (3, "2"))
    )
    path = raw_book(tmp_path / "huge.xlsx", [("S", "visible", data, [])])
    with Book(path) as book:
        sheet = book.sheet("S")
        rows = [(r, shown(v, r, {})) for r, v in sheet.rows()]
    assert rows == [(1, ["1", "36:00"]), (2, ["2", "#VALUE!"]), (3, ["3", "48:00"])]
