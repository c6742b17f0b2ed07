"""Typing and row checks of a chunk of raw text rows: types, ranges, allowed values, the
contract's row rules (`spec.row_rules`), ВПР task scores, pseudonymisation.

`parse_chunk` turns a frame of strings (columns as in the file, plus the readers' optional
`_note` / `_reject` columns) into the frame COPYed into the stage table: `source_row`, the
stored raw columns (as text in COPY form), `extra` (always NULL: unknown columns are not
stored, only their names are noted), `_reject_reason` (NULL, or the Russian reasons why the
row is quarantined) and `_note`. Personal columns are consumed here and never appear in the
output.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator

import numpy as np
import pandas as pd

from ingestion.pseudonymise import person_keys
from ingestion.read.header import FileHeader, csv_key, norm
from sources import (
    DATE,
    FLAG,
    INT,
    NUMBER,
    PERSONAL,
    SCHOOL_YEAR,
    TASKS,
    TEXT,
    SourceSpec,
    raw_columns,
)
from sources.vpr import NO_ANSWER

CHUNK_ROWS = 50_000  # rows read, parsed and COPYed at a time
NOTE_COLUMN = "_note"  # Russian notes on automatic corrections a reader made to the row
REJECT_COLUMN = "_reject"  # a reason the reader itself gives (e.g. an uncalculated formula)


class _Reasons:
    """Accumulates per-row Russian reasons, vectorised. A reason is built only for the rows
    it rejects (most chunks reject none)."""

    def __init__(self, index: pd.Index):
        self.text = pd.Series("", index=index, dtype=object)

    def add(self, mask: pd.Series, reason: str | pd.Series) -> None:
        mask = mask.fillna(False).astype(bool)
        if mask.any():
            self._append(mask, reason[mask] if isinstance(reason, pd.Series) else reason)

    def add_quoted(self, mask: pd.Series, prefix: str, values: pd.Series, suffix: str) -> None:
        """`prefix + value + suffix` for the rows of `mask` (the value quoted in the reason)."""
        mask = mask.fillna(False).astype(bool)
        if mask.any():
            self._append(mask, prefix + values[mask] + suffix)

    def _append(self, mask: pd.Series, add: str | pd.Series) -> None:
        current = self.text[mask]
        self.text.loc[mask] = np.where(current == "", add, current + "; " + add)

    def result(self) -> pd.Series:
        return self.text.where(self.text != "", None)


def _parse_number(values: pd.Series) -> pd.Series:
    """Numbers as people type them: spaces (also non-breaking) as thousands separators, a
    decimal comma. Plain numbers are parsed in one pass; only the values that fail are
    cleaned and parsed again (the result is the same as cleaning every value). A column
    with few distinct values (years, codes, scores) parses each distinct value once."""
    codes, distinct = pd.factorize(values.to_numpy(dtype=object))
    if len(distinct) * 4 <= len(values) and not (codes < 0).any():
        nums = _parse_numbers(pd.Series(distinct, dtype=values.dtype))
        return pd.Series(nums.to_numpy()[codes], index=values.index)
    return _parse_numbers(values)


def _parse_numbers(values: pd.Series) -> pd.Series:
    nums = pd.to_numeric(values.where(values != ""), errors="coerce")
    retry = nums.isna() & (values != "")
    if retry.any():
        cleaned = (
            values[retry]
            .str.replace("\u00a0", "", regex=False)
            .str.replace(" ", "", regex=False)
            .str.replace(",", ".", regex=False)
        )
        nums = nums.astype("float64")
        nums[retry] = pd.to_numeric(cleaned.where(cleaned != ""), errors="coerce")
    return nums


_EXCEL_NUMBER_CODE = re.compile(r"^(\d+)[.,]0+$")


def _clean_code(values: pd.Series) -> pd.Series:
    """Codes are text; Excel-style '270001.0' → '270001'. Computed once per distinct code
    (a chunk holds few schools and municipalities)."""
    cleaned = {v: _EXCEL_NUMBER_CODE.sub(r"\1", v.strip()) for v in values.unique()}
    return values.map(cleaned)


def _stripped(values: pd.Series) -> pd.Series:
    """`values.str.strip()`; a column with few distinct values (most of them: years, codes,
    stages, scores) strips each distinct value once."""
    distinct = values.unique()
    if len(distinct) * 4 > len(values):
        return values.str.strip()
    # a missing value (not a string) maps to missing, as str.strip gives it
    stripped = {v: v.strip() for v in distinct if isinstance(v, str)}
    return values.map(stripped).astype(values.dtype)


def _distinct(values: pd.Series, index: pd.Index):
    """(the distinct values of a column with few of them, a function spreading a result
    per distinct value over the rows of `index`), or (the column, identity) when most
    values are distinct."""
    codes, distinct = pd.factorize(values.to_numpy(dtype=object))
    if len(distinct) * 4 > len(values) or (codes < 0).any():
        return values, lambda result: result

    def rows(result: pd.Series) -> pd.Series:
        taken = result.to_numpy()[codes]
        return pd.Series(taken, index=index, dtype=object if taken.dtype == object else None)

    return pd.Series(distinct, dtype=values.dtype), rows


# the largest magnitude each integer storage type holds
_INT_LIMITS = {"integer": 2**31 - 1, "smallint": 2**15 - 1, "bigint": 2**63 - 1}


def _fmt_int(values: pd.Series) -> pd.Series:
    out = pd.Series(None, index=values.index, dtype=object)
    ok = values.notna()
    out[ok] = values[ok].astype("int64").astype(str)
    return out


def parse_chunk(
    raw: pd.DataFrame, header: FileHeader, spec: SourceSpec, secret: bytes
) -> pd.DataFrame:
    """Typed, checked, pseudonymised chunk (see module docstring)."""
    raw = raw.fillna("")
    reasons = _Reasons(raw.index)
    out = pd.DataFrame(index=raw.index)
    out["source_row"] = raw.index + 1  # 1-based data row (header excluded)
    by_contract = {c.header: fc for fc, c in header.mapping.items()}
    parsed: dict[str, pd.Series] = {}

    for col in spec.columns:
        if col.kind in (PERSONAL, TASKS):
            continue
        # every check below is per value: a column with few distinct values (most of them)
        # is checked once per distinct value and the results are spread over its rows
        values, rows = _distinct(_stripped(raw[by_contract[col.header]].astype(str)), raw.index)
        empty = values == ""
        label = f"«{col.header}»"

        def quoted(mask, prefix, suffix, values=values, rows=rows) -> None:
            reasons.add_quoted(rows(mask), prefix, rows(values), suffix)

        if col.required:
            reasons.add(rows(empty), f"{label}: не заполнено")
        if col.kind == TEXT:
            if col.name.endswith("_code") and col.name != "indicator_code":
                values = _clean_code(values)
            if col.allowed:
                canon = {csv_key(a): a for a in col.allowed}
                seen = {v: canon.get(csv_key(v)) for v in values.unique()}  # few distinct
                mapped = values.map(seen)
                bad = ~empty & mapped.isna()
                quoted(
                    bad,
                    f"{label}: недопустимое значение «",
                    "» (допустимо: " + ", ".join(col.allowed) + ")",
                    values=values,
                )
                values = mapped.where(~bad, values)
            parsed[col.name] = rows(values.where(~empty))
            out[col.name] = parsed[col.name]
        elif col.kind in (INT, NUMBER):
            nums = _parse_number(values)
            nums = nums.where(np.isfinite(nums.astype(float)))  # «inf», «Infinity»: no number
            bad = ~empty & nums.isna()
            quoted(bad, f"{label}: не число «", "»")
            if col.kind == INT:
                frac = ~empty & nums.notna() & (nums != np.floor(nums))
                quoted(frac, f"{label}: ожидается целое число, а не «", "»")
                nums = nums.where(~frac)
                # beyond what the raw column can store (integer / smallint): a row error, not a
                # failed COPY of the whole file or a silently wrapped value
                limit = _INT_LIMITS[col.sql_type or "integer"]
                huge = nums.notna() & (nums.abs() > limit)
                quoted(huge, f"{label}: значение «", "» вне допустимого диапазона")
                nums = nums.where(~huge)
            if col.lo is not None:
                quoted(nums < col.lo, f"{label}: значение «", f"» меньше {col.lo:g}")
            if col.hi is not None:
                quoted(nums > col.hi, f"{label}: значение «", f"» больше {col.hi:g}")
            if col.allowed:
                bad = nums.notna() & ~nums.isin(col.allowed)
                quoted(bad, f"{label}: недопустимое значение «", "»")
            parsed[col.name] = rows(nums)
            out[col.name] = rows(
                _fmt_int(nums)
                if col.kind == INT
                else nums.map(lambda v: None if pd.isna(v) else repr(float(v)))
            )
        elif col.kind == DATE:
            dates = pd.to_datetime(values.where(~empty), format="%d.%m.%Y", errors="coerce")
            bad = ~empty & dates.isna()
            quoted(bad, f"{label}: дата не в формате ДД.ММ.ГГГГ «", "»")
            parsed[col.name] = rows(dates)
            out[col.name] = rows(dates.dt.strftime("%Y-%m-%d").where(dates.notna(), None))
        elif col.kind == SCHOOL_YEAR:
            parts = values.str.replace(" ", "", regex=False).str.extract(r"^(\d{4})[/-](\d{4})$")
            first = pd.to_numeric(parts[0], errors="coerce")
            second = pd.to_numeric(parts[1], errors="coerce")
            bad = ~empty & (second.isna() | (second != first + 1))
            quoted(bad, f"{label}: ожидается вид 2023/2024, а не «", "»")
            ok = ~empty & ~bad
            text = first.astype("Int64").astype(str) + "/" + second.astype("Int64").astype(str)
            out[col.name] = rows(text.where(ok, None))
            parsed["year"] = rows(second.where(ok))
            out["year"] = rows(_fmt_int(second.where(ok)))
        elif col.kind == FLAG:
            bad = ~empty & ~values.isin(["0", "1"])
            quoted(bad, f"{label}: ожидается 1 или 0, а не «", "»")
            out[col.name] = rows(values.map({"1": "t", "0": "f"}))

    for name, value in spec.constant_values.items():
        out[name] = str(value)

    if "person_key" in raw_columns(spec.raw_table):
        _pseudonymise(raw, by_contract, out, reasons, secret)
    task_cols = [fc for fc, c in header.mapping.items() if c.kind == TASKS]
    if any(c.kind == TASKS for c in spec.columns):
        out["task_scores"] = _task_scores(raw, task_cols, reasons)
    for rule in spec.row_rules:
        rule(parsed, reasons.add)

    # Unknown extra columns are not stored (a supplier's extra «ФИО» must not leak into the
    # warehouse): their names are recorded in the file's audit entry (loader._header_notes).
    out["extra"] = None
    if REJECT_COLUMN in raw.columns:  # reasons the XLSX reader found (uncalculated formulas)
        reasons.add(raw[REJECT_COLUMN] != "", raw[REJECT_COLUMN])
    out["_reject_reason"] = reasons.result()
    note = raw[NOTE_COLUMN] if NOTE_COLUMN in raw.columns else None
    out["_note"] = None if note is None else note.where(note != "", None)
    return out


def _task_scores(raw: pd.DataFrame, task_cols: list[str], reasons: _Reasons) -> pd.Series:
    """ВПР per-task columns З1, З2, … → JSON {"З1": 1, "З2": null, …} (X/Х = no answer).

    The text is `json.dumps` of that dict, built per row until issue 8 (the tests keep that
    version as their reference): each column's distinct raw values are stripped and tested
    once, each distinct score becomes its `"key": value` fragment once, and a row's JSON
    joins its fragments (the per-row dict and dumps cost ~90 % of a ВПР file's parsing)."""
    if not task_cols:
        return pd.Series(None, index=raw.index, dtype=object)
    parsed = {}
    for fc in task_cols:
        values = _stripped(raw[fc].astype(str))
        cells, spread = _distinct(values, raw.index)
        blank = spread((cells == "") | cells.str.lower().isin(NO_ANSWER))
        nums = _parse_number(values.where(~blank, ""))
        bad = ~blank & (nums.isna() | (nums < 0))
        reasons.add_quoted(bad, f"«{norm(fc)}»: балл за задание не число ≥ 0 «", values, "»")
        parsed[norm(fc)] = nums.where(~bad)  # a repeated key: first place, last value (a dict)
    fragments = []
    for key, scores in parsed.items():
        prefix = json.dumps(key, ensure_ascii=False) + ": "
        codes, distinct = pd.factorize(scores)  # missing → -1 (the last fragment: null)
        texts = [prefix + _json_score(v) for v in distinct.tolist()] + [prefix + "null"]
        fragments.append(np.array(texts, dtype=object)[codes])
    joined = ["{" + ", ".join(row) + "}" for row in zip(*fragments, strict=True)]
    return pd.Series(joined, index=raw.index)


def _json_score(v) -> str:
    """A task score as json.dumps writes it in the row's dict (an integral score as int)."""
    return json.dumps(None if pd.isna(v) else (int(v) if v == int(v) else v), ensure_ascii=False)


def _person_keys(raw: pd.DataFrame, by_contract: dict, secret: bytes) -> np.ndarray:
    """person_key of each row (None where there is neither СНИЛС nor a document), computed
    once per distinct (СНИЛС, series, number): a person has several results in a file."""
    columns = []
    combined = np.zeros(len(raw), dtype=np.int64)
    for header in ("СНИЛС", "Серия документа", "Номер документа"):
        name = by_contract.get(header)
        if name is None:
            columns.append(None)
            continue
        values = raw[name].astype(str).to_numpy(dtype=object)
        codes, distinct = pd.factorize(values)
        combined = combined * max(len(distinct), 1) + codes  # < len(raw) ** 3: no overflow
        columns.append(values)
    codes, distinct = pd.factorize(combined)
    first = np.empty(len(distinct), dtype=np.int64)  # the first row of each distinct person
    first[codes[::-1]] = np.arange(len(raw) - 1, -1, -1)
    snils, series, numbers = (None if c is None else c[first].tolist() for c in columns)
    keys = person_keys(secret, snils, series, numbers)
    return np.array([k or None for k in keys], dtype=object)[codes]


def _pseudonymise(raw, by_contract, out, reasons, secret) -> None:
    def col(header: str) -> pd.Series:
        name = by_contract.get(header)
        return raw[name].astype(str) if name else pd.Series("", index=raw.index)

    snils = col("СНИЛС")
    out["person_key"] = pd.Series(
        _person_keys(raw, by_contract, secret), index=raw.index, dtype=object
    )
    with_documents = "Серия документа" in by_contract
    missing = out["person_key"].isna()
    if not missing.any():
        return
    snils = snils[missing]  # the reasons concern rows without a key only
    digits = snils.str.replace(r"\D+", "", regex=True)
    # a СНИЛС is 11 digits once spaces and hyphens are removed; anything else is not one
    # (the value itself is never quoted: it is personal data)
    malformed = (snils.str.strip() != "") & (
        (digits.str.len() != 11) | snils.str.contains(r"[^\d\s-]", regex=True)
    )
    malformed = malformed.reindex(raw.index, fill_value=False)
    reasons.add(
        missing & malformed,
        "«СНИЛС» не из 11 цифр, а серии и номера документа нет — участника нельзя идентифицировать"
        if with_documents
        else "«СНИЛС» не из 11 цифр — участника нельзя учесть (ученик считается по СНИЛС)",
    )
    reasons.add(
        missing & ~malformed,
        "нет ни СНИЛС, ни серии и номера документа — участника нельзя идентифицировать"
        if with_documents
        else "«СНИЛС»: не заполнен — участника нельзя учесть (ученик считается по СНИЛС)",
    )


def parsed_chunks(
    frames: Iterable[pd.DataFrame], header: FileHeader, spec: SourceSpec, secret: bytes
) -> Iterator[tuple[pd.DataFrame, int]]:
    """(parsed chunk, rows read in it) for each frame of raw rows; fully blank rows dropped."""
    for chunk in frames:
        blank = _blank_rows(chunk)
        if blank.any():
            chunk = chunk[~blank]
        if len(chunk):
            yield parse_chunk(chunk, header, spec, secret), len(chunk)


def _blank_rows(chunk: pd.DataFrame) -> pd.Series:
    """Rows whose every data cell is blank once stripped (empty or only whitespace:
    str.strip and str.isspace agree). Column by column, only the rows still blank so far
    are looked at (after the first column, usually none)."""
    blank = pd.Series(True, index=chunk.index)
    for col in chunk.columns:
        if col == NOTE_COLUMN:
            continue
        rows = blank[blank].index
        if not len(rows):
            break
        text = chunk.loc[rows, col].astype(str)
        blank.loc[rows] = ((text == "") | text.str.isspace()).to_numpy()
    return blank
