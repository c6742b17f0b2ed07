"""Read a landing CSV in chunks: header check, type parsing, row checks, pseudonymisation.

Yields pandas DataFrames whose columns are ready for COPY into the stage table:
`source_row`, the stored raw columns (as text in COPY form), `extra` (always NULL: unknown
columns are not stored, only their names are noted) and `_reject_reason` (NULL, or the
Russian reasons why the row is quarantined).
Personal columns are consumed here and never appear in the output.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ingestion.encoding import detect_encoding
from ingestion.pseudonymise import person_keys
from sources import (
    DATE,
    FLAG,
    INT,
    NUMBER,
    PERSONAL,
    SCHOOL_YEAR,
    TASKS,
    TEXT,
    Column,
    SourceSpec,
    raw_columns,
)
from sources.vpr import NO_ANSWER, TASK_HEADER

CHUNK_ROWS = 50_000


class HeaderProblem(ValueError):
    """The header does not match the contract."""


def _norm(text: str) -> str:
    return " ".join(str(text).replace("\ufeff", "").replace("ё", "е").replace("Ё", "Е").split())


def _norm_value(text: str) -> str:
    return _norm(text).lower()


@dataclass
class FileHeader:
    encoding: str
    columns: list[str]  # as in the file
    mapping: dict[str, Column]  # file column → contract column
    unknown: list[str]


def read_header(path: Path, spec: SourceSpec) -> FileHeader:
    if path.suffix.lower() == ".xlsx":
        from ingestion.xlsx import read_xlsx_header

        return read_xlsx_header(path, spec)
    encoding = detect_encoding(path)
    with open(path, encoding=encoding, newline="") as fh:
        first = fh.readline()
    if not first.strip():
        raise HeaderProblem("файл пуст: нет строки заголовка")
    header = next(csv.reader([first], delimiter=";"))
    if len(header) == 1 and ("," in first or "\t" in first):
        raise HeaderProblem(
            "разделитель столбцов не «;» (ожидается точка с запятой, как в выгрузках ФИС)"
        )
    return match_header(header, spec, encoding)


def match_header(header: list[str], spec: SourceSpec, encoding: str) -> FileHeader:
    """Map a file's header to the contract; raise HeaderProblem naming what is wrong."""
    by_norm = {_norm(c.header).lower(): c for c in spec.columns if c.kind != TASKS}
    tasks = next((c for c in spec.columns if c.kind == TASKS), None)
    mapping: dict[str, Column] = {}
    unknown: list[str] = []
    seen: set[str] = set()
    for col in header:
        key = _norm(col).lower()
        if key and key in seen:
            raise HeaderProblem(f"столбец «{_norm(col)}» встречается в заголовке дважды")
        seen.add(key)
        if key in by_norm:
            mapping[col] = by_norm[key]
        elif tasks is not None and TASK_HEADER.match(_norm(col)):
            mapping[col] = tasks
        elif key:
            unknown.append(_norm(col))
    present = {c.header for c in mapping.values()}
    missing = [c.header for c in spec.columns if c.header not in present and c.kind != TASKS]
    if missing:
        msg = "в заголовке нет обязательных столбцов: " + ", ".join(f"«{m}»" for m in missing)
        msg += unknown_names_note(unknown, recognised=bool(mapping))
        if not mapping:
            msg += (
                f". Заголовок не распознан ни по одному столбцу — проверьте, что это файл "
                f"«{spec.title_ru}» и что кодировка Windows-1251 или UTF-8 "
                f"(прочитан как {encoding})"
            )
        raise HeaderProblem(msg)
    return FileHeader(encoding, header, mapping, unknown)


_DATA_LIKE = re.compile(r"\d{3}|@|^\s*[\d\s.,:/-]+\s*$")


def unknown_names_note(unknown: list[str], recognised: bool) -> str:
    """'; неизвестные столбцы: …' for a header problem — quoting only what looks like a
    column name. A first row that is data (no contract column recognised, or cells with
    numbers: СНИЛС, document numbers, dates) is never quoted: it may be personal data."""
    if not unknown:
        return ""
    if not recognised:
        return "; первая строка не похожа на заголовок (возможно, строка заголовка пропущена)"
    names = [u for u in unknown if not _DATA_LIKE.search(u) and len(u) <= 80]
    hidden = len(unknown) - len(names)
    note = "; неизвестные столбцы: " + ", ".join(f"«{u}»" for u in names) if names else ""
    if hidden:
        note += f"; ещё {hidden} ячеек заголовка похожи на данные (значения не приводятся)"
    return note


class _Reasons:
    """Accumulates per-row Russian reasons, vectorised."""

    def __init__(self, index: pd.Index):
        self.text = pd.Series("", index=index, dtype=object)

    def add(self, mask: pd.Series, reason: str | pd.Series) -> None:
        mask = mask.fillna(False).astype(bool)
        if not mask.any():
            return
        add = reason[mask] if isinstance(reason, pd.Series) else reason
        current = self.text[mask]
        self.text.loc[mask] = np.where(current == "", add, current + "; " + add)

    def result(self) -> pd.Series:
        return self.text.where(self.text != "", None)


def _parse_number(values: pd.Series) -> pd.Series:
    cleaned = (
        values.str.replace("\u00a0", "", regex=False)
        .str.replace(" ", "", regex=False)
        .str.replace(",", ".", regex=False)
    )
    return pd.to_numeric(cleaned.where(cleaned != ""), errors="coerce")


def _clean_code(values: pd.Series) -> pd.Series:
    """Codes are text; Excel-style '270001.0' → '270001'."""
    return values.str.strip().str.replace(r"^(\d+)[.,]0+$", r"\1", regex=True)


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
        values = raw[by_contract[col.header]].astype(str).str.strip()
        empty = values == ""
        label = f"«{col.header}»"
        if col.required:
            reasons.add(empty, f"{label}: не заполнено")
        if col.kind == TEXT:
            if col.name.endswith("_code") and col.name != "indicator_code":
                values = _clean_code(values)
            if col.allowed:
                canon = {_norm_value(a): a for a in col.allowed}
                mapped = values.map(lambda v, canon=canon: canon.get(_norm_value(v)))
                bad = ~empty & mapped.isna()
                reasons.add(
                    bad,
                    f"{label}: недопустимое значение «"
                    + values
                    + "» (допустимо: "
                    + ", ".join(col.allowed)
                    + ")",
                )
                values = mapped.where(~bad, values)
            parsed[col.name] = values.where(~empty)
            out[col.name] = parsed[col.name]
        elif col.kind in (INT, NUMBER):
            nums = _parse_number(values)
            bad = ~empty & nums.isna()
            reasons.add(bad, f"{label}: не число «" + values + "»")
            if col.kind == INT:
                frac = ~empty & nums.notna() & (nums != np.floor(nums))
                reasons.add(frac, f"{label}: ожидается целое число, а не «" + values + "»")
                nums = nums.where(~frac)
            if col.lo is not None:
                reasons.add(nums < col.lo, f"{label}: значение «" + values + f"» меньше {col.lo:g}")
            if col.hi is not None:
                reasons.add(nums > col.hi, f"{label}: значение «" + values + f"» больше {col.hi:g}")
            if col.allowed:
                bad = nums.notna() & ~nums.isin(col.allowed)
                reasons.add(bad, f"{label}: недопустимое значение «" + values + "»")
            parsed[col.name] = nums
            out[col.name] = (
                _fmt_int(nums)
                if col.kind == INT
                else nums.map(lambda v: None if pd.isna(v) else repr(float(v)))
            )
        elif col.kind == DATE:
            dates = pd.to_datetime(values.where(~empty), format="%d.%m.%Y", errors="coerce")
            bad = ~empty & dates.isna()
            reasons.add(bad, f"{label}: дата не в формате ДД.ММ.ГГГГ «" + values + "»")
            parsed[col.name] = dates
            out[col.name] = dates.dt.strftime("%Y-%m-%d").where(dates.notna(), None)
        elif col.kind == SCHOOL_YEAR:
            parts = values.str.replace(" ", "", regex=False).str.extract(r"^(\d{4})[/-](\d{4})$")
            first = pd.to_numeric(parts[0], errors="coerce")
            second = pd.to_numeric(parts[1], errors="coerce")
            bad = ~empty & (second.isna() | (second != first + 1))
            reasons.add(bad, f"{label}: ожидается вид 2023/2024, а не «" + values + "»")
            ok = ~empty & ~bad
            out[col.name] = (
                first.astype("Int64").astype(str) + "/" + second.astype("Int64").astype(str)
            ).where(ok, None)
            parsed["year"] = second.where(ok)
            out["year"] = _fmt_int(parsed["year"])
        elif col.kind == FLAG:
            bad = ~empty & ~values.isin(["0", "1"])
            reasons.add(bad, f"{label}: ожидается 1 или 0, а не «" + values + "»")
            out[col.name] = values.map({"1": "t", "0": "f"})

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
    if "_reject" in raw.columns:  # reasons the XLSX reader found (e.g. uncalculated formulas)
        reasons.add(raw["_reject"] != "", raw["_reject"])
    out["_reject_reason"] = reasons.result()
    note = raw["_note"] if "_note" in raw.columns else None
    out["_note"] = None if note is None else note.where(note != "", None)
    return out


def _task_scores(raw: pd.DataFrame, task_cols: list[str], reasons: _Reasons) -> pd.Series:
    """ВПР per-task columns З1, З2, … → JSON {"З1": 1, "З2": null, …} (X/Х = no answer)."""
    if not task_cols:
        return pd.Series(None, index=raw.index, dtype=object)
    parsed = {}
    for fc in task_cols:
        values = raw[fc].astype(str).str.strip()
        blank = (values == "") | values.str.lower().isin(NO_ANSWER)
        nums = _parse_number(values.where(~blank, ""))
        bad = ~blank & (nums.isna() | (nums < 0))
        reasons.add(bad, f"«{_norm(fc)}»: балл за задание не число ≥ 0 «" + values + "»")
        parsed[_norm(fc)] = nums.where(~bad)
    frame = pd.DataFrame(parsed)
    return pd.Series(
        [
            json.dumps(
                {
                    k: (None if pd.isna(v) else (int(v) if v == int(v) else v))
                    for k, v in row.items()
                },
                ensure_ascii=False,
            )
            for row in frame.to_dict("records")
        ],
        index=raw.index,
    )


def _pseudonymise(raw, by_contract, out, reasons, secret) -> None:
    def col(header: str) -> pd.Series:
        name = by_contract.get(header)
        return raw[name].astype(str) if name else pd.Series("", index=raw.index)

    snils = col("СНИЛС")
    keys = person_keys(secret, snils, col("Серия документа"), col("Номер документа"))
    out["person_key"] = pd.Series(keys, index=raw.index).where(lambda s: s != "", None)
    with_documents = "Серия документа" in by_contract
    digits = snils.str.replace(r"\D+", "", regex=True)
    # a СНИЛС is 11 digits once spaces and hyphens are removed; anything else is not one
    # (the value itself is never quoted: it is personal data)
    malformed = (snils.str.strip() != "") & (
        (digits.str.len() != 11) | snils.str.contains(r"[^\d\s-]", regex=True)
    )
    missing = out["person_key"].isna()
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


def read_chunks(
    path: Path, spec: SourceSpec, header: FileHeader, secret: bytes, chunk_rows: int = CHUNK_ROWS
) -> Iterator[tuple[pd.DataFrame, int]]:
    """Yield (parsed chunk, rows read in it)."""
    if header.encoding == "xlsx":
        from ingestion.xlsx import iter_xlsx_frames

        # ФИС ОКО exports often store every number as text: not worth a note per row there
        frames = iter_xlsx_frames(
            path, spec, header, chunk_rows, note_text_numbers=spec.name != "vpr"
        )
    else:
        frames = _csv_frames(path, header, chunk_rows)
    for chunk in frames:
        data_cols = [c for c in chunk.columns if c != "_note"]
        blank = (chunk[data_cols].apply(lambda s: s.astype(str).str.strip()) == "").all(axis=1)
        chunk = chunk[~blank]
        if len(chunk):
            yield parse_chunk(chunk, header, spec, secret), len(chunk)


def _csv_frames(path: Path, header: FileHeader, chunk_rows: int) -> Iterator[pd.DataFrame]:
    yield from pd.read_csv(
        path,
        sep=";",
        dtype=str,
        keep_default_na=False,
        encoding=header.encoding,
        chunksize=chunk_rows,
        header=0,
        names=header.columns,
        skip_blank_lines=True,
        quotechar='"',
    )
