"""Read XLSX files filled in by people (school/municipality uploads, ФИС ОКО exports).

`read_xlsx_header` finds the sheet and the header, checks it against the contract with the
same rules and messages as `reader.read_header`; `iter_xlsx_frames` yields the data rows as
frames of strings — every cell as a person reads it in Excel — for `reader.parse_chunk`.

What people do to a template, and what happens here:

- **sheet renamed / other sheets added**: the contract's sheet (`spec.sheet`, compared
  ignoring case, spaces and «ё») is used when its header is complete; otherwise every visible
  sheet is scored and the one whose header matches the contract best is used (ties: the
  contract's sheet, then the leftmost; a book with a single sheet — e.g. a CSV saved as
  XLSX, a ФИС ОКО export — simply uses that sheet).
- **title / blank rows above the header**: the first `HEADER_SCAN_ROWS` rows are scored, the
  row (or pair of rows) matching the most contract columns is the header.
- **two-row headers with merged cells** (a merged «Выпускников» above «9 классов» and
  «11 классов»): texts of a two-row candidate are joined parent + child (or child + parent,
  or the child alone, whichever matches the contract); a cell merged vertically over both
  rows counts once. A header cell merged across several columns is one column; its value is
  the first non-empty cell under it.
- **header spelling**: spaces, line breaks, case, «ё»/«е», quote marks («», "", “”),
  dash variants, commas/colons/asterisks are ignored when matching (`header_key`).
- **a row of column numbers** (1, 2, 3, …) right under the header, as in official forms,
  is skipped.
- **blank rows** between and after data rows are not data and are skipped.
- **codes kept as numbers with a «000000» format** read with their leading zeros, as shown.
- **merged data cells** (one «Код ОО» merged down over several rows): the value is repeated
  in each row of the merge and a note says so.
- **numbers typed as text** are passed on as text (parse_chunk converts them); a note is made
  for the row when the text is a valid number for its column.
- **ВПР task columns `З1`, `З2`, …**: `X`/`Х` (Latin or Cyrillic, any case) = no answer → "".
- **the whole table typed into column A with «;»** (a CSV pasted into Excel): split.

Memory: the book is opened in openpyxl read-only mode (streaming; memory does not grow with
the number of rows — only with the book's shared-strings table, which openpyxl keeps).
Read-only mode does not report merged cells, so the merge ranges are read separately by
streaming the sheet's XML part once (zlib-decompressed in 1 MB blocks, a regular expression
picks out the `<mergeCell ref="…">` elements, which sit after the cell data; only the ranges
are kept). No non-read-only load is ever made, whatever the file size.

Row numbers: the frames' index is the spreadsheet row number − 1, so parse_chunk's
`source_row = index + 1` is the row number people see in Excel. Each frame has, after the
file's columns, a `_note` column: "" or the Russian notes on automatic corrections made to
that row, joined by "; " (personal values such as СНИЛС never appear in notes).
"""

from __future__ import annotations

import csv
import datetime as dt
import re
import warnings
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from openpyxl import load_workbook
from openpyxl.reader.excel import ExcelReader
from openpyxl.utils import get_column_letter
from openpyxl.utils.cell import range_boundaries
from openpyxl.worksheet._read_only import ReadOnlyWorksheet

from ingestion.messages import broken_book
from ingestion.reader import FileHeader, HeaderProblem, _norm, unknown_names_note
from sources import INT, NUMBER, PERSONAL, TASKS, Column, SourceSpec
from sources.vpr import NO_ANSWER, TASK_HEADER

CHUNK_ROWS = 50_000
HEADER_SCAN_ROWS = 20  # the header is looked for in the first 20 rows (+1 for a 2-row header)
NOTE_COLUMN = "_note"
REJECT_COLUMN = "_reject"  # a reason the reader itself gives (e.g. an uncalculated formula)
NOT_XLSX = "файл не является книгой Excel (.xlsx)"


_QUOTES = "«»\"“”„‟'‘’‚‹›`´"
_PUNCT = ",.:;*"
_KEY_TABLE = str.maketrans(
    {**{q: " " for q in _QUOTES + _PUNCT}, **{d: "-" for d in "‐‑‒–—―−"}, "\u200b": ""}
)
_ZERO_PAD = re.compile(r"^0{2,}$")
_NUMBER_TEXT = re.compile(r"^[+-]?\d+(\.\d+)?$")
_FORMULA_TAG = re.compile(rb"<(?:\w+:)?f[\s>/]")  # a cell formula element, any prefix
_MERGE_REF = re.compile(
    rb"<(?:[A-Za-z_][\w.-]*:)?mergeCell\b[^>]*?\bref=[\"']([A-Z]+\d+(?::[A-Z]+\d+)?)[\"']"
)
# what a damaged book raises while its sheets are streamed
_BROKEN = (zipfile.BadZipFile, zlib.error, OSError, EOFError, SyntaxError, KeyError, ValueError)


def header_key(text) -> str:
    """Matching key of a header text: reader's normalisation (spaces, line breaks, «ё», case)
    plus quote marks, dashes and , . : ; * ignored."""
    key = _norm(text).lower().translate(_KEY_TABLE)
    key = " ".join(key.split())
    return re.sub(r"\s*-\s*", "-", key)


@dataclass
class XlsxHeader(FileHeader):
    """FileHeader (encoding = "xlsx") plus where the table was found in the book."""

    sheet: str = ""
    header_rows: tuple[int, int] = (1, 1)  # first and last header row, 1-based
    spans: list[tuple[int, ...]] = field(default_factory=list)  # 0-based columns per column
    split_column: int | None = None  # the table was typed into this column with «;»
    notes: list[str] = field(default_factory=list)  # file-level notes (Russian)


# ---------------------------------------------------------------------------------------
# cell values as people read them


def display(value) -> str:
    """A cell value as text, as Excel shows it: 12.0 → "12", dates → ДД.ММ.ГГГГ, None → ""."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "ИСТИНА" if value else "ЛОЖЬ"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return ""
        if value.is_integer() and abs(value) < 1e17:
            return str(int(value))
        text = f"{value:.15g}"
        if "e" in text:
            text = f"{value:.15f}".rstrip("0").rstrip(".")
        return text
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0):
            return value.strftime("%d.%m.%Y")
        return value.strftime("%d.%m.%Y %H:%M" if value.second == 0 else "%d.%m.%Y %H:%M:%S")
    if isinstance(value, dt.date):
        return value.strftime("%d.%m.%Y")
    if isinstance(value, dt.time):
        return value.strftime("%H:%M" if value.second == 0 else "%H:%M:%S")
    if isinstance(value, dt.timedelta):
        total = int(value.total_seconds())
        return f"{total // 3600}:{total % 3600 // 60:02d}"
    return str(value)


def _accepted_number(text: str, kind: str) -> str | None:
    """How parse_chunk will read a number typed as text, or None if it will reject it."""
    cleaned = text.replace("\u00a0", "").replace(" ", "").replace(",", ".")
    if not _NUMBER_TEXT.match(cleaned):
        return None
    value = float(cleaned)
    if value.is_integer():
        return str(int(value))
    if kind == INT:
        return None
    return f"{value:.15g}".replace(".", ",")


# ---------------------------------------------------------------------------------------
# the book


def _sniff_not_xlsx(path: Path) -> str | None:
    """Why the file is not an XLSX at all (by its first bytes), or None if it is a zip."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(4096)
    except OSError as exc:
        return f"файл не читается ({exc.strerror or exc})"
    if not head:
        return "файл пуст"
    if head.startswith(b"PK\x03\x04"):
        return None
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return (
            "это книга старого формата Excel 97–2003 (.xls) или книга, защищённая паролем; "
            "откройте её в Excel и сохраните как «Книга Excel (*.xlsx)» без пароля"
        )
    if head.lstrip().startswith(b"<"):
        return "это HTML/XML-файл, которому дали расширение .xlsx; сохраните его в Excel как .xlsx"
    for encoding in ("utf-8", "cp1251"):
        try:
            head.decode(encoding)
        except UnicodeDecodeError:
            continue
        return (
            "это текстовый файл (например, CSV), которому дали расширение .xlsx; "
            "откройте его в Excel и сохраните как «Книга Excel (*.xlsx)»"
        )
    return "содержимое файла не распознано"


def _zip_kind(path: Path) -> str | None:
    try:
        with zipfile.ZipFile(path) as zf:
            names = set(zf.namelist())
            if "mimetype" in names and b"opendocument" in zf.read("mimetype"):
                return "это файл OpenDocument (.ods); сохраните его как «Книга Excel (*.xlsx)»"
            if "xl/workbook.bin" in names:
                return "это двоичная книга Excel (.xlsb); сохраните её как «Книга Excel (*.xlsx)»"
            if "word/document.xml" in names:
                return "это документ Word, а не книга Excel"
    except (zipfile.BadZipFile, OSError, KeyError):
        return None
    return None


class _StreamingSheet(ReadOnlyWorksheet):
    """A read-only worksheet that does not size itself when the book is opened: openpyxl
    3.1 parses the whole sheet XML at open time when it has no <dimension> element (files
    written by many tools), and rows are read with reset dimensions here anyway."""

    def _get_size(self) -> None:
        return None


class _Reader(ExcelReader):
    """openpyxl's read-only ExcelReader with `_StreamingSheet` worksheets."""

    def read_worksheets(self) -> None:
        for sheet, rel in self.parser.find_sheets():
            if rel.target not in self.valid_files or "chartsheet" in rel.Type:
                continue
            ws = _StreamingSheet(self.wb, sheet.name, rel.target, self.shared_strings)
            ws.sheet_state = sheet.state
            self.wb._sheets.append(ws)


def _load_read_only(fh):
    try:
        reader = _Reader(fh, read_only=True, data_only=True)
        reader.read()
        return reader.wb
    except AttributeError:  # pragma: no cover - openpyxl internals changed: the plain way
        fh.seek(0)
        return load_workbook(fh, read_only=True, data_only=True)


class _Book:
    """A read-only openpyxl workbook and the file handle behind it (close it!)."""

    def __init__(self, path: Path):
        self._scans: dict[str, tuple[list, bool]] = {}  # sheet part → (merges, has formulas)
        reason = _sniff_not_xlsx(path)
        if reason:
            raise HeaderProblem(f"{NOT_XLSX}: {reason}")
        self._fh = open(path, "rb")
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                self.wb = _load_read_only(self._fh)
        except Exception as exc:
            self._fh.close()
            reason = _zip_kind(path) or f"повреждённый или неизвестный формат: {broken_book(exc)}"
            raise HeaderProblem(f"{NOT_XLSX}: {reason}") from exc

    def close(self) -> None:
        try:
            self.wb.close()
        finally:
            self._fh.close()

    def __enter__(self) -> _Book:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def sheets(self) -> list:
        return list(self.wb.worksheets)

    def sheet(self, title: str):
        ws = self.wb[title]
        ws.reset_dimensions()  # a wrong <dimension> in the file must not truncate rows
        return ws

    def uncalculated_formulas(self, ws) -> set[tuple[int, int]]:
        """(row, column) 1-based of cells holding a formula without a cached value: read with
        cached values, they would look empty (a workbook saved by a program that does not
        calculate, e.g. a script). Found by streaming the sheet's XML part."""
        import xml.etree.ElementTree as ET

        from openpyxl.utils.cell import column_index_from_string, coordinate_from_string

        if not self._scan(ws)[1]:
            return set()  # no formula in the sheet: no XML parse needed
        archive, part = self.wb._archive, ws._worksheet_path
        found: set[tuple[int, int]] = set()
        with archive.open(part) as src:
            for _event, el in ET.iterparse(src, events=("end",)):
                if not el.tag.endswith("}c") and el.tag != "c":
                    continue
                formula = value = None
                for child in el:
                    tag = child.tag.rsplit("}", 1)[-1]
                    if tag == "f":
                        formula = child
                    elif tag in ("v", "is"):
                        value = child
                if formula is not None and (value is None or not "".join(value.itertext())):
                    ref = el.get("r")
                    if ref:
                        letters, row = coordinate_from_string(ref)
                        found.add((row, column_index_from_string(letters)))
                el.clear()
        return found

    def merges(self, ws) -> list[tuple[int, int, int, int]]:
        """Merged ranges (min_row, min_col, max_row, max_col) of a sheet, 1-based, read by
        streaming its XML part (read-only worksheets do not expose them)."""
        return self._scan(ws)[0]

    def _scan(self, ws) -> tuple[list[tuple[int, int, int, int]], bool]:
        """One streaming pass over a sheet's XML part: its merged ranges, and whether it
        holds any formula at all (cached per sheet)."""
        archive = getattr(self.wb, "_archive", None)
        part = getattr(ws, "_worksheet_path", None)
        if archive is None or part is None:
            return [], False
        if part in self._scans:
            return self._scans[part]
        out: list[tuple[int, int, int, int]] = []
        formulas = False
        tail = b""
        with archive.open(part) as src:
            while True:
                block = src.read(1 << 20)
                if not block:
                    break
                buf = tail + block
                formulas = formulas or _FORMULA_TAG.search(buf) is not None
                last = 0
                for m in _MERGE_REF.finditer(buf):
                    min_col, min_row, max_col, max_row = range_boundaries(m.group(1).decode())
                    out.append((min_row, min_col, max_row, max_col))
                    last = m.end()
                tail = buf[max(last, len(buf) - 256) :]
        self._scans[part] = (out, formulas)
        return self._scans[part]


def _rows(ws, max_row: int | None = None) -> Iterator[tuple[int, tuple]]:
    """(row number, read-only cells) for every row from 1, blank rows included."""
    rows = ws.iter_rows(min_row=1, max_row=max_row)
    yield from enumerate(rows, start=1)


def cell_text(cell) -> str:
    """A read-only cell as text: `display` of its value, with zero-padding number formats
    («000000», used to show codes with leading zeros) applied as Excel shows them."""
    value = cell.value
    if isinstance(value, int | float) and not isinstance(value, bool) and value >= 0:
        fmt = cell.number_format
        if fmt and _ZERO_PAD.match(fmt) and float(value).is_integer():
            return str(int(value)).zfill(len(fmt))
    return display(value)


# ---------------------------------------------------------------------------------------
# header


@dataclass
class _Candidate:
    sheet: str
    first: int  # 1-based
    last: int
    texts: list[str]  # header texts (non-blank columns only)
    spans: list[tuple[int, ...]]
    mapping: dict[str, Column]
    unknown: list[str]
    missing: list[str]
    duplicate: str | None
    split_column: int | None = None
    numbering_row: int | None = None  # a row «1, 2, 3, …» right under the header

    @property
    def score(self) -> int:
        return len({c.header for c in self.mapping.values()})

    @property
    def complete(self) -> bool:
        return not self.missing and self.duplicate is None


class _Matcher:
    def __init__(self, spec: SourceSpec):
        self.spec = spec
        self.by_key = {header_key(c.header): c for c in spec.columns if c.kind != TASKS}
        self.tasks = next((c for c in spec.columns if c.kind == TASKS), None)

    def column(self, text: str) -> Column | None:
        key = header_key(text)
        if key in self.by_key:
            return self.by_key[key]
        if self.tasks is not None and TASK_HEADER.match(_norm(text)):
            return self.tasks
        return None

    def match(self, texts: list[str]) -> tuple[dict, list, list, str | None]:
        mapping: dict[str, Column] = {}
        unknown: list[str] = []
        seen: set[str] = set()
        duplicate = None
        for text in texts:
            key = header_key(text)
            if key in seen:
                duplicate = duplicate or _norm(text)
                continue
            seen.add(key)
            col = self.column(text)
            if col is not None:
                mapping[text] = col
            elif key:
                unknown.append(_norm(text))
        present = {c.header for c in mapping.values()}
        missing = [
            c.header for c in self.spec.columns if c.kind != TASKS and c.header not in present
        ]
        return mapping, unknown, missing, duplicate


def _trimmed(cells) -> list[str]:
    texts = [cell_text(c) for c in cells]
    while texts and not texts[-1].strip():
        texts.pop()
    return texts


class _Window:
    """The first rows of a sheet as display texts, merged ranges filled in."""

    def __init__(self, ws, merges: list[tuple[int, int, int, int]]):
        rows = [_trimmed(cells) for _, cells in _rows(ws, HEADER_SCAN_ROWS + 1)]
        width = max((len(r) for r in rows), default=0)
        for r1, _c1, _r2, c2 in merges:
            if r1 <= len(rows):
                width = max(width, c2)
        self.rows = [r + [""] * (width - len(r)) for r in rows]
        self.width = width
        self.merge_id = [[-1] * width for _ in self.rows]
        for i, (r1, c1, r2, c2) in enumerate(merges):
            if r1 > len(self.rows):
                continue
            anchor = self.rows[r1 - 1][c1 - 1]
            for r in range(r1, min(r2, len(self.rows)) + 1):
                for c in range(c1, c2 + 1):
                    self.rows[r - 1][c - 1] = anchor
                    self.merge_id[r - 1][c - 1] = i

    def single(self, r: int) -> tuple[list[str], list[int]]:
        return [t.strip() for t in self.rows[r]], self.merge_id[r]

    def double(self, r: int, matcher: _Matcher) -> tuple[list[str], list[int]]:
        texts, ids = [], []
        for c in range(self.width):
            top, bottom = self.rows[r][c].strip(), self.rows[r + 1][c].strip()
            top_id, bottom_id = self.merge_id[r][c], self.merge_id[r + 1][c]
            if not bottom or (top_id != -1 and top_id == bottom_id):
                texts.append(top)
            elif not top:
                texts.append(bottom)
            else:
                options = [f"{top} {bottom}", f"{bottom} {top}", bottom]
                texts.append(next((o for o in options if matcher.column(o)), options[0]))
            ids.append(top_id if top_id != -1 and (not bottom or bottom_id != -1) else -1)
        return texts, ids


def _spans(texts: list[str], ids: list[int]) -> tuple[list[str], list[tuple[int, ...]]]:
    """Header texts and their columns; neighbours under one merged header cell are one."""
    out_texts: list[str] = []
    spans: list[tuple[int, ...]] = []
    for c, text in enumerate(texts):
        if not text:
            continue
        if (
            spans
            and spans[-1][-1] == c - 1
            and ids[c] != -1
            and ids[c] == ids[c - 1]
            and out_texts[-1] == text
        ):
            spans[-1] = (*spans[-1], c)
            continue
        out_texts.append(text)
        spans.append((c,))
    return out_texts, spans


def _split_row(values: list[str]) -> tuple[int, list[str]] | None:
    """A row typed into one cell with «;»: (that column, the split texts)."""
    filled = [(c, v) for c, v in enumerate(values) if v.strip()]
    if len(filled) == 1 and ";" in filled[0][1]:
        c, text = filled[0]
        return c, [t.strip() for t in next(csv.reader([text], delimiter=";"))]
    return None


def _sheet_candidates(book: _Book, ws, matcher: _Matcher) -> list[_Candidate]:
    window = _Window(ws, book.merges(ws))
    out: list[_Candidate] = []

    def add(first, last, texts, ids, split_column=None):
        texts, spans = _spans(texts, ids)
        mapping, unknown, missing, dup = matcher.match(texts)
        cand = _Candidate(
            ws.title, first, last, texts, spans, mapping, unknown, missing, dup, split_column
        )
        if split_column is None and last < len(window.rows) and spans:
            below = window.rows[last]  # the row after the header (0-based index = last)
            numbers = [below[span[0]].strip() for span in spans]
            if numbers == [str(i) for i in range(1, len(spans) + 1)]:
                cand.numbering_row = last + 1
        out.append(cand)

    n = min(len(window.rows), HEADER_SCAN_ROWS)
    for r in range(n):
        add(r + 1, r + 1, *window.single(r))
        if r + 1 < len(window.rows):
            add(r + 1, r + 2, *window.double(r, matcher))
        split = _split_row(window.rows[r])
        if split:
            col, texts = split
            add(r + 1, r + 1, texts, [-1] * len(texts), col)
    return out


def _best(candidates: list[_Candidate]) -> _Candidate:
    # most contract columns; complete; a non-blank row; a one-row header; the earliest row
    return max(
        candidates,
        key=lambda c: (c.score, c.complete, bool(c.texts), -(c.last - c.first), -c.first),
    )


def read_xlsx_header(path: Path, spec: SourceSpec) -> XlsxHeader:
    """Find the sheet and header row(s) and check the header against the contract."""
    path = Path(path)
    with _Book(path) as book:
        try:
            chosen, named = _choose(book, _Matcher(spec), spec)
        except HeaderProblem:
            raise
        except _BROKEN as exc:
            raise HeaderProblem(f"{NOT_XLSX}: {broken_book(exc)}") from exc
    return _header_or_problem(chosen, spec, named)


def _choose(book: _Book, matcher: _Matcher, spec: SourceSpec):
    """The best header candidate over the sheets, and the contract's sheet (or None)."""
    sheets = book.sheets
    if not sheets:
        raise HeaderProblem("в книге нет ни одного листа с таблицей")
    named = None
    if spec.sheet:
        named = next((ws for ws in sheets if header_key(ws.title) == header_key(spec.sheet)), None)
    best_of: dict[str, _Candidate | None] = {}

    def best(ws) -> _Candidate | None:
        if ws.title not in best_of:
            cands = _sheet_candidates(book, book.sheet(ws.title), matcher)
            filled = [c for c in cands if c.texts]  # a sheet of blank (formatted) rows is empty
            best_of[ws.title] = _best(filled) if filled else None
        return best_of[ws.title]

    if named is not None and (found := best(named)) is not None and found.complete:
        return found, named  # the template's sheet, as it should be: look no further
    visible = [ws for ws in sheets if getattr(ws, "sheet_state", "visible") == "visible"]
    pool = visible or sheets
    if named is not None and named not in pool:
        pool = [named, *pool]
    ranked = []
    for order, ws in enumerate(pool):
        cand = best(ws)
        if cand is not None:
            ranked.append(((cand.score, cand.complete, ws is named, -order), cand))
    if not ranked:
        where = f"лист «{pool[0].title}» пуст" if len(pool) == 1 else "все листы пусты"
        raise HeaderProblem(f"файл пуст: {where}, нет строки заголовка")
    return max(ranked, key=lambda t: t[0])[1], named


def _header_or_problem(cand: _Candidate, spec: SourceSpec, named) -> XlsxHeader:
    where = f"лист «{cand.sheet}»"
    if cand.duplicate:
        raise HeaderProblem(
            f"столбец «{cand.duplicate}» встречается в заголовке дважды ({where}, "
            f"строка {cand.first})"
        )
    if cand.missing:
        msg = "в заголовке нет обязательных столбцов: " + ", ".join(f"«{m}»" for m in cand.missing)
        msg += unknown_names_note(list(cand.unknown), recognised=bool(cand.mapping))
        if not cand.mapping:
            msg += (
                f". Заголовок не распознан ни по одному столбцу — проверьте, что это файл "
                f"«{spec.title_ru}»"
            )
            if spec.sheet:
                msg += f" и что таблица на листе «{spec.sheet}»"
            msg += f" (просмотрены первые {HEADER_SCAN_ROWS} строк, {where})"
        else:
            rows = (
                f"строка {cand.first}"
                if cand.first == cand.last
                else f"строки {cand.first}–{cand.last}"
            )
            msg += f" ({where}, заголовок: {rows})"
        raise HeaderProblem(msg)
    notes = []
    if spec.sheet and header_key(cand.sheet) != header_key(spec.sheet):
        if named is None:
            notes.append(
                f"лист «{spec.sheet}» не найден — таблица прочитана с листа «{cand.sheet}»"
            )
        else:
            notes.append(
                f"на листе «{named.title}» нет таблицы по шаблону — "
                f"таблица прочитана с листа «{cand.sheet}»"
            )
    if cand.first == 2:
        notes.append("строка 1 над заголовком пропущена")
    elif cand.first > 2:
        notes.append(f"строки 1–{cand.first - 1} над заголовком пропущены")
    if cand.last > cand.first:
        notes.append(f"заголовок в двух строках ({cand.first}–{cand.last}) объединён")
    last = cand.last
    if cand.numbering_row:
        last = cand.numbering_row
        notes.append(f"строка {last} с номерами столбцов (1, 2, 3, …) пропущена")
    if cand.split_column is not None:
        notes.append("таблица была записана в один столбец через «;» — разделена по столбцам")
    return XlsxHeader(
        encoding="xlsx",
        columns=cand.texts,
        mapping=cand.mapping,
        unknown=cand.unknown,
        sheet=cand.sheet,
        header_rows=(cand.first, last),
        spans=cand.spans,
        split_column=cand.split_column,
        notes=notes,
    )


# ---------------------------------------------------------------------------------------
# data


def iter_xlsx_frames(
    path: Path,
    spec: SourceSpec,
    header: FileHeader,
    chunk_rows: int = CHUNK_ROWS,
    *,
    note_text_numbers: bool = True,
) -> Iterator[pd.DataFrame]:
    """Data rows as frames of strings: columns = header.columns + [`_note`], index = Excel
    row number − 1. Fully blank rows are skipped. `note_text_numbers=False` drops the notes on
    numbers stored as text (for machine exports that store every cell as text)."""
    path = Path(path)
    if not isinstance(header, XlsxHeader):
        header = read_xlsx_header(path, spec)
    rows = _RowReader(header, note_text_numbers)
    frame_rows: list[list[str]] = []
    index: list[int] = []
    with _Book(path) as book:
        ws = book.sheet(header.sheet)
        try:
            if header.split_column is None:
                rows.add_merges(book.merges(ws))
                rows.uncalculated = book.uncalculated_formulas(ws)
            for rownum, cells in _rows(ws):
                if rownum <= header.header_rows[1]:
                    continue
                out = rows.convert(rownum, cells)
                if out is None:
                    continue
                frame_rows.append(out)
                index.append(rownum - 1)
                if len(frame_rows) >= chunk_rows:
                    yield _frame(frame_rows, index, header.columns)
                    frame_rows, index = [], []
        except HeaderProblem:
            raise
        except _BROKEN as exc:
            raise HeaderProblem(
                f"книга Excel повреждена: лист «{header.sheet}» не дочитан — {broken_book(exc)}"
            ) from exc
    if frame_rows:
        yield _frame(frame_rows, index, header.columns)


class _RowReader:
    """Turns a sheet row into the frame row: display texts per header column + the note."""

    def __init__(self, header: XlsxHeader, note_text_numbers: bool = True):
        self.header = header
        self.note_text_numbers = note_text_numbers
        self.contract = [header.mapping.get(c) for c in header.columns]
        self.labels = [
            col.header if col is not None and col.kind != TASKS else _norm(text)
            for col, text in zip(self.contract, header.columns, strict=True)
        ]
        self.used = sorted({c for span in header.spans for c in span})
        self.uncalculated: set[tuple[int, int]] = set()  # (row, column) 1-based
        self.starts: dict[int, list[tuple[int, int]]] = {}  # anchor row → [(column, last row)]
        self.active: dict[int, tuple[int, str, int]] = {}  # column → (last row, value, anchor)

    def add_merges(self, merges: list[tuple[int, int, int, int]]) -> None:
        """Data cells merged down a column: their value is repeated in every row."""
        for r1, c1, r2, _c2 in merges:
            if r1 > self.header.header_rows[1] and r2 > r1:
                self.starts.setdefault(r1, []).append((c1 - 1, r2))

    def convert(self, rownum: int, row: tuple) -> list[str] | None:
        split = self.header.split_column is not None
        if split:
            col = self.header.split_column
            line = cell_text(row[col]) if col < len(row) else ""
            row = next(csv.reader([line], delimiter=";")) if line else []
        width = len(row)

        def text_at(c: int) -> str:
            if c >= width:
                return ""
            return row[c] if split else cell_text(row[c])

        cells = {c: text_at(c) for c in self.used}
        for c, last_row in self.starts.get(rownum, ()):
            self.active[c] = (last_row, cells[c] if c in cells else text_at(c), rownum)
        for c in [c for c, (last_row, _, _) in self.active.items() if last_row < rownum]:
            del self.active[c]
        if all(not v.strip() for v in cells.values()):
            return None  # blank rows (merged cells apart) are not data
        merged_from: dict[int, int] = {}
        for c, (_last, value, anchor_row) in self.active.items():
            if anchor_row < rownum and c in cells and not cells[c].strip() and value:
                cells[c] = value
                merged_from[c] = anchor_row

        notes: list[str] = []
        rejects: list[str] = []
        out: list[str] = []
        for span, col, label in zip(self.header.spans, self.contract, self.labels, strict=True):
            for c in span:
                if (rownum, c + 1) in self.uncalculated:
                    rejects.append(
                        f"«{label}»: формула без вычисленного значения (ячейка"
                        f" {get_column_letter(c + 1)}{rownum}) — откройте файл в Excel,"
                        " пересчитайте и сохраните"
                    )
            personal = col is not None and col.kind == PERSONAL
            filled = [c for c in span if cells[c].strip()]
            c = filled[0] if filled else span[0]
            text = cells[c]
            if c in merged_from:
                shown = "" if personal else f" «{text}»"
                notes.append(
                    f"«{label}»: ячейка объединена со строкой {merged_from[c]} — "
                    f"значение{shown} повторено"
                )
            if len({cells[x] for x in filled}) > 1:
                dropped = ", ".join(f"«{cells[x]}»" for x in filled[1:])
                taken = "взята первая" if personal else f"взято «{text}», не использовано {dropped}"
                notes.append(
                    f"«{label}»: под объединённым заголовком заполнено несколько ячеек — {taken}"
                )
            if col is not None and col.kind == TASKS:
                if text.strip().lower() in NO_ANSWER:
                    text = ""  # the contract's "no answer": not a correction
            elif (
                col is not None
                and col.kind in (INT, NUMBER)
                and self.note_text_numbers
                and not split
                and c not in merged_from
                and c < width
                and isinstance(row[c].value, str)
                and text.strip()
            ):
                accepted = _accepted_number(text, col.kind)
                if accepted is not None:
                    notes.append(
                        f"«{label}»: число введено как текст «{text}» — принято {accepted}"
                    )
            out.append(text)
        out.append("; ".join(notes))
        out.append("; ".join(rejects))
        return out


def _frame(rows: list[list[str]], index: list[int], columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame(
        rows,
        columns=[*columns, NOTE_COLUMN, REJECT_COLUMN],
        index=pd.Index(index, dtype="int64"),
        dtype=str,
    )
