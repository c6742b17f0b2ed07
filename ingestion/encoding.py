"""Encoding detection for landing CSV files: UTF-8 (with or without BOM) or Windows-1251.

Never guesses silently: a file that is neither is rejected with a message.
"""

from __future__ import annotations

import codecs
from pathlib import Path

import polars as pl

CHUNK = 1 << 20
BLOCK = 1 << 23  # bytes read at a time for a UTF-8 check (here and in loader.fingerprint)


class EncodingProblem(ValueError):
    """The file cannot be decoded as any encoding the contract allows."""


def detect_encoding(path: Path, utf8_valid: bool | None = None) -> str:
    """Return 'utf-8-sig', 'utf-8' or 'cp1251' for the whole file, or raise EncodingProblem.
    `utf8_valid`: whether the file is UTF-8, when the caller already checked it in its own
    read of the file (`Utf8Check`; the loader does, with the file's hash)."""
    with open(path, "rb") as fh:
        head = fh.read(4)
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise EncodingProblem("файл в кодировке UTF-16; допускаются только Windows-1251 и UTF-8")
    has_bom = head.startswith(codecs.BOM_UTF8)
    if utf8_valid is None:
        utf8_error = _first_utf8_error(path)
    else:
        utf8_error = None if utf8_valid else _python_utf8_error(path)
    if utf8_error is None:
        return "utf-8-sig" if has_bom else "utf-8"
    if has_bom:
        raise EncodingProblem(
            f"файл начинается с метки UTF-8 (BOM), но содержит байты, недопустимые в UTF-8 "
            f"(позиция {utf8_error})"
        )
    cp_error = _first_cp1251_error(path)
    if cp_error is not None:
        raise EncodingProblem(
            f"файл не читается ни в UTF-8, ни в Windows-1251 (недопустимый байт в позиции "
            f"{cp_error})"
        )
    return "cp1251"


class Utf8Check:
    """Whether bytes fed block by block (cut anywhere) are UTF-8 throughout, by Rust's
    strict validator (polars): the rules of Python's strict decoder (no surrogates, no
    overlong forms, no truncated sequence), a fifth of its time. A block is validated up
    to its last complete character; the incomplete one (at most 3 bytes) goes with the
    next block, so the verdict is that of the whole stream, and a block that ends on a
    character boundary is validated as it is (no copy)."""

    def __init__(self) -> None:
        self.valid = True
        self._carry = b""

    def feed(self, chunk: bytes) -> None:
        if not self.valid or not chunk:
            return
        data = self._carry + chunk if self._carry else chunk
        cut = _complete_characters(data)
        self._carry = data[cut:]
        if cut and not _valid_utf8(data if cut == len(data) else data[:cut]):
            self.valid = False

    def close(self) -> bool:
        """The verdict (bytes left of an unfinished character make it False)."""
        if self._carry:
            self.valid = False
            self._carry = b""
        return self.valid


def _complete_characters(data: bytes) -> int:
    """Where the last UTF-8 character of `data` that is not yet complete begins (len(data)
    if none is): looking back over at most 3 continuation bytes for its lead byte. Bytes
    that are invalid whatever follows are left in place for the validator to reject."""
    n = len(data)
    for back in range(1, min(4, n) + 1):
        byte = data[n - back]
        if byte < 0x80:  # ASCII ends a character
            return n
        if byte >= 0xC0:  # a lead byte: its sequence needs 2, 3 or 4 bytes
            need = 2 if byte < 0xE0 else 3 if byte < 0xF0 else 4
            return n - back if back < need else n
    return n


def _first_utf8_error(path: Path) -> int | None:
    """Where the file stops being UTF-8 (None: it is UTF-8 throughout). The file is
    checked in large blocks by `Utf8Check`; only a file that fails is decoded by Python's
    strict decoder, which is what says where."""
    check = Utf8Check()
    with open(path, "rb") as fh:
        while check.valid and (chunk := fh.read(BLOCK)):
            check.feed(chunk)
    return None if check.close() else _python_utf8_error(path)


def _valid_utf8(block: bytes) -> bool:
    try:
        pl.Series([block], dtype=pl.Binary).cast(pl.String)
    except pl.exceptions.ComputeError:
        return False
    return True


def _python_utf8_error(path: Path) -> int | None:
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    offset = 0
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                return offset + exc.start
            offset += len(chunk)
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return offset
    return None


def _first_cp1251_error(path: Path) -> int | None:
    """cp1251 maps every byte but 0x98; NUL bytes never occur in a text export either."""
    offset = 0
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            for bad in (b"\x98", b"\x00"):
                pos = chunk.find(bad)
                if pos >= 0:
                    return offset + pos
            offset += len(chunk)
    return None
