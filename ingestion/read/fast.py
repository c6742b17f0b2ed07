"""The columnar fast path of staging a CSV file (polars), with the pandas path as the
reference and the fallback.

`fast_chunks` yields what `parse.parsed_chunks(csv_frames(...))` yields — the same rows,
the same COPY text byte for byte, the same chunks but at the end of a file — and computes
a clean chunk in columns:

- The file is read in blocks of complete lines (memory does not grow with the file):
  `chunk_rows` lines per chunk, in parts of PART_ROWS lines, after the header line; the
  end of the file in shrinking chunks, down to TAIL_ROWS lines (the last chunk's COPY is
  what no parsing overlaps). A Windows-1251 block is decoded in Python and re-encoded to
  UTF-8 (polars reads UTF-8 only), CRLF turned into LF, a UTF-8 BOM skipped with the
  header line.
- A block is *regular* when each line is one row as pandas' C parser would read it: no
  quote mark, no empty line, no lone CR, no NUL, no backslash or tab (values needing COPY
  escaping) and exactly as many «;» per line as the header has. Only then is it split by
  polars (all columns strings, empty stays empty). Pandas numbers such rows exactly like
  the lines, so chunk boundaries and `source_row` agree.
- Each column is typed and checked once per DISTINCT raw value (remembered for the file:
  years, codes, stages and scores recur in every part), with the same pandas code as
  `parse.parse_chunk` (strip, code cleaning, allowed values by `csv_key`, numbers, dates,
  flags, school years), and spread over the rows by polars. The contract's row rules run
  on the typed columns as pandas series, as in `parse_chunk`. person_key is the same HMAC:
  of a plain 11-digit СНИЛС in Rust (`pseudonymise.keyed_hashes`), of anything else
  through `pseudonymise.person_keys` once per distinct (СНИЛС, series, number) of a part.
- A row with anything to reject or note (any reason at all: a Russian message is only
  ever built by the pandas path) goes through `parse_chunk`, with the chunk's other such
  rows, as the pandas frame of strings `read_csv` gives (same index); its output is put in
  its place among the fast rows. If a block is not regular, the rest of the file is read
  by pandas (`csv_frames`, the rows already staged skipped), so quoting, blank lines
  and field-count errors (with pandas' own error text) are pandas'.
- The COPY text of a fast chunk is written by polars as UTF-8 bytes (`FastChunk.copy_bytes`;
  the loader calls it in its COPY thread and sends the bytes as they are).

Sources with ВПР task columns (TASKS) stay on the pandas path; XLSX never comes here.
`EDU_DWH_FAST_CSV=0` turns the fast path off (everything through pandas).
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import polars as pl

from ingestion.pseudonymise import keyed_hashes, person_keys
from ingestion.read.csv import csv_frames
from ingestion.read.header import FileHeader, csv_key
from ingestion.read.parse import (
    _INT_LIMITS,
    _clean_code,
    _fmt_int,
    _parse_number,
    parsed_chunks,
)
from sources import (
    DATE,
    FLAG,
    INT,
    NUMBER,
    PERSONAL,
    SCHOOL_YEAR,
    TEXT,
    SourceSpec,
    raw_columns,
)

FAST_ENV = "EDU_DWH_FAST_CSV"  # "0": every CSV through the pandas path
_KINDS = {TEXT, INT, NUMBER, DATE, FLAG, PERSONAL, SCHOOL_YEAR}
# a chunk is computed in parts of at most this many rows: the working memory of polars and
# of the allocators grows with the rows handled at once, each part has a fixed cost. With
# the person keys in Rust, 50,000 (a whole chunk) against 12,500: a 2 M-row ЕГЭ file read
# and written as COPY text in 8.4 s against 11.1 s, peak RSS 319 against 298 MiB (200k
# rows: 313 against 289 MiB) — still the same for any size of file
PART_ROWS = 50_000
_HEADER_LIMIT = 1 << 20  # a longer first line (or one without a line feed): pandas reads
_NULL = "\\N"
_PERSON_HEADERS = ("СНИЛС", "Серия документа", "Номер документа")


def fast_enabled() -> bool:
    return os.environ.get(FAST_ENV, "1").strip() != "0"


def fast_supported(spec: SourceSpec, header: FileHeader) -> bool:
    """Whether a CSV file of `spec` with `header` may take the fast path at all."""
    return (
        header.encoding in ("utf-8", "utf-8-sig", "cp1251")
        and all(c.kind in _KINDS for c in spec.columns)
        and len(set(header.columns)) == len(header.columns)
        and all(c.name for c in spec.columns if c.kind != PERSONAL)
    )


class FastChunk:
    """A clean parsed chunk as polars columns (all text, NULL = null): the columns of the
    frame `parse_chunk` would give, in its order, and their COPY text."""

    def __init__(self, frame: pl.DataFrame):
        self.frame = frame
        self.columns = list(frame.columns)

    def __len__(self) -> int:
        return self.frame.height

    def copy_text(self, load_id: int) -> str:
        """`loader.copy_text(parse_chunk(...), load_id)` of the same rows."""
        return self.copy_bytes(load_id).decode("utf-8")

    def copy_bytes(self, load_id: int) -> bytes:
        """`copy_text` as UTF-8 bytes, as polars writes them: what the loader sends (no
        str made and encoded again: 0.3 → 0.07 s per 200k ЕГЭ rows, with the GIL held)."""
        if not self.frame.height:
            return b""
        out = self.frame.select(pl.lit(str(int(load_id))).alias("__load_id"), pl.all())
        buf = io.BytesIO()
        out.write_csv(
            buf,
            separator="\t",
            include_header=False,
            null_value=_NULL,
            quote_style="never",
            line_terminator="\n",
        )
        return buf.getvalue()


# ---------------------------------------------------------------------------------------
# reading blocks of lines


_READ_BYTES = 1 << 23  # the file is read in blocks of this many bytes
# The end of a file is staged in shrinking chunks, halved down to about this many rows: the
# COPY of the last chunk is the one thing no parsing overlaps (the server stores it after
# the file is parsed), so it should be small — 50,000 rows of ЕГЭ take the server
# 0.13–0.2 s; a part has a fixed cost of its own, so not smaller than this
TAIL_ROWS = 5_000


def _line_blocks(
    path: Path, encoding: str, chunk_rows: int
) -> Iterator[tuple[bytes, int, bool, bool]]:
    """(block, its lines, whether it ends a chunk, whether one of its lines is empty: only
    a line feed): the data lines after the header line as UTF-8 bytes, in chunks of
    `chunk_rows` lines (at the end of the file fewer: `_chunk_lines`) in blocks of at most
    PART_ROWS lines (the last block may be shorter and gets a final line feed). Lines end
    at b"\n" as the lines of a file opened in binary mode do; the file is read in large
    blocks and the line feeds found by numpy (no Python work per line; an empty line is
    two line feeds in a row, found among their positions)."""
    part_rows = min(chunk_rows, PART_ROWS)
    with open(path, "rb") as fh:
        fh.readline()  # the header line (a BOM with it)
        size = os.fstat(fh.fileno()).st_size
        offset = fh.tell()  # where `rest` begins in the file
        left = 0  # lines still to give out in this chunk (0: a new chunk begins)
        rest = b""  # read, not yet given out
        ends = np.empty(0, dtype=np.int64)  # where its line feeds are
        eof = False
        while True:
            want = min(left or chunk_rows, part_rows)
            while len(ends) < want and not eof:
                more = fh.read(_READ_BYTES)
                if not more:
                    eof = True
                    break
                found = np.flatnonzero(np.frombuffer(more, dtype=np.uint8) == 10)
                ends = np.concatenate([ends, found + len(rest)])
                rest += more
            if not left:
                left = _chunk_lines(chunk_rows, size - offset, ends)
                want = min(left, part_rows)
            if len(ends) >= want:
                cut, lines = int(ends[want - 1]) + 1, want
            elif rest:  # the end of the file: its last line may have no line feed
                cut, lines = len(rest), len(ends) + (not rest.endswith(b"\n"))
            else:
                return
            block, rest = rest[:cut], rest[cut:]
            offset += cut
            mine = ends[:lines]  # a line that is only a line feed: one right after another
            empty = bool(len(mine)) and (mine[0] == 0 or bool((np.diff(mine) == 1).any()))
            ends = ends[lines:] - cut if len(ends) > lines else np.empty(0, dtype=np.int64)
            left -= lines
            yield utf8_block(block, encoding), lines, not left, empty


def _chunk_lines(chunk_rows: int, left_bytes: int, ends: np.ndarray) -> int:
    """Lines in the next chunk: `chunk_rows`, but when the rest of the file (`left_bytes`,
    its line length guessed from the line feeds read ahead, `ends`) looks like one chunk
    or less and at least 2 × TAIL_ROWS lines, half of it — the chunks shrink towards the
    end. A wrong guess only moves chunk boundaries (the rows are the same)."""
    if chunk_rows < 2 * TAIL_ROWS or not len(ends):
        return chunk_rows
    expected = left_bytes * len(ends) / (int(ends[-1]) + 1)
    if expected > chunk_rows or expected < 2 * TAIL_ROWS:
        return chunk_rows
    return max(TAIL_ROWS, int(expected) // 2)


def utf8_block(block: bytes, encoding: str) -> bytes:
    """A block of lines as UTF-8 with a final line feed (polars reads UTF-8 only)."""
    if not block.endswith(b"\n"):
        block += b"\n"
    if encoding == "cp1251":
        block = block.decode("cp1251").encode("utf-8")
    return block


def _regular(block: bytes, lines: int, n_columns: int, empty: bool) -> bytes | None:
    """The block (of `lines` line feeds; `empty`: one of them is only a line feed) with LF
    line ends if each of its lines is one row with `n_columns` fields as pandas would read
    it (see module docstring), else None."""
    if empty:
        return None
    if b"\r" in block:
        block = block.replace(b"\r\n", b"\n")
        if b"\r" in block:
            return None
        if block.startswith(b"\n") or b"\n\n" in block:  # an empty line ended by CRLF
            return None
    if any(c in block for c in (b'"', b"\\", b"\t", b"\0")):
        return None
    # as many «;» as the header asks for in all; a line with more is an error of polars'
    # reader (`_read`), so no line has fewer either
    if block.count(b";") != lines * (n_columns - 1):
        return None
    return block


def fast_chunks(
    path: Path, header: FileHeader, spec: SourceSpec, secret: bytes, chunk_rows: int
) -> Iterator[tuple[pd.DataFrame | FastChunk, int]]:
    """(chunk, rows read in it) as `parsed_chunks(csv_frames(...))` gives them; a chunk
    is a `FastChunk` where the fast path computed it, else a pandas frame."""
    columns = header.columns
    names = [f"c{i}" for i in range(len(columns))]
    start = 0  # rows read so far
    chunk_start = 0  # rows of the chunks given out so far
    with open(path, "rb") as fh:
        first = fh.readline(_HEADER_LIMIT)
    # a quoted header may span lines, a lone CR ends lines for pandas too: pandas reads it
    line = first[:-1].removesuffix(b"\r") if first.endswith(b"\n") else None
    if line is None or b'"' in line or b"\r" in line:
        yield from parsed_chunks(csv_frames(path, header, chunk_rows), header, spec, secret)
        return
    parts: list[tuple[FastChunk, np.ndarray, pl.DataFrame]] = []  # of the chunk being read
    memo: dict = {}  # per stored column: raw value → what _column made of it
    for block, lines, chunk_end, empty in _line_blocks(path, header.encoding, chunk_rows):
        data = _regular(block, lines, len(columns), empty)
        if data is None:
            break
        raw = _read(data, names)
        if raw is None or raw.height != lines:
            break
        fast, bad = _parse_fast(raw, names, start, header, spec, secret, memo)
        parts.append((fast, bad, raw.filter(pl.Series(bad)) if bad.any() else None))
        start += raw.height
        if chunk_end:
            chunk = _joined(parts, names, header, spec, secret)
            if chunk is False:
                break
            yield from chunk
            parts = []
            chunk_start = start
    else:
        chunk = _joined(parts, names, header, spec, secret)
        if chunk is not False:
            yield from chunk
            return
    # the rest of the file is not plain lines: pandas reads it (the staged rows skipped)
    frames = csv_frames(path, header, chunk_rows)
    yield from parsed_chunks(_rows_from(frames, chunk_start), header, spec, secret)


def _rows_from(frames: Iterator[pd.DataFrame], first: int) -> Iterator[pd.DataFrame]:
    """The frames of `csv_frames` from row `first` on. Up to there the file was plain
    lines, which pandas numbers as the lines (the frames' index), so `first` is the first
    line the fast path did not stage; a chunk boundary of the pandas path unless the end
    of the file was staged in smaller chunks (`_chunk_lines`)."""
    for frame in frames:
        if len(frame) and frame.index[-1] >= first:
            yield frame.iloc[max(0, first - frame.index[0]) :]


def _read(data: bytes, names: list[str]) -> pl.DataFrame | None:
    """A regular block as columns of strings (None: a line has too many fields)."""
    try:
        return pl.read_csv(
            data,
            has_header=False,
            separator=";",
            quote_char=None,
            new_columns=names,
            schema={n: pl.String for n in names},
            empty_string_is_null=False,
            eol_char="\n",
        )
    except pl.exceptions.ComputeError:
        return None


# ---------------------------------------------------------------------------------------
# one regular chunk


def _frame(raw: pl.DataFrame, names: list[str], columns: list[str], index) -> pd.DataFrame:
    """Rows of `raw` as the frame of strings `csv_frames` gives for them."""
    return pd.DataFrame(
        {col: raw[n].to_list() for col, n in zip(columns, names, strict=True)},
        index=pd.Index(index),
        dtype="str",
    )


def _joined(parts: list, names: list[str], header: FileHeader, spec: SourceSpec, secret: bytes):
    """The chunk of its parts as [(FastChunk, rows read)] (none when every row was blank,
    as parsed_chunks gives), or False to leave the chunk to pandas. Rows with anything to
    reject or note go through one `parse_chunk` (their reasons in its words), the rest
    were computed in columns; merged in row order."""
    if not parts:
        return []
    fast = FastChunk(pl.concat([p.frame for p, _, _ in parts]))
    bad = np.concatenate([b for _, b, _ in parts])
    start = int(fast.frame["source_row"][0]) - 1
    if not bad.any():
        return [(fast, len(fast))]
    rows = np.flatnonzero(bad)
    raw = pl.concat([r for _, _, r in parts if r is not None])
    frame = _frame(raw, names, header.columns, start + rows)
    slow = list(parsed_chunks([frame], header, spec, secret))
    merged = _merge(fast, bad, slow, start)
    if merged is None:  # values the fast frame cannot hold
        return False
    if not len(merged):
        return []
    return [(merged, int((~bad).sum()) + sum(k for _, k in slow))]


def _merge(fast: FastChunk, bad: np.ndarray, slow: list, start: int) -> FastChunk | None:
    """The fast chunk with the rows `parse_chunk` gave (`slow`) put in their places; rows
    it dropped (blank) dropped."""
    if not slow:
        return FastChunk(fast.frame.filter(pl.Series(~bad)))
    ((out, _),) = slow
    if list(out.columns) != fast.columns:
        return None
    at = pl.Series(out["source_row"].to_numpy() - 1 - start)
    columns = [fast.frame["source_row"]]
    for name in fast.columns[1:]:
        text = []
        for v in out[name].tolist():
            if isinstance(v, str):
                text.append(v)
            elif v is None or (isinstance(v, float) and v != v):
                text.append(None)
            else:  # not text: copy_text would write str(value) — leave it to pandas
                return None
        column = fast.frame[name].clone()
        column.scatter(at, pl.Series(text, dtype=pl.String))
        columns.append(column)
    frame = pl.DataFrame(columns)
    if len(out) < bad.sum():  # blank rows dropped by parsed_chunks
        keep = ~bad
        keep[at.to_numpy()] = True
        frame = frame.filter(pl.Series(keep))
    return FastChunk(frame)


# ---------------------------------------------------------------------------------------
# typing and checking per distinct value (the pandas code of parse_chunk)


def _column(col, values: pd.Series) -> tuple[dict, np.ndarray]:
    """({output column: (COPY text per value or NaN/None, parsed value or None)}, which
    values have a reason) for the distinct stripped `values` of a column. The text of a
    value with a reason is not used (its rows go through parse_chunk)."""
    empty = values == ""
    bad = empty.to_numpy(copy=True) if col.required else np.zeros(len(values), dtype=bool)
    if col.kind == TEXT:
        if col.name.endswith("_code") and col.name != "indicator_code":
            values = _clean_code(values)
        if col.allowed:
            canon = {csv_key(a): a for a in col.allowed}
            mapped = values.map({v: canon.get(csv_key(v)) for v in values.unique()})
            bad |= (~empty & mapped.isna()).to_numpy()
            values = mapped.where(~empty, values)
        parsed = values.where(~empty)
        return {col.name: (parsed, parsed)}, bad
    if col.kind in (INT, NUMBER):
        # beyond float precision: pandas decides such a value in its own rows
        bad |= (values.str.count(r"\d") > 15).to_numpy()
        nums = _parse_number(values.where(~pd.Series(bad, index=values.index), ""))
        nums = nums.where(np.isfinite(nums.astype(float)))
        wrong = ~empty & nums.isna()
        if col.kind == INT:
            wrong |= nums.notna() & (nums != np.floor(nums))
            wrong |= nums.notna() & (nums.abs() > _INT_LIMITS[col.sql_type or "integer"])
        if col.lo is not None:
            wrong |= nums < col.lo
        if col.hi is not None:
            wrong |= nums > col.hi
        if col.allowed:
            wrong |= nums.notna() & ~nums.isin(col.allowed)
        bad |= wrong.fillna(False).astype(bool).to_numpy()
        nums = nums.where(~pd.Series(bad, index=values.index))
        text = (
            _fmt_int(nums)
            if col.kind == INT
            else nums.map(lambda v: None if pd.isna(v) else repr(float(v)))
        )
        return {col.name: (text, nums)}, bad
    if col.kind == DATE:
        dates = pd.to_datetime(values.where(~empty), format="%d.%m.%Y", errors="coerce")
        bad |= (~empty & dates.isna()).to_numpy()
        return {col.name: (dates.dt.strftime("%Y-%m-%d").where(dates.notna(), None), dates)}, bad
    if col.kind == SCHOOL_YEAR:
        parts = values.str.replace(" ", "", regex=False).str.extract(r"^(\d{4})[/-](\d{4})$")
        first = pd.to_numeric(parts[0], errors="coerce")
        second = pd.to_numeric(parts[1], errors="coerce")
        wrong = ~empty & (second.isna() | (second != first + 1))
        bad |= wrong.to_numpy()
        ok = ~empty & ~wrong
        text = first.astype("Int64").astype(str) + "/" + second.astype("Int64").astype(str)
        return {
            col.name: (text.where(ok, None), None),
            "year": (_fmt_int(second.where(ok)), second.where(ok)),
        }, bad
    if col.kind == FLAG:
        bad |= (~empty & ~values.isin(["0", "1"])).to_numpy()
        return {col.name: (values.map({"1": "t", "0": "f"}), None)}, bad
    return {}, np.ones(len(values), dtype=bool)  # a kind the fast path does not know


_MEMO_LIMIT = 100_000  # values remembered per column (memory stays bounded)


def _column_memo(seen: dict, col, distinct: list[str]) -> tuple[dict, np.ndarray]:
    """`_column` of the distinct raw values of a part, each value computed once per file
    (the same values recur in every part: years, codes, stages, scores): ({output column:
    (COPY text per value, parsed values as a series or None)}, which values have a
    reason)."""
    new = [v for v in distinct if v not in seen]
    if new and len(seen) + len(new) > _MEMO_LIMIT:
        seen.clear()
        new = list(distinct)
    if new:
        results, bad = _column(col, pd.Series([v.strip() for v in new], dtype="str"))
        made = {
            name: (_text_values(text), None if value is None else value.tolist())
            for name, (text, value) in results.items()
        }
        for j, v in enumerate(new):
            seen[v] = (
                bool(bad[j]),
                {name: (t[j], None if p is None else p[j]) for name, (t, p) in made.items()},
            )
    entries = [seen[v] for v in distinct]
    bad = np.fromiter((e[0] for e in entries), dtype=bool, count=len(entries))
    out = {}
    for name in entries[0][1]:
        text = [e[1][name][0] for e in entries]
        # no parsed value: a flag, a school year's text (as _column gives)
        has_value = not (col.kind == FLAG or (col.kind == SCHOOL_YEAR and name == col.name))
        value = pd.Series([e[1][name][1] for e in entries]) if has_value else None
        out[name] = (text, value)
    return out, bad


def _text_values(series: pd.Series) -> list[str | None]:
    return [v if isinstance(v, str) else None for v in series.tolist()]


def _parse_fast(
    raw: pl.DataFrame,
    names: list[str],
    start: int,
    header: FileHeader,
    spec: SourceSpec,
    secret: bytes,
    memo: dict,
) -> tuple[FastChunk, np.ndarray]:
    """(the chunk computed in columns, the rows to leave to parse_chunk: every row with
    anything to reject or note). The fast chunk's values of those rows are not used.
    `memo`: what each column's distinct values gave so far in this file."""
    n = raw.height
    file_name = dict(zip(header.columns, names, strict=True))
    by_contract = {c.header: file_name[fc] for fc, c in header.mapping.items()}
    index = pd.RangeIndex(start, start + n)
    out: dict[str, pl.Series] = {"source_row": pl.int_range(start + 1, start + n + 1, eager=True)}
    parsed: dict[str, pd.Series] = {}
    # a row whose every cell is blank is dropped by the pandas path (its first cell is)
    bad = _blank_first(raw[names[0]])
    stored = [c for c in spec.columns if c.kind != PERSONAL]
    used = [by_contract[c.header] for c in stored]
    # the distinct values of each column, then each row's index among them (one query each)
    distincts = raw.select([pl.col(u).unique(maintain_order=True).implode() for u in used]).row(0)
    codes_frame = raw.select(
        [
            pl.col(u).cast(pl.Enum(d)).to_physical().alias(f"k{i}")
            for i, (u, d) in enumerate(zip(used, distincts, strict=True))
        ]
    )
    for i, (col, distinct) in enumerate(zip(stored, distincts, strict=True)):
        results, bad_values = _column_memo(memo.setdefault(i, {}), col, distinct)
        codes_series = codes_frame[f"k{i}"]
        codes = codes_series.to_numpy()
        if bad_values.any():
            bad |= bad_values[codes]
        for name, (text, value) in results.items():
            out[name] = pl.Series(text, dtype=pl.String).gather(codes_series)
            if value is not None:
                parsed[name] = _spread(value, codes, index)
    for name, value in spec.constant_values.items():
        out[name] = pl.repeat(str(value), n, dtype=pl.String, eager=True)
    if "person_key" in raw_columns(spec.raw_table):
        out["person_key"] = _person_keys(raw, by_contract, secret)
        bad |= out["person_key"].is_null().to_numpy()

    def reject(mask, _reason) -> None:
        nonlocal bad
        bad |= mask.fillna(False).astype(bool).to_numpy()

    for rule in spec.row_rules:
        rule(parsed, reject)
    for name in ("extra", "_reject_reason", "_note"):
        out[name] = pl.repeat(None, n, dtype=pl.String, eager=True)
    return FastChunk(pl.DataFrame([s.alias(k) for k, s in out.items()])), bad


def _spread(value: pd.Series, codes: np.ndarray, index: pd.RangeIndex) -> pd.Series:
    """The parsed values of a column's distinct values (`value`) over its rows (`codes`),
    for the row rules: numbers and dates as they are; text as a categorical of its
    distinct values (missing ones NaN), on which the rules' comparisons with a constant,
    isna, isin and .str give what they give on the strings, computed per distinct value
    (object strings: a Python comparison per row, 0.1 s per 200k ЕГЭ rows)."""
    if value.dtype.kind in "biufmM":
        return pd.Series(value.to_numpy()[codes], index=index)
    found, categories = pd.factorize(value.to_numpy(dtype=object))  # a missing value: -1
    return pd.Series(pd.Categorical.from_codes(found[codes], categories), index=index)


def _blank_first(first: pl.Series) -> np.ndarray:
    """Rows whose first cell is blank (empty or only whitespace, as str.isspace says)."""
    blank = [v for v in first.unique().to_list() if v == "" or v.isspace()]
    if not blank:
        return np.zeros(first.len(), dtype=bool)
    return first.is_in(pl.Series(blank, dtype=pl.String).implode()).to_numpy()


def _person_keys(raw: pl.DataFrame, by_contract: dict, secret: bytes) -> pl.Series:
    """person_key per row (null where there is none: the pandas path gives the row a
    reason), as parse._person_keys gives it. A СНИЛС that is 11 digits once its spaces and
    hyphens are removed (so it held nothing else) is what normalise_snils makes of it, its
    own basis: those are hashed in Rust (`keyed_hashes`), every row, with no Python per
    row. The rest (no СНИЛС, a document instead, anything odd) goes through person_keys,
    which normalises it, once per distinct (СНИЛС, series, number)."""
    present = [by_contract.get(h) for h in _PERSON_HEADERS]
    if not present[0]:
        snils = pl.repeat("", raw.height, dtype=pl.String, eager=True)
    else:
        snils = raw[present[0]]
    digits = snils.str.replace_all(" ", "", literal=True).str.replace_all("-", "", literal=True)
    plain = digits.str.contains(r"^[0-9]{11}$").fill_null(False)
    if plain.all():
        return keyed_hashes(secret, digits)
    keys = keyed_hashes(secret, digits.set(~plain, None))
    other = np.flatnonzero(~plain.to_numpy())
    columns = [
        raw[c][other] if c else pl.repeat("", len(other), dtype=pl.String, eager=True)
        for c in present
    ]
    people = pl.DataFrame([c.alias(f"p{i}") for i, c in enumerate(columns)])
    distinct = people.unique(maintain_order=True)
    found = person_keys(
        secret,
        distinct["p0"].to_list(),
        distinct["p1"].to_list() if present[1] else None,
        distinct["p2"].to_list() if present[2] else None,
    )
    distinct = distinct.with_columns(pl.Series("k", [k or None for k in found], dtype=pl.String))
    found_keys = people.join(distinct, on=["p0", "p1", "p2"], how="left", maintain_order="left")
    return keys.scatter(other, found_keys["k"])
