"""Finding the table in an XLSX book filled in by people: the sheet and the header row(s).

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
  the first non-empty cell under it (rows.py).
- **header spelling**: spaces, line breaks, case, «ё»/«е», quote marks («», "", “”),
  dash variants, commas/colons/asterisks are ignored when matching (`header.header_key`).
- **a row of column numbers** (1, 2, 3, …) right under the header, as in official forms,
  is skipped.
- **the whole table typed into column A with «;»** (a CSV pasted into Excel): split.

The header is checked with the same matcher and messages as a CSV's (`read.header`), the
problem located by sheet and row.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

from ingestion.messages import broken_book
from ingestion.read.header import (
    FileHeader,
    HeaderMatch,
    HeaderMatcher,
    HeaderProblem,
    empty_file,
    header_key,
    header_problem,
)
from ingestion.read.xlsx.cells import shown
from ingestion.read.xlsx.workbook import BROKEN, NOT_XLSX, Book, Sheet
from sources import SourceSpec

HEADER_SCAN_ROWS = 20  # the header is looked for in the first 20 rows (+1 for a 2-row header)


@dataclass
class XlsxHeader(FileHeader):
    """FileHeader (encoding = "xlsx") plus where the table was found in the book."""

    sheet: str = ""
    header_rows: tuple[int, int] = (1, 1)  # first and last header row, 1-based
    spans: list[tuple[int, ...]] = field(default_factory=list)  # 0-based columns per column
    split_column: int | None = None  # the table was typed into this column with «;»
    notes: list[str] = field(default_factory=list)  # file-level notes (Russian)


@dataclass
class _Candidate:
    sheet: str
    first: int  # 1-based
    last: int
    texts: list[str]  # header texts (non-blank columns only)
    spans: list[tuple[int, ...]]
    match: HeaderMatch
    split_column: int | None = None
    numbering_row: int | None = None  # a row «1, 2, 3, …» right under the header

    @property
    def score(self) -> int:
        return self.match.score

    @property
    def complete(self) -> bool:
        return self.match.complete


def _trimmed(texts: list[str]) -> list[str]:
    while texts and not texts[-1].strip():
        texts.pop()
    return texts


class _Window:
    """The first rows of a sheet as display texts, merged ranges filled in."""

    def __init__(self, sheet: Sheet):
        merges = sheet.merges
        rows = [
            _trimmed(shown(values, r, sheet.zero_pad))
            for r, values in sheet.rows(HEADER_SCAN_ROWS + 1)
        ]
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

    def double(self, r: int, matcher: HeaderMatcher) -> tuple[list[str], list[int]]:
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


def _sheet_candidates(ws: Sheet, matcher: HeaderMatcher) -> list[_Candidate]:
    window = _Window(ws)
    out: list[_Candidate] = []

    def add(first, last, texts, ids, split_column=None):
        texts, spans = _spans(texts, ids)
        cand = _Candidate(ws.title, first, last, texts, spans, matcher.match(texts), split_column)
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
    with Book(Path(path)) as book:
        return locate(book, spec)


def locate(book: Book, spec: SourceSpec) -> XlsxHeader:
    """The header of an open book (see module docstring); HeaderProblem if there is none."""
    try:
        chosen, named = _choose(book, HeaderMatcher(spec), spec)
    except HeaderProblem:
        raise
    except BROKEN as exc:
        raise HeaderProblem(f"{NOT_XLSX}: {broken_book(exc)}") from exc
    return _header_or_problem(chosen, spec, named)


def _choose(book: Book, matcher: HeaderMatcher, spec: SourceSpec):
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
            cands = _sheet_candidates(book.sheet(ws.title), matcher)
            filled = [c for c in cands if c.texts]  # a sheet of blank (formatted) rows is empty
            best_of[ws.title] = _best(filled) if filled else None
        return best_of[ws.title]

    if named is not None and (found := best(named)) is not None and found.complete:
        return found, named  # the template's sheet, as it should be: look no further
    visible = [ws for ws in sheets if ws.sheet_state == "visible"]
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
        raise empty_file(where)
    return max(ranked, key=lambda t: t[0])[1], named


def _header_or_problem(cand: _Candidate, spec: SourceSpec, named) -> XlsxHeader:
    where = f"лист «{cand.sheet}»"
    rows = f"строка {cand.first}" if cand.first == cand.last else f"строки {cand.first}–{cand.last}"
    hint = f" и что таблица на листе «{spec.sheet}»" if spec.sheet else ""
    problem = header_problem(
        cand.match,
        spec,
        duplicate_at=f"{where}, строка {cand.first}",
        missing_at=f"{where}, заголовок: {rows}",
        unrecognised_hint=f"{hint} (просмотрены первые {HEADER_SCAN_ROWS} строк, {where})",
    )
    if problem:
        raise problem
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
        mapping=cand.match.mapping,
        unknown=cand.match.unknown,
        sheet=cand.sheet,
        header_rows=(cand.first, last),
        spans=cand.spans,
        split_column=cand.split_column,
        notes=notes,
    )
