"""Opening an XLSX book: what a file that is not a book is, broken-book detection, and the
sheets' cells as Excel shows them.

`Book` reads cell values with python-calamine (Rust; ~15× openpyxl's read-only mode). What
calamine does not report is taken from the sheet's XML part in the zip, in one streaming
pass per sheet (`scan_sheet`: zlib-decompressed in 1 MB blocks; the blocks are only
searched with `bytes.find` unless they hold what is looked for):

- **error cells** (`t="e"`, «#Н/Д», «#ДЕЛ/0!»): calamine reads them as empty; people see
  (and we keep) the error text, e.g. «#N/A»;
- **formulas without a cached value** (a book saved by a program that does not
  calculate): they look empty, the row is rejected naming the cell (`Sheet.uncalculated`);
- **zero-padding number formats** («000000», used to show codes with leading zeros): the
  cells with such a style (only looked for when styles.xml defines one).

Merged ranges come from calamine. A sheet is read whole by calamine when first used (one
sheet is kept: `Book.sheet`); its rows are handed out as Python lists one by one.
"""

from __future__ import annotations

import datetime as dt
import gc
import posixpath
import re
import warnings
import xml.etree.ElementTree as ET
import zipfile
import zlib
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from xml.sax.saxutils import unescape

import python_calamine
from openpyxl import load_workbook
from openpyxl.styles.numbers import BUILTIN_FORMATS, BUILTIN_FORMATS_MAX_SIZE
from openpyxl.styles.stylesheet import Stylesheet
from openpyxl.utils.cell import column_index_from_string
from openpyxl.utils.datetime import MAC_EPOCH, WINDOWS_EPOCH, from_excel

from ingestion.messages import broken_book
from ingestion.read.header import HeaderProblem

NOT_XLSX = "файл не является книгой Excel (.xlsx)"
# what a damaged book raises while its sheets are read
BROKEN = (
    zipfile.BadZipFile,
    zlib.error,
    OSError,
    EOFError,
    SyntaxError,
    KeyError,
    ValueError,
    python_calamine.CalamineError,
)

_PKG_NS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_CT_NS = "{http://schemas.openxmlformats.org/package/2006/content-types}"
_REL_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
_WORKBOOK_TYPES = {
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.template.main+xml",
    "application/vnd.ms-excel.sheet.macroEnabled.main+xml",
    "application/vnd.ms-excel.template.macroEnabled.main+xml",
}
_STATES = (  # calamine's enum is not hashable
    (python_calamine.SheetVisibleEnum.Visible, "visible"),
    (python_calamine.SheetVisibleEnum.Hidden, "hidden"),
    (python_calamine.SheetVisibleEnum.VeryHidden, "veryHidden"),
)
ZERO_PAD = re.compile(r"^0{2,}$")


def sniff_not_xlsx(path: Path) -> str | None:
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


def zip_kind(path: Path) -> str | None:
    """What other zip-based format the file is (OpenDocument, .xlsb, Word), or None."""
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


def _workbook_part(zf: zipfile.ZipFile) -> str:
    types = ET.fromstring(zf.read("[Content_Types].xml"))
    return next(
        (
            o.get("PartName", "").lstrip("/")
            for o in types.iter(f"{_CT_NS}Override")
            if o.get("ContentType") in _WORKBOOK_TYPES
        ),
        "xl/workbook.xml",
    )


def _relationships(zf: zipfile.ZipFile, part: str) -> list[tuple[str, str, str]]:
    """(id, type, target part) of a part's internal relationships."""
    folder, name = posixpath.split(part)
    rels = ET.fromstring(zf.read(posixpath.join(folder, "_rels", f"{name}.rels")))
    out = []
    for rel in rels.iter(f"{_PKG_NS}Relationship"):
        target = rel.get("Target", "")
        if rel.get("TargetMode") == "External":
            continue
        if target.startswith("/"):
            target = target[1:]
        else:
            target = posixpath.normpath(posixpath.join(folder, target))
        out.append((rel.get("Id"), rel.get("Type", ""), target))
    return out


def sheet_parts(zf: zipfile.ZipFile) -> dict[str, str]:
    """Sheet title → its XML part in the zip (the workbook part from [Content_Types].xml,
    relationship targets relative to the workbook's folder)."""
    workbook = _workbook_part(zf)
    targets = {
        rid: target
        for rid, kind, target in _relationships(zf, workbook)
        if kind.endswith("/worksheet")
    }
    book = ET.fromstring(zf.read(workbook))
    return {
        sheet.get("name"): targets[sheet.get(_REL_ID)]
        for sheet in book.iter()
        if sheet.tag.rsplit("}", 1)[-1] == "sheet" and sheet.get(_REL_ID) in targets
    }


@dataclass
class Styles:
    """What the book's cell styles (`s` attribute = index into cellXfs) mean for values, as
    openpyxl reads them (its own stylesheet parser: the same formats are dates)."""

    pad: dict[int, int] = field(default_factory=dict)  # style → zero-padding width
    # style → how openpyxl reads a number with it: NUMBER (not "General"/plain), DATE, DURATION
    numbers: dict[int, int] = field(default_factory=dict)
    epoch: dt.datetime = WINDOWS_EPOCH

    @property
    def ids(self) -> set[int]:
        return set(self.pad) | set(self.numbers)


NUMBER, DATE, DURATION = 0, 1, 2
_QUOTED = re.compile(r'"[^"]*"|\\.|[_*].|\[[^\]]*\]')
_PLAIN = re.compile(r"^[0-9#?,.%Ee+\- /@;]*$")


def read_styles(zf: zipfile.ZipFile) -> Styles:
    """The styles of the book (xl/styles.xml, as openpyxl finds it) and its date epoch."""
    out = Styles()
    try:
        root = ET.fromstring(zf.read(_workbook_part(zf)))
        pr = next((el for el in root if el.tag.rsplit("}", 1)[-1] == "workbookPr"), None)
        if pr is not None and pr.get("date1904", "").lower() in ("1", "true"):
            out.epoch = MAC_EPOCH
    except (KeyError, ET.ParseError):
        pass
    try:
        sheet = Stylesheet.from_tree(ET.fromstring(zf.read("xl/styles.xml")))
    except Exception:  # noqa: BLE001 — no or broken styles: every number is a plain number
        return out
    for idx, style in enumerate(sheet.cell_styles):
        fmt_id = style.numFmtId
        if fmt_id < BUILTIN_FORMATS_MAX_SIZE:
            fmt = BUILTIN_FORMATS.get(fmt_id, "General")
        else:
            try:
                fmt = sheet.number_formats[fmt_id - BUILTIN_FORMATS_MAX_SIZE]
            except IndexError:
                continue
        if ZERO_PAD.match(fmt):
            out.pad[idx] = len(fmt)
        if idx in sheet.date_formats:
            out.numbers[idx] = DURATION if idx in sheet.timedelta_formats else DATE
        elif fmt != "General" and not _PLAIN.match(_QUOTED.sub("", fmt)):
            out.numbers[idx] = NUMBER
    return out


def _number(text: str, kind: int, epoch: dt.datetime):
    """A numeric cell's value as openpyxl reads it (data_only, read-only)."""
    value = float(text) if "." in text or "E" in text or "e" in text else int(text)
    if kind == NUMBER:
        return value
    try:
        return from_excel(value, epoch, timedelta=kind == DURATION)
    except (OverflowError, ValueError):
        return "#VALUE!"  # a date format on a number outside the dates


# --------------------------------------------------------------------------------------
# the streaming scan of a sheet part

_NAME = rb"(?:[A-Za-z_][\w.-]*:)?"
_CELL_OPEN = re.compile(rb"<" + _NAME + rb"c(\s[^>]*?)?(/?)>")
_CELL_OR_ROW = re.compile(rb"<" + _NAME + rb"(?:c|row)[\s>/]")
_CELL_CLOSE = re.compile(rb"</" + _NAME + rb"c\s*>")
_ATTR = re.compile(rb"([\w:.-]+)\s*=\s*(?:\"([^\"]*)\"|'([^']*)')")
_FORMULA_TAG = re.compile(rb"<" + _NAME + rb"f[\s>/]")
_ERROR_ATTR = re.compile(rb"\st\s*=\s*[\"']e[\"']")
_VALUE = re.compile(rb"<" + _NAME + rb"v(?:\s[^>]*)?(?:/>|>([^<]*)</" + _NAME + rb"v\s*>)")
_INLINE = re.compile(rb"<" + _NAME + rb"is(?:\s[^>]*)?(?:/>|>(.*?)</" + _NAME + rb"is\s*>)", re.S)
_TAGS = re.compile(rb"<[^>]*>")
_REF = re.compile(rb"([A-Z]{1,3})(\d+)")
_BLOCK = 1 << 20


@dataclass
class SheetScan:
    """What the sheet's XML says that calamine does not (cells 1-based (row, column))."""

    # cells whose value is not calamine's: error texts, numbers with a non-plain format
    values: dict[tuple[int, int], object] = field(default_factory=dict)
    uncalculated: set[tuple[int, int]] = field(default_factory=set)
    zero_pad: dict[tuple[int, int], int] = field(default_factory=dict)


class _NoReference(Exception):
    """A cell of interest without an `r` attribute: positions must be counted."""


def scan_sheet(zf: zipfile.ZipFile, part: str, styles: Styles) -> SheetScan:
    """Error cells, formulas without a cached value, zero-padded cells and numbers with a
    non-plain format of a sheet part, in one streaming pass (see module docstring)."""
    if 0 in styles.ids:  # the default style matters: every cell must be looked at
        return _scan_counting(zf, part, styles)
    try:
        return _scan_fast(zf, part, styles)
    except _NoReference:
        return _scan_counting(zf, part, styles)


def _scan_fast(zf: zipfile.ZipFile, part: str, styles: Styles) -> SheetScan:
    out = SheetScan()
    style_attr = None
    if styles.ids:
        ids = b"|".join(str(i).encode() for i in sorted(styles.ids))
        style_attr = re.compile(rb"\ss\s*=\s*[\"'](?:" + ids + rb")[\"']")
    tail = b""
    with zf.open(part) as src:
        while True:
            block = src.read(_BLOCK)
            buf = tail + block
            cut = len(buf) if not block else _last_cell_start(buf)
            if cut <= 0:
                if not block:
                    break
                tail = buf  # no cell starts in it yet: read on
                continue
            starts: set[int] = set()
            if _has_formula_hint(buf, cut):
                for m in _FORMULA_TAG.finditer(buf, 0, cut):
                    starts.add(buf.rfind(b"<", 0, m.start()))
            if buf.find(b'"e"', 0, cut) >= 0 or buf.find(b"'e'", 0, cut) >= 0:
                for m in _ERROR_ATTR.finditer(buf, 0, cut):
                    starts.add(buf.rfind(b"<", 0, m.start()))
            if style_attr is not None:
                for m in style_attr.finditer(buf, 0, cut):
                    starts.add(buf.rfind(b"<", 0, m.start()))
            for start in sorted(starts):
                if start >= 0 and _cell(buf, start, cut, out, styles) is None:
                    cut = start  # a malformed cell: try again with more bytes
                    break
            tail = buf[cut:]
            if not block:
                break
    return out


def _last_cell_start(buf: bytes) -> int:
    """Offset of the last `<c …>` or `<row …>` start tag in `buf` (-1 if none): every cell
    before it is complete."""
    at = len(buf)
    while (at := buf.rfind(b"<", 0, at)) >= 0:
        if _CELL_OR_ROW.match(buf, at):
            return at
    return -1


def _has_formula_hint(buf: bytes, cut: int) -> bool:
    return buf.find(b"<f", 0, cut) >= 0 or buf.find(b":f", 0, cut) >= 0


def _cell(buf: bytes, start: int, cut: int, out: SheetScan, styles: Styles) -> int | None:
    """Note the cell whose start tag begins at `start` (if it is a cell); its end offset,
    or None when it is not complete before `cut`."""
    m = _CELL_OPEN.match(buf, start)
    if m is None:
        return start + 1  # the match was inside another element (e.g. a <row s="…">)
    attrs = {
        a.group(1): a.group(2) if a.group(2) is not None else a.group(3)
        for a in _ATTR.finditer(m.group(1) or b"")
    }
    if m.group(2):
        content, end = b"", m.end()
    else:
        close = _CELL_CLOSE.search(buf, m.end(), cut)
        if close is None:
            return None
        content, end = buf[m.end() : close.start()], close.end()
    formula = _FORMULA_TAG.match(content.lstrip()) is not None
    kind = attrs.get(b"t", b"n").decode()
    style = attrs.get(b"s")
    style = int(style) if style and style.isdigit() else 0
    if not formula and kind != "e" and style not in styles.pad and style not in styles.numbers:
        return end
    ref = attrs.get(b"r")
    ref_m = _REF.fullmatch(ref) if ref else None
    if ref_m is None:
        raise _NoReference
    pos = (int(ref_m.group(2)), column_index_from_string(ref_m.group(1).decode()))
    value = _VALUE.search(content)
    v_text = None if value is None or not value.group(1) else _unescape(value.group(1))
    if value is not None:
        text = v_text
    else:
        inline = _INLINE.search(content)
        text = None if inline is None else _TAGS.sub(b"", inline.group(1) or b"")
    _note(out, pos, kind, style, formula, text, v_text, styles)
    return end


def _unescape(raw: bytes) -> str:
    return unescape(raw.decode(), {"&quot;": '"', "&apos;": "'"})


def _note(out: SheetScan, pos, kind: str, style: int, formula: bool, text, v_text, styles):
    """Record what calamine would not tell about the cell at `pos` (see SheetScan)."""
    if formula and not text:
        out.uncalculated.add(pos)
    if kind == "e" and v_text:
        out.values[pos] = v_text
    if style in styles.pad:
        out.zero_pad[pos] = styles.pad[style]
    if kind == "n" and style in styles.numbers and v_text:
        try:
            out.values[pos] = _number(v_text, styles.numbers[style], styles.epoch)
        except ValueError:
            pass  # not a number: left as calamine reads it


def _scan_counting(zf: zipfile.ZipFile, part: str, styles: Styles) -> SheetScan:
    """`scan_sheet` for sheets whose cells lack `r` attributes: positions counted as Excel
    (and openpyxl) do: a row without `r` follows the previous one, a cell without `r`
    follows the previous cell of its row."""
    out = SheetScan()
    row = col = 0
    with zf.open(part) as src:
        for event, el in ET.iterparse(src, events=("start", "end")):
            tag = el.tag.rsplit("}", 1)[-1]
            if event == "start":
                if tag == "row":
                    r = el.get("r")
                    row = int(r) if r else row + 1
                    col = 0
                continue
            if tag != "c":
                if tag == "row":
                    el.clear()
                continue
            ref = el.get("r")
            m = _REF.fullmatch(ref.encode()) if ref else None
            if m:
                row, col = int(m.group(2)), column_index_from_string(m.group(1).decode())
            else:
                col += 1
            formula = value = v_text = None
            for child in el:
                name = child.tag.rsplit("}", 1)[-1]
                if name == "f":
                    formula = child
                elif name in ("v", "is"):
                    value = child
                    if name == "v":
                        v_text = child.text or None
            text = None if value is None else "".join(value.itertext())
            style = el.get("s")
            style = int(style) if style and style.isdigit() else 0
            kind = el.get("t", "n")
            _note(out, (row, col), kind, style, formula is not None, text, v_text, styles)
    return out


# --------------------------------------------------------------------------------------


@dataclass
class SheetInfo:
    title: str
    sheet_state: str = "visible"


class Sheet:
    """One sheet read whole: rows of values (1-based row numbers, from column A), merged
    ranges and what only the sheet's XML says (`SheetScan`)."""

    def __init__(self, title: str, data, scan: SheetScan, path: Path):
        self.title = title
        self._data = data
        self._path = path
        self.scan = scan
        ranges = data.merged_cell_ranges or []
        # calamine: ((row, col), (row, col)) 0-based → (min_row, min_col, max_row, max_col)
        self.merges = [(r1 + 1, c1 + 1, r2 + 1, c2 + 1) for (r1, c1), (r2, c2) in ranges]

    @property
    def uncalculated(self) -> set[tuple[int, int]]:
        return self.scan.uncalculated

    @property
    def zero_pad(self) -> dict[tuple[int, int], int]:
        return self.scan.zero_pad

    def rows(self, max_row: int | None = None) -> Iterator[tuple[int, list]]:
        """(row number, values) for every row from 1 (blank rows included) up to the last
        row holding a value: "" for an empty cell; error cells as their text and numbers
        with a non-plain format as openpyxl reads them (`SheetScan.values`)."""
        by_row: dict[int, list[tuple[int, object]]] = {}
        for (r, c), value in self.scan.values.items():
            by_row.setdefault(r, []).append((c, value))
        last = 0
        start = self._data.start
        if start is not None:
            pad = [""] * start[1]
            # python-calamine's iter_rows: every row from the first, columns from the first
            # column used
            rows = self._data.iter_rows()
            while True:
                try:
                    values = next(rows)
                except StopIteration:
                    break
                except (OverflowError, ValueError):  # a value Python cannot hold (a duration
                    # format on a huge number): the rest of the sheet as openpyxl reads it
                    yield from self._openpyxl_rows(last + 1, max_row, by_row)
                    return
                last += 1
                if max_row is not None and last > max_row:
                    return
                row = pad + values if pad else values
                yield last, _patched(row, by_row.get(last))
            if last != self._data.end[0] + 1:
                raise RuntimeError(f"python-calamine: {last} rows of {self._data.end[0] + 1}")
        # cells calamine reads as empty (errors) after its last row
        end = max(by_row, default=0)
        if max_row is not None:
            end = min(end, max_row)
        for r in range(last + 1, end + 1):
            yield r, _patched([], by_row.get(r))

    def batches(self, first: int, size: int) -> Iterator[list[tuple[int, list]]]:
        """The rows of `rows` from row `first` on, `size` at a time (the common case — no
        cell to patch, the table from column A — without a Python step per row)."""
        start = self._data.start
        if self.scan.values or start is None or start[1]:
            yield from _batched(self.rows(), first, size)
            return
        rows = self._data.iter_rows()
        done = 0  # rows read
        while True:
            try:
                chunk = _no_gc(list, islice(rows, size))
            except (OverflowError, ValueError):  # see `rows`: from the row after `done` on
                yield from _batched(self.rows(), max(first, done + 1), size)
                return
            if not chunk:
                break
            skip = max(0, first - done - 1)
            if skip < len(chunk):
                numbers = range(done + skip + 1, done + len(chunk) + 1)
                yield list(zip(numbers, chunk[skip:], strict=True))
            done += len(chunk)
        if done != self._data.end[0] + 1:
            raise RuntimeError(f"python-calamine: {done} rows of {self._data.end[0] + 1}")

    def _openpyxl_rows(self, first: int, max_row: int | None, by_row) -> Iterator[tuple[int, list]]:
        """Rows from `first` on, read with openpyxl's read-only mode (the slow path)."""
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            book = load_workbook(self._path, read_only=True, data_only=True)
        try:
            ws = book[self.title]
            ws.reset_dimensions()
            for r, values in enumerate(
                ws.iter_rows(min_row=first, max_row=max_row, values_only=True), start=first
            ):
                row = ["" if v is None else v for v in values]
                yield r, _patched(row, by_row.get(r))
        finally:
            book.close()


def _no_gc(fn, *args):
    """fn(*args) with the cyclic garbage collector paused: thousands of new row lists
    (which hold no cycles) would trigger collections over everything alive."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        return fn(*args)
    finally:
        if enabled:
            gc.enable()


def _batched(rows, first: int, size: int) -> Iterator[list[tuple[int, list]]]:
    batch: list[tuple[int, list]] = []
    for r, values in rows:
        if r >= first:
            batch.append((r, values))
            if len(batch) >= size:
                yield batch
                batch = []
    if batch:
        yield batch


def _patched(row: list, cells: list[tuple[int, object]] | None) -> list:
    if cells:
        for c, value in cells:
            if c > len(row):
                row.extend([""] * (c - len(row)))
            row[c - 1] = value
    return row


class Book:
    """An XLSX book open for reading (close it!)."""

    def __init__(self, path: Path):
        reason = sniff_not_xlsx(path)
        if reason:
            raise HeaderProblem(f"{NOT_XLSX}: {reason}")
        self._path = path
        self._zip: zipfile.ZipFile | None = None
        self._book = None
        self._parts: dict[str, str] = {}
        self._styles = Styles()
        self._current: Sheet | None = None
        try:
            self._zip = zipfile.ZipFile(path)
            try:
                self._parts = sheet_parts(self._zip)
            except Exception:  # calamine will say what is wrong with the book
                self._parts = {}
            self._styles = read_styles(self._zip)
            self._book = python_calamine.CalamineWorkbook.from_path(str(path))
            self._sheets = [
                SheetInfo(m.name, next((n for v, n in _STATES if v == m.visible), "visible"))
                for m in self._book.sheets_metadata
                if m.typ == python_calamine.SheetTypeEnum.WorkSheet
            ]
        except HeaderProblem:
            self.close()
            raise
        except Exception as exc:
            self.close()
            reason = zip_kind(path) or f"повреждённый или неизвестный формат: {broken_book(exc)}"
            raise HeaderProblem(f"{NOT_XLSX}: {reason}") from exc

    def close(self) -> None:
        self._current = None
        if self._book is not None:
            self._book.close()
            self._book = None
        if self._zip is not None:
            self._zip.close()
            self._zip = None

    def __enter__(self) -> Book:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def sheets(self) -> list[SheetInfo]:
        return list(self._sheets)

    def sheet(self, title: str) -> Sheet:
        """The sheet read whole (the last one asked for is kept)."""
        if self._current is None or self._current.title != title:
            self._current = None  # free the previous sheet first
            part = self._parts.get(title)
            if part is None:
                data = self._book.get_sheet_by_name(title)
                self._current = Sheet(title, data, SheetScan(), self._path)
                return self._current
            # calamine releases the GIL while it reads the sheet: the scan runs meanwhile
            with ThreadPoolExecutor(1) as pool:
                scan = pool.submit(scan_sheet, self._zip, part, self._styles)
                data = self._book.get_sheet_by_name(title)
                self._current = Sheet(title, data, scan.result(), self._path)
        return self._current
