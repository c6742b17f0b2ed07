"""How a landing CSV is written: encoding, column order, decimal comma, line ends.

Real ФИС exports differ in all of these, and sources.md allows it, so the generator
varies them between files on purpose (see gia_export.file_format).

Columns are plain sequences of text or ``text_columns.Coded``. Each distinct text is
quoted and encoded once; rows are assembled with numpy's vectorised byte-string
concatenation, which is far faster than DataFrame.to_csv.
"""

from __future__ import annotations

import codecs
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .text_columns import Coded

CP1251 = "cp1251"
UTF8 = "utf-8"
UTF8_BOM = "utf-8-sig"
_CHUNK = 200_000
_SPECIAL = (";", '"', "\r", "\n")


@dataclass(frozen=True)
class FileFormat:
    encoding: str = UTF8  # cp1251, utf-8 or utf-8-sig (UTF-8 with BOM)
    columns: tuple[str, ...] | None = None  # order to write; None keeps the table's
    decimal_comma: tuple[str, ...] = ()  # integer columns written as "23,0"
    newline: str = "\n"


Column = Coded | np.ndarray | Sequence[str]
Table = Mapping[str, Column] | pd.DataFrame


def _needs_quotes(value: str) -> bool:
    return any(ch in value for ch in _SPECIAL)


def _quote(value: str) -> str:
    """CSV quoting (RFC 4180) where a value needs it."""
    return '"' + value.replace('"', '""') + '"' if _needs_quotes(value) else value


def _encode_texts(texts: list[str], encoding: str, decimal_comma: bool) -> np.ndarray:
    """Quote (where needed) and encode texts in one codec call; a numpy bytes array."""
    if decimal_comma:
        texts = [t + ",0" if t else t for t in texts]
    if _needs_quotes("".join(texts)):
        texts = [_quote(t) for t in texts]
    return np.array("\x00".join(texts).encode(encoding).split(b"\x00"), dtype=bytes)


def _encoded(column: Coded, encoding: str, decimal_comma: bool) -> np.ndarray:
    """A chunk of a column as a numpy bytes array."""
    values = column.values
    if len(values) <= max(4096, len(column) // 4):  # a small table: encode all of it
        return _encode_texts(values.tolist(), encoding, decimal_comma)[column.codes]
    used, inverse = np.unique(column.codes, return_inverse=True)
    return _encode_texts(values[used].tolist(), encoding, decimal_comma)[inverse]


def _join_rows(parts: list[np.ndarray], newline: bytes) -> bytes:
    """Rows of `;`-joined byte strings, each ended by newline, scattered into one buffer."""
    n = len(parts[0])
    lengths = [np.strings.str_len(p).astype(np.int64) for p in parts]
    row_len = np.sum(lengths, axis=0) + (len(parts) - 1) + len(newline)
    buf = np.empty(int(row_len.sum()), dtype=np.uint8)
    pos = np.concatenate([[0], np.cumsum(row_len)[:-1]]).astype(np.int64)
    for i, (part, length) in enumerate(zip(parts, lengths, strict=True)):
        width = part.dtype.itemsize
        if n and width:
            grid = np.arange(width)[None, :]
            mask = grid < length[:, None]
            buf[(pos[:, None] + grid)[mask]] = part.view(np.uint8).reshape(n, width)[mask]
        pos += length
        for byte in b";" if i < len(parts) - 1 else newline:
            buf[pos] = byte
            pos += 1
    return buf.tobytes()


def write_csv(path: Path, table: Table, fmt: FileFormat) -> int:
    """Write text columns as a `;`-separated landing file; returns the number of data rows."""
    names = list(table.keys()) if fmt.columns is None else list(fmt.columns)
    if set(names) != set(table.keys()):
        raise ValueError(f"{path.name}: column order does not match the data")
    columns = [c if isinstance(c, Coded) else Coded.of(c) for c in (table[n] for n in names)]
    n = len(columns[0]) if columns else 0
    codec = "utf-8" if fmt.encoding == UTF8_BOM else fmt.encoding
    newline = fmt.newline.encode("ascii")
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as handle:
        if fmt.encoding == UTF8_BOM:
            handle.write(codecs.BOM_UTF8)
        handle.write(";".join(_quote(c) for c in names).encode(codec) + newline)
        for start in range(0, n, _CHUNK):
            chunk = slice(start, start + _CHUNK)
            parts = [
                _encoded(col.take(chunk), codec, name in fmt.decimal_comma)
                for name, col in zip(names, columns, strict=True)
            ]
            handle.write(_join_rows(parts, newline))
    return n
