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
from ingestion.read.xlsx.cells import cell_text, display
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
    out = _Columns(len(header.columns) + 2)
    try:
        ws = book.sheet(header.sheet)
        rows.zero_pad = ws.zero_pad
        if header.split_column is None:
            rows.add_merges(ws.merges)
            rows.uncalculated = {r for r, _c in ws.uncalculated}
            rows.uncalculated_cells = ws.uncalculated
        for batch in ws.batches(header.header_rows[1] + 1, _BATCH):
            rows.convert_batch(batch, out)
            while len(out.index) >= chunk_rows:
                yield out.frame(chunk_rows, header.columns)
    except HeaderProblem:
        raise
    except BROKEN as exc:
        raise HeaderProblem(
            f"книга Excel повреждена: лист «{header.sheet}» не дочитан — {broken_book(exc)}"
        ) from exc
    while len(out.index) >= chunk_rows:
        yield out.frame(chunk_rows, header.columns)
    if out.index:
        yield out.frame(len(out.index), header.columns)


class _Columns:
    """Converted rows kept column by column (the file's columns, `_note`, `_reject`) with
    their index, until a frame of them is taken."""

    def __init__(self, n: int):
        self.cols: list[list[str]] = [[] for _ in range(n)]
        self.index: list[int] = []

    def add_row(self, row: list[str], index: int) -> None:
        for col, text in zip(self.cols, row, strict=True):
            col.append(text)
        self.index.append(index)

    def add_columns(self, cols: list[list[str]], index: list[int]) -> None:
        for col, texts in zip(self.cols, cols, strict=True):
            col.extend(texts)
        self.index.extend(index)

    def frame(self, n: int, columns: list[str]) -> pd.DataFrame:
        """A frame of the first `n` rows (taken out)."""
        data = {i: col[:n] for i, col in enumerate(self.cols)}
        frame = pd.DataFrame(data, index=pd.Index(self.index[:n], dtype="int64"), dtype=str)
        frame.columns = pd.Index([*columns, NOTE_COLUMN, REJECT_COLUMN], dtype=object)
        self.cols = [col[n:] for col in self.cols]
        self.index = self.index[n:]
        return frame


class _FloatTexts(dict):
    """Display texts of the numbers of a column (calamine reads every number as a float;
    they repeat a lot). Only floats are looked up: True == 1.0 must not share a text."""

    def __missing__(self, value: float) -> str:
        text = self[value] = display(value)
        return text


def _texts(values) -> list[str]:
    """`display` of every value of a column (homogeneous columns without a Python step per
    cell)."""
    kinds = set(map(type, values))
    if kinds == {str}:
        return list(values)
    floats = _FloatTexts()
    if kinds == {float}:
        return list(map(floats.__getitem__, values))
    if kinds <= {str, float}:
        return [x if x.__class__ is str else floats[x] for x in values]
    return [
        x if (t := x.__class__) is str else floats[x] if t is float else display(x) for x in values
    ]


_BATCH = 5_000  # sheet rows converted column by column at a time


class _RowReader:
    """Turns sheet rows into frame rows: display texts per header column + the note.

    Rows are converted a batch at a time, column by column (`convert_batch`); rows that
    need more than that — inside a merged data range, holding a formula without a value or
    a zero-padded number, or a table typed into one column — go through `convert`, which
    keeps the state of merged ranges from row to row."""

    def __init__(self, header: XlsxHeader, note_text_numbers: bool = True):
        self.header = header
        self.note_text_numbers = note_text_numbers
        self.contract = [header.mapping.get(c) for c in header.columns]
        self.labels = [
            col.header if col is not None and col.kind != TASKS else norm(text)
            for col, text in zip(self.contract, header.columns, strict=True)
        ]
        self.used = sorted({c for span in header.spans for c in span})
        self.width = (max(self.used) + 1) if self.used else 0
        self.uncalculated: set[int] = set()  # rows holding a formula without a value
        self.uncalculated_cells: set[tuple[int, int]] = set()  # (row, column) 1-based
        self.zero_pad: dict[tuple[int, int], int] = {}
        self.merged: set[int] = set()  # rows inside a merged data range
        self.starts: dict[int, list[tuple[int, int]]] = {}  # anchor row → [(column, last row)]
        self.active: dict[int, tuple[int, str, int]] = {}  # column → (last row, value, anchor)

    def add_merges(self, merges: list[tuple[int, int, int, int]]) -> None:
        """Data cells merged down a column: their value is repeated in every row."""
        for r1, c1, r2, _c2 in merges:
            if r1 > self.header.header_rows[1] and r2 > r1:
                self.starts.setdefault(r1, []).append((c1 - 1, r2))
                self.merged.update(range(r1, r2 + 1))

    def convert_batch(self, batch: list[tuple[int, list]], out: _Columns) -> None:
        """Convert the non-blank rows of `batch` into `out`, in order."""
        if not batch:
            return
        if self.header.split_column is not None:
            for r, values in batch:
                if (row := self.convert(r, values)) is not None:
                    out.add_row(row, r - 1)
            return
        pad_rows = {r for r, _c in self.zero_pad} if self.zero_pad else ()
        if not (self.merged or self.uncalculated or pad_rows):
            self._columns(batch, out)
            return
        plain: list[tuple[int, list]] = []
        for r, values in batch:
            if r in self.merged or r in self.uncalculated or r in pad_rows:
                self._columns(plain, out)
                plain = []
                if (row := self.convert(r, values)) is not None:
                    out.add_row(row, r - 1)
            else:
                plain.append((r, values))
        self._columns(plain, out)

    def _columns(self, batch: list[tuple[int, list]], out: _Columns) -> None:
        """`convert` for rows without merges, formulas without values or zero-padding,
        column by column."""
        if not batch or not self.used:
            return
        width = self.width
        values = [v for _, v in batch]
        if min(map(len, values)) < width:
            values = [v if len(v) >= width else v + [""] * (width - len(v)) for v in values]
        columns = list(zip(*values, strict=False))  # every row has ≥ `width` cells
        raw = {c: columns[c] for c in self.used}
        texts = {c: _texts(col) for c, col in raw.items()}
        used_texts = [texts[c] for c in self.used]
        # a row is blank when all its texts are (str.strip of the joined texts is "")
        keep = list(map(bool, map(str.strip, map("".join, zip(*used_texts, strict=True)))))
        notes: dict[int, list[str]] = {}
        out_cols: list[list[str]] = []
        for span, col, label in zip(self.header.spans, self.contract, self.labels, strict=True):
            personal = col is not None and col.kind == PERSONAL
            if len(span) == 1:
                chosen_raw, chosen = raw[span[0]], texts[span[0]]
            else:
                chosen_raw, chosen = [], []
                for i, cells in enumerate(zip(*(texts[c] for c in span), strict=True)):
                    filled = [k for k, t in enumerate(cells) if t.strip()]
                    k = filled[0] if filled else 0
                    chosen.append(cells[k])
                    chosen_raw.append(raw[span[k]][i])
                    if len({cells[x] for x in filled}) > 1:
                        dropped = ", ".join(f"«{cells[x]}»" for x in filled[1:])
                        taken = (
                            "взята первая"
                            if personal
                            else f"взято «{cells[k]}», не использовано {dropped}"
                        )
                        notes.setdefault(i, []).append(
                            f"«{label}»: под объединённым заголовком заполнено несколько ячеек"
                            f" — {taken}"
                        )
            if col is not None and col.kind == TASKS:
                chosen = ["" if t.strip().lower() in NO_ANSWER else t for t in chosen]
            elif col is not None and col.kind in (INT, NUMBER) and self.note_text_numbers:
                for i, v in enumerate(chosen_raw):
                    if type(v) is str and v.strip():
                        accepted = _accepted_number(v, col.kind)
                        if accepted is not None:
                            notes.setdefault(i, []).append(
                                f"«{label}»: число введено как текст «{v}» — принято {accepted}"
                            )
            out_cols.append(chosen)
        note_col = [""] * len(batch)
        for i, found in notes.items():
            note_col[i] = "; ".join(found)
        out_cols.append(note_col)
        out_cols.append([""] * len(batch))
        if all(keep):
            out.add_columns(out_cols, [r - 1 for r, _ in batch])
            return
        rows = [i for i, k in enumerate(keep) if k]
        out.add_columns(
            [[col[i] for i in rows] for col in out_cols], [batch[i][0] - 1 for i in rows]
        )

    def convert(self, rownum: int, row: list) -> list[str] | None:
        split = self.header.split_column is not None
        if split:
            col = self.header.split_column
            line = self._text(rownum, col, row[col]) if col < len(row) else ""
            row = next(csv.reader([line], delimiter=";")) if line else []
        width = len(row)

        def text_at(c: int) -> str:
            if c >= width:
                return ""
            return row[c] if split else self._text(rownum, c, row[c])

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
                if (rownum, c + 1) in self.uncalculated_cells:
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
                and isinstance(row[c], str)
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

    def _text(self, rownum: int, c: int, value) -> str:
        if self.zero_pad:
            pad = self.zero_pad.get((rownum, c + 1))
            if pad:
                return cell_text(value, pad)
        return value if type(value) is str else display(value)
