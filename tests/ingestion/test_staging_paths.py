"""The fast paths of staging give what the plain ones give (no database): the COPY text
against pandas' CSV writer, the pre-keyed HMAC against hmac.digest, a column checked per
distinct value against the same column checked row by row (chunks small enough that no
column has few distinct values)."""

from __future__ import annotations

import hmac
import io

import numpy as np
import pandas as pd
import pytest

from ingestion import loader
from ingestion.pseudonymise import keyed_hasher, person_key, person_keys
from ingestion.read import open_source
from sources import SOURCES
from tests.fixtures.landing import EGE_HEADER, ege_row, write_ege


@pytest.mark.parametrize("secret", [b"", b"k", b"x" * 64, b"y" * 65, b"z" * 300])
def test_keyed_hasher_is_hmac_sha256(secret):
    hasher = keyed_hasher(secret)
    for message in (b"", b"12345678901", "ПАСПОРТ4510".encode(), b"m" * 200):
        assert hasher(message) == hmac.digest(secret, message, "sha256").hex()


def test_person_keys_match_person_key():
    snils = ["123-456-789 01", "12345678901", " 123 456 789 01 ", "12-34", "", "١٢٣٤٥٦٧٨٩٠١"]
    snils += ["123\t456789 01", "123-456-789 0x", "12345678901 "]
    series = ["45 10", "", "ab", "45 10", "", "", "", "4510", ""]
    numbers = ["987654", "", "№ 12", "987654", "", "1", "", "987654", ""]
    expected = [person_key(b"s", a, b, c) for a, b, c in zip(snils, series, numbers, strict=True)]
    assert person_keys(b"s", snils, series, numbers) == expected
    assert person_keys(b"s", snils) == [person_key(b"s", a, "", "") for a in snils]


def _pandas_copy_text(frame: pd.DataFrame, load_id: int) -> str:
    return loader._copy_text_pandas(frame, load_id)


@pytest.mark.parametrize(
    "values",
    [
        ["a", None, "b"],
        ["a\\b", None, "c"],  # a backslash
        ["tab\there", "x", None],
        ["line\nbreak", "cr\rhere", "x"],
        ["\\N", None, "y"],  # a value that looks like NULL
        ["", None, "z"],
    ],
)
def test_copy_text_is_what_pandas_writes(values):
    frame = pd.DataFrame(
        {
            "source_row": np.arange(1, 4),
            "text": pd.Series(values, dtype=object),
            "str": pd.Series(["п", None, "р"], dtype="str"),
            "num": pd.Series(["1", "2.5", None], dtype=object),
            "extra": None,
        }
    )
    assert loader.copy_text(frame, 7) == _pandas_copy_text(frame, 7)


def test_copy_text_falls_back_for_values_that_are_not_text():
    frame = pd.DataFrame({"source_row": [1, 2], "x": pd.Series([1.5, None], dtype=object)})
    assert loader.copy_text(frame, 3) == _pandas_copy_text(frame, 3)


def _copy_texts(path, chunk_rows):
    out = []
    with open_source(path, SOURCES["ege"]) as source:
        for chunk, _ in source.chunks(b"secret", chunk_rows):
            out.append(loader.copy_text(chunk, 1))
    return "".join(out)


def test_checked_per_distinct_value_same_as_per_row(tmp_path):
    """Chunks of 500 rows (most columns have few distinct values: checked per distinct
    value) and of 3 rows (every column checked row by row) give the same COPY text."""
    rows = []
    for i in range(600):
        rows.append(
            ege_row(
                snils=f"{i % 200:03d}-456-789 01" if i % 7 else "",
                series="45 10" if i % 5 else "",
                number=str(100000 + i % 3),
                subject=[1, 2, 99, "2,0", "x"][i % 5],
                test=["70", "", "101", "7 0", "55.5", "-1"][i % 6],
                primary=[30, "", "abc", "1\u00a0000"][i % 4],
                mark=["", "5", "4,0"][i % 3],
                date=["03.06.2023", "2023-06-03", "", "03.06.2022"][i % 4],
                stage=["основной", "ОСНОВНОЙ", "", "резервный "][i % 4],
                school=["270001", "270001.0", "", " 270002"][i % 4],
                category=["ВТГ", "ВПЛ", "вплх"][i % 3],
                status=["действителен", "удален", "аннулирован"][i % 3],
                form=["ЕГЭ", "ГВЭ", "егэ"][i % 3],
            )
        )
    path = write_ege(tmp_path / "ege.csv", rows, header=EGE_HEADER)
    assert _copy_texts(path, 500) == _copy_texts(path, 3)
    text = _copy_texts(path, 500)
    assert "недопустимое значение" in text and "не число" in text  # reasons were built
    assert io.StringIO(text).read().count("\n") == 600
