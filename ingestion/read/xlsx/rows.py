"""Data rows of an XLSX sheet → frames of strings for `read.parse.parse_chunk`: every cell
as a person reads it in Excel.

- **blank rows** between and after data rows are not data and are skipped.
- **codes kept as numbers with a «000000» format** read with their leading zeros, as shown.
- **merged data cells** (one «Код ОО» merged down over several rows): the value is repeated
  in each row of the merge and a note says so.
- **a header cell merged across several columns**: the first non-empty cell under it.
- **numbers typed as text** are passed on as text (parse_chunk converts them); a note is made
  for the row when the text is a valid number for its column.
- **ВПР task columns `З1`, `З2`, …**: `X`/`Х` (Latin or Cyrillic, any case) = no answer → "".
- **the table typed into one column with «;»**: each row split.
- **formulas without a cached value**: the row is rejected (the reason names the cell).

Row numbers: the frames' index is the spreadsheet row number − 1, so parse_chunk's
`source_row = index + 1` is the row number people see in Excel. Each frame has, after the
file's columns, a `_note` column ("" or the Russian notes on automatic corrections made to
that row, joined by "; "; personal values such as СНИЛС never appear in notes) and a
`_reject` column (reasons the reader itself rejects the row for).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
from openpyxl.utils import get_column_letter

from ingestion.messages import broken_book
from ingestion.read.header import FileHeader, HeaderProblem, norm
from ingestion.read.parse import CHUNK_ROWS, NOTE_COLUMN, REJECT_COLUMN
from ingestion.read.xlsx.cells import cell_text, sheet_rows
from ingestion.read.xlsx.locate import XlsxHeader, locate
from ingestion.read.xlsx.workbook import BROKEN, Book
from sources import INT, NUMBER, PERSONAL, TASKS, SourceSpec
from sources.vpr import NO_ANSWER

_NUMBER_TEXT = re.compile(r"^[+-]?\d+(\.\d+)?$")


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


def iter_xlsx_frames(
    path: Path,
    spec: SourceSpec,
    header: FileHeader,
    chunk_rows: int = CHUNK_ROWS,
    *,
    note_text_numbers: bool = True,
) -> Iterator[pd.DataFrame]:
    """`xlsx_frames` of the book at `path` (its header located first unless given)."""
    with Book(Path(path)) as book:
        if not isinstance(header, XlsxHeader):
            header = locate(book, spec)
        yield from xlsx_frames(book, header, chunk_rows, note_text_numbers=note_text_numbers)


def xlsx_frames(
    book: Book,
    header: XlsxHeader,
    chunk_rows: int = CHUNK_ROWS,
    *,
    note_text_numbers: bool = True,
) -> Iterator[pd.DataFrame]:
    """Data rows as frames of strings: columns = header.columns + [`_note`, `_reject`],
    index = Excel row number − 1. Fully blank rows are skipped. `note_text_numbers=False`
    drops the notes on numbers stored as text (for machine exports that store every cell
    as text)."""
    rows = _RowReader(header, note_text_numbers)
    frame_rows: list[list[str]] = []
    index: list[int] = []
    ws = book.sheet(header.sheet)
    try:
        if header.split_column is None:
            rows.add_merges(book.merges(ws))
            rows.uncalculated = book.uncalculated_formulas(ws)
        for rownum, cells in sheet_rows(ws):
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
    except BROKEN as exc:
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
            col.header if col is not None and col.kind != TASKS else norm(text)
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
