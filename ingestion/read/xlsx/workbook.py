"""Opening an XLSX book: what a file that is not a book is, broken-book detection, the
merged ranges and formulas of a sheet (read from the sheet's XML part in the zip).

`Book` opens the file with openpyxl's public read-only mode (streaming: memory does not grow
with the number of rows, only with the book's shared-strings table). Read-only worksheets
do not report merged cells, so `Book.merges` streams the sheet's XML part once with zipfile
(zlib-decompressed in 1 MB blocks, a regular expression picks out the `<mergeCell ref="…">`
elements; only the ranges are kept); the same pass notes whether the sheet holds formulas,
and only then is it parsed for formulas without a cached value (`uncalculated_formulas`).

A sheet without a `<dimension>` element (written by many tools) would be parsed whole by
openpyxl when the book is opened, just to size it; rows are read with reset dimensions here
anyway. So such sheets get a `<dimension ref="A1"/>` in a private temporary copy of the book
(an unnamed temporary file, deleted on close) that openpyxl opens instead — one
decompress/recompress pass, much cheaper than the XML parse (and its merges/formula scan is
made on the way).
"""

from __future__ import annotations

import posixpath
import re
import shutil
import tempfile
import warnings
import xml.etree.ElementTree as ET
import zipfile
import zlib
from pathlib import Path
from typing import IO

from openpyxl import load_workbook
from openpyxl.utils.cell import (
    column_index_from_string,
    coordinate_from_string,
    range_boundaries,
)

from ingestion.messages import broken_book
from ingestion.read.header import HeaderProblem

NOT_XLSX = "файл не является книгой Excel (.xlsx)"
# what a damaged book raises while its sheets are streamed
BROKEN = (zipfile.BadZipFile, zlib.error, OSError, EOFError, SyntaxError, KeyError, ValueError)

_FORMULA_TAG = re.compile(rb"<(?:\w+:)?f[\s>/]")  # a cell formula element, any prefix
_MERGE_REF = re.compile(
    rb"<(?:[A-Za-z_][\w.-]*:)?mergeCell\b[^>]*?\bref=[\"']([A-Z]+\d+(?::[A-Z]+\d+)?)[\"']"
)
_DIMENSION_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?dimension\b")
_SHEET_DATA_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?sheetData\b")
_ROOT_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?worksheet\b[^>]*>")
_DIMENSION = (
    b'<dimension xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" ref="A1"/>'
)
_HEAD_LIMIT = 4 << 20  # where <sheetData> is looked for (it follows a few small elements)

_PKG_NS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_CT_NS = "{http://schemas.openxmlformats.org/package/2006/content-types}"
_REL_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
_WORKBOOK_TYPES = {
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.template.main+xml",
    "application/vnd.ms-excel.sheet.macroEnabled.main+xml",
    "application/vnd.ms-excel.template.macroEnabled.main+xml",
}


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


def sheet_parts(zf: zipfile.ZipFile) -> dict[str, str]:
    """Sheet title → its XML part in the zip (as openpyxl resolves it: the workbook part
    from [Content_Types].xml, relationship targets relative to the workbook's folder)."""
    types = ET.fromstring(zf.read("[Content_Types].xml"))
    workbook = next(
        (
            o.get("PartName", "").lstrip("/")
            for o in types.iter(f"{_CT_NS}Override")
            if o.get("ContentType") in _WORKBOOK_TYPES
        ),
        "xl/workbook.xml",
    )
    folder, name = posixpath.split(workbook)
    rels = ET.fromstring(zf.read(posixpath.join(folder, "_rels", f"{name}.rels")))
    targets = {}
    for rel in rels.iter(f"{_PKG_NS}Relationship"):
        target = rel.get("Target", "")
        if rel.get("TargetMode") == "External" or not rel.get("Type", "").endswith("/worksheet"):
            continue
        if target.startswith("/"):
            targets[rel.get("Id")] = target[1:]
        else:
            targets[rel.get("Id")] = posixpath.normpath(posixpath.join(folder, target))
    book = ET.fromstring(zf.read(workbook))
    return {
        sheet.get("name"): targets[sheet.get(_REL_ID)]
        for sheet in book.iter()
        if sheet.tag.rsplit("}", 1)[-1] == "sheet" and sheet.get(_REL_ID) in targets
    }


class _SheetScan:
    """Merged ranges and "has any formula" of a sheet part, fed its bytes block by block."""

    def __init__(self) -> None:
        self.merges: list[tuple[int, int, int, int]] = []
        self.formulas = False
        self._tail = b""

    def feed(self, block: bytes) -> None:
        buf = self._tail + block
        self.formulas = self.formulas or _FORMULA_TAG.search(buf) is not None
        last = 0
        for m in _MERGE_REF.finditer(buf):
            min_col, min_row, max_col, max_row = range_boundaries(m.group(1).decode())
            self.merges.append((min_row, min_col, max_row, max_col))
            last = m.end()
        self._tail = buf[max(last, len(buf) - 256) :]

    def result(self) -> tuple[list[tuple[int, int, int, int]], bool]:
        return self.merges, self.formulas


def _lacks_dimension(zf: zipfile.ZipFile, part: str) -> bool:
    """Whether the sheet part has no <dimension> before its <sheetData> (so openpyxl would
    parse it whole to size it)."""
    head = b""
    with zf.open(part) as src:
        while len(head) < _HEAD_LIMIT:
            block = src.read(1 << 16)
            if not block:
                return False  # a small part: sizing it costs nothing
            head += block
            data = _SHEET_DATA_TAG.search(head)
            if data:
                return _DIMENSION_TAG.search(head, 0, data.start()) is None
    return False


def _with_dimensions(zf: zipfile.ZipFile, parts: set[str], scans: dict) -> IO[bytes]:
    """A temporary copy of the book in which `parts` have a <dimension> element; the merges
    and formulas of those parts, scanned on the way, go to `scans`."""
    out = tempfile.TemporaryFile()
    try:
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zout:
            for info in zf.infolist():
                if info.is_dir():
                    zout.writestr(info.filename, b"")
                    continue
                target = zipfile.ZipInfo(info.filename, info.date_time)
                target.compress_type = zipfile.ZIP_DEFLATED
                with zf.open(info) as src, zout.open(target, "w", force_zip64=True) as dst:
                    if info.filename in parts:
                        scans[info.filename] = _copy_with_dimension(src, dst)
                    else:
                        shutil.copyfileobj(src, dst, 1 << 20)
        out.seek(0)
    except BaseException:
        out.close()
        raise
    return out


def _copy_with_dimension(src, dst) -> tuple[list[tuple[int, int, int, int]], bool]:
    scan = _SheetScan()
    head = b""
    inserted = False
    while block := src.read(1 << 20):
        scan.feed(block)
        if inserted:
            dst.write(block)
            continue
        head += block
        root = _ROOT_TAG.search(head)
        if root:
            dst.write(head[: root.end()] + _DIMENSION + head[root.end() :])
            inserted, head = True, b""
    dst.write(head)
    return scan.result()


class Book:
    """A read-only openpyxl workbook and the files behind it (close it!)."""

    def __init__(self, path: Path):
        self._scans: dict[str, tuple[list, bool]] = {}  # sheet part → (merges, has formulas)
        reason = sniff_not_xlsx(path)
        if reason:
            raise HeaderProblem(f"{NOT_XLSX}: {reason}")
        self._zip: zipfile.ZipFile | None = None
        self._fh: IO[bytes] | None = None
        self._parts: dict[str, str] = {}
        try:
            self._zip = zipfile.ZipFile(path)
            self._fh = self._openpyxl_file(path)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                self.wb = load_workbook(self._fh, read_only=True, data_only=True)
        except HeaderProblem:
            self._close_files()
            raise
        except Exception as exc:
            self._close_files()
            reason = zip_kind(path) or f"повреждённый или неизвестный формат: {broken_book(exc)}"
            raise HeaderProblem(f"{NOT_XLSX}: {reason}") from exc

    def _openpyxl_file(self, path: Path) -> IO[bytes]:
        """The file openpyxl opens: the book itself, or its copy with <dimension> elements."""
        try:
            self._parts = sheet_parts(self._zip)
        except Exception:  # openpyxl will say what is wrong with the book
            return open(path, "rb")
        try:
            lacking = {p for p in set(self._parts.values()) if _lacks_dimension(self._zip, p)}
            if not lacking:
                return open(path, "rb")
            return _with_dimensions(self._zip, lacking, self._scans)
        except BROKEN as exc:  # a damaged sheet part
            raise HeaderProblem(f"{NOT_XLSX}: {broken_book(exc)}") from exc

    def _close_files(self) -> None:
        for f in (self._fh, self._zip):
            if f is not None:
                f.close()

    def close(self) -> None:
        try:
            self.wb.close()
        finally:
            self._close_files()

    def __enter__(self) -> Book:
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
        if not self._scan(ws)[1]:
            return set()  # no formula in the sheet: no XML parse needed
        found: set[tuple[int, int]] = set()
        with self._zip.open(self._parts[ws.title]) as src:
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
        """Merged ranges (min_row, min_col, max_row, max_col) of a sheet, 1-based."""
        return self._scan(ws)[0]

    def _scan(self, ws) -> tuple[list[tuple[int, int, int, int]], bool]:
        """One streaming pass over a sheet's XML part: its merged ranges, and whether it
        holds any formula at all (cached per sheet)."""
        part = self._parts.get(ws.title)
        if part is None:
            return [], False
        if part not in self._scans:
            scan = _SheetScan()
            with self._zip.open(part) as src:
                while block := src.read(1 << 20):
                    scan.feed(block)
            self._scans[part] = scan.result()
        return self._scans[part]
