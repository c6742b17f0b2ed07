"""CSV landing files (ФИС exports, ВПР): «;»-separated, Windows-1251 or UTF-8.

`read_csv_header` detects the encoding on the whole file (ingestion/encoding.py) and matches
the first line to the contract (`header.HeaderMatcher` with `csv_key`); `csv_frames` yields
the data rows as frames of strings, `chunk_rows` at a time.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

import pandas as pd

from ingestion.encoding import detect_encoding
from ingestion.read.header import (
    FileHeader,
    HeaderMatcher,
    HeaderProblem,
    csv_key,
    empty_file,
    header_problem,
)
from sources import SourceSpec


def read_csv_header(path: Path, spec: SourceSpec, utf8_valid: bool | None = None) -> FileHeader:
    encoding = detect_encoding(path, utf8_valid)
    with open(path, encoding=encoding, newline="") as fh:
        first = fh.readline()
    if not first.strip():
        raise empty_file()
    header = next(csv.reader([first], delimiter=";"))
    if len(header) == 1 and ("," in first or "\t" in first):
        raise HeaderProblem(
            "разделитель столбцов не «;» (ожидается точка с запятой, как в выгрузках ФИС)"
        )
    return match_csv_header(header, spec, encoding)


def match_csv_header(header: list[str], spec: SourceSpec, encoding: str) -> FileHeader:
    """Map a CSV header to the contract; raise HeaderProblem naming what is wrong."""
    match = HeaderMatcher(spec, key=csv_key).match(header)
    problem = header_problem(
        match,
        spec,
        unrecognised_hint=(f" и что кодировка Windows-1251 или UTF-8 (прочитан как {encoding})"),
    )
    if problem:
        raise problem
    return FileHeader(encoding, header, match.mapping, match.unknown)


def csv_frames(path: Path, header: FileHeader, chunk_rows: int) -> Iterator[pd.DataFrame]:
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
