"""Reading a landing file: the one entry point of the loader.

    with open_source(path, spec) as source:   # HeaderProblem / EncodingProblem: rejected
        source.header                          # encoding, columns, mapping, unknown, notes
        for chunk, rows_read in source.chunks(secret):
            ...                                # typed, checked, pseudonymised (parse.py)

Inside: header.py matches a header to the contract (one matcher, one set of Russian
messages), csv.py and xlsx/ turn a file into frames of strings, parse.py types and checks
them. Imports point one way: this module → csv, xlsx → header, parse.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd

from ingestion.read.csv import csv_frames, read_csv_header
from ingestion.read.fast import FastChunk, fast_chunks, fast_enabled, fast_supported
from ingestion.read.header import FileHeader, HeaderProblem
from ingestion.read.parse import CHUNK_ROWS, parsed_chunks
from ingestion.read.xlsx import Book, XlsxHeader, locate, xlsx_frames
from sources import SourceSpec

__all__ = ["CHUNK_ROWS", "FastChunk", "FileHeader", "HeaderProblem", "Source", "open_source"]


class Source:
    """A landing file whose header matched the contract (see module docstring). An XLSX
    book stays open until `close()` (or the end of the `with` block)."""

    def __init__(self, path: Path, spec: SourceSpec, header: FileHeader, book: Book | None):
        self.path = path
        self.spec = spec
        self.header = header
        self._book = book

    def frames(self, chunk_rows: int = CHUNK_ROWS) -> Iterator[pd.DataFrame]:
        """The data rows as frames of strings (the file's columns, `_note`, `_reject`)."""
        if self._book is None:
            return csv_frames(self.path, self.header, chunk_rows)
        assert isinstance(self.header, XlsxHeader)
        # ФИС ОКО exports often store every number as text: not worth a note per row there
        return xlsx_frames(
            self._book, self.header, chunk_rows, note_text_numbers=self.spec.name != "vpr"
        )

    def chunks(
        self, secret: bytes, chunk_rows: int = CHUNK_ROWS
    ) -> Iterator[tuple[pd.DataFrame, int]]:
        """(parsed chunk, rows read in it): typed, checked, pseudonymised (parse.py)."""
        return parsed_chunks(self.frames(chunk_rows), self.header, self.spec, secret)

    def copy_chunks(
        self, secret: bytes, chunk_rows: int = CHUNK_ROWS
    ) -> Iterator[tuple[pd.DataFrame | FastChunk, int]]:
        """What staging COPYs: as `chunks`, but a clean chunk of a CSV file may come as a
        `FastChunk` computed in columns by polars (fast.py; same COPY text, see
        `loader.copy_text`). `EDU_DWH_FAST_CSV=0` turns that off."""
        if self._book is None and fast_enabled() and fast_supported(self.spec, self.header):
            return fast_chunks(self.path, self.header, self.spec, secret, chunk_rows)
        return self.chunks(secret, chunk_rows)

    def close(self) -> None:
        if self._book is not None:
            self._book.close()
            self._book = None

    def __enter__(self) -> Source:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def open_source(path: Path, spec: SourceSpec, utf8_valid: bool | None = None) -> Source:
    """Open a landing file and match its header to the contract. Raises HeaderProblem,
    EncodingProblem or UnicodeDecodeError (CSV) when the file is to be rejected whole.
    `utf8_valid`: whether a CSV file is UTF-8, if the caller already knows (read again
    here if not; `loader.fingerprint`)."""
    path = Path(path)
    if path.suffix.lower() != ".xlsx":
        return Source(path, spec, read_csv_header(path, spec, utf8_valid), None)
    book = Book(path)
    try:
        return Source(path, spec, locate(book, spec), book)
    except BaseException:
        book.close()
        raise
