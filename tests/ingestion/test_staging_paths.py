"""The fast paths of staging give what the plain ones give (no database): the COPY text
against pandas' CSV writer, the pre-keyed HMAC against hmac.digest, a column checked per
distinct value against the same column checked row by row (chunks small enough that no
column has few distinct values)."""

from __future__ import annotations

import hmac
import io

import numpy as np
import pandas as pd
import polars as pl
import pytest

from ingestion import loader
from ingestion.pseudonymise import keyed_hasher, keyed_hashes, person_key, person_keys
from ingestion.read import open_source
from sources import SOURCES
from tests.fixtures.landing import EGE_HEADER, OGE_HEADER, ege_row, write_ege


@pytest.mark.parametrize("secret", [b"", b"k", b"x" * 64, b"y" * 65, b"z" * 300])
def test_keyed_hasher_is_hmac_sha256(secret):
    hasher = keyed_hasher(secret)
    for message in (b"", b"12345678901", "ПАСПОРТ4510".encode(), b"m" * 200):
        assert hasher(message) == hmac.digest(secret, message, "sha256").hex()


@pytest.mark.parametrize("secret", [b"", b"k", "ключ".encode(), b"y" * 65, b"\xff\xfe"])
def test_keyed_hashes_are_the_keyed_hasher_of_each_value(secret):
    """The column HMAC (polars-hash in Rust; a key that is not UTF-8 text: the Python
    loop) gives keyed_hasher's digest of each value, a null stays null."""
    values = ["", "12345678901", "ПАСПОРТ4510", None, "m" * 200]
    got = keyed_hashes(secret, pl.Series("basis", values, dtype=pl.String))
    assert got.name == "basis"
    hasher = keyed_hasher(secret)
    assert got.to_list() == [None if v is None else hasher(v.encode()) for v in values]


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


# --- the columnar fast path of CSV files (ingestion/read/fast.py) against the pandas path


def _staged(path, source="ege", chunk_rows=50_000):
    """(COPY text of the pandas path, of the fast path, kinds of the fast path's chunks);
    a reading error as its text in both."""

    def run(chunks):
        try:
            texts, kinds = [], []
            for chunk, n in chunks:
                texts.append(f"{n}\n{loader.copy_text(chunk, 1)}")
                kinds.append(type(chunk).__name__)
            return "".join(texts), kinds
        except Exception as exc:  # noqa: BLE001 — compared, not handled
            return f"{type(exc).__name__}: {exc}", ["error"]

    with open_source(path, SOURCES[source]) as src:
        pandas_text, _ = run(src.chunks(b"secret", chunk_rows))
    with open_source(path, SOURCES[source]) as src:
        fast_text, kinds = run(src.copy_chunks(b"secret", chunk_rows))
    return pandas_text, fast_text, kinds


def _clean_rows(count, **overrides):
    rows = []
    for i in range(count):
        row = dict(
            snils=f"{100 + i:03d}-222-333 {i % 100:02d}",
            subject=[1, 2, 6, 7][i % 4],
            test=40 + i % 50,
            primary=10 + i % 20,
            school=["270001", "270002", "270003"][i % 3],
        )
        row.update(overrides)
        rows.append(ege_row(**row))
    return rows


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1251"])
def test_fast_path_clean_ege_chunk_is_the_pandas_text(tmp_path, encoding):
    path = write_ege(tmp_path / "ege.csv", [ege_row(), *_clean_rows(30)], encoding=encoding)
    pandas_text, fast_text, kinds = _staged(path)
    assert kinds == ["FastChunk"]
    assert fast_text == pandas_text
    key = person_key(b"secret", "111-222-333 44", "", "")
    first = (
        "1\t1\t2023\tосновной\t2023-06-03\tЕГЭ\t01\t270001\tВТГ\t1\t\\N\t30\t70\t\\N"
        f"\tдействителен\t11\t{key}\t\\N\t\\N\t\\N\n"
    )
    assert fast_text.startswith("31\n" + first)


def test_fast_path_clean_oge_chunk_is_the_pandas_text(tmp_path):
    rows = _clean_rows(20, form="ОГЭ", test=None, mark=4, subject=2)
    path = write_ege(tmp_path / "oge.csv", rows, header=OGE_HEADER)
    pandas_text, fast_text, kinds = _staged(path, "oge")
    assert kinds == ["FastChunk"]
    assert fast_text == pandas_text
    key = person_key(b"secret", "100-222-333 00", "", "")
    assert (
        "1\t1\t2023\tосновной\t2023-06-03\tОГЭ\t01\t270001\tВТГ\t2\t\\N\t10\t4"
        f"\tдействителен\t9\t{key}\t\\N\t\\N\t\\N\n"
    ) in fast_text


# one row with each kind of value; the reason (if any) is the pandas path's text
VALUES = {
    "huge": (dict(primary="99999999999999999999"), "вне допустимого диапазона"),
    "beyond integer": (dict(primary="3000000000"), "вне допустимого диапазона"),
    "inf": (dict(test="inf"), "«Тестовый балл»: не число «inf»"),
    "decimal comma": (dict(test="7,0"), None),
    "nbsp thousands": (dict(primary="1\u00a0000"), None),
    "spaces": (dict(test=" 70 "), None),
    "float": (dict(test="72.0"), None),
    "fraction": (dict(test="72.5"), "ожидается целое число"),
    "negative": (dict(test="-1"), "меньше 0"),
    "over": (dict(test="101"), "больше 100"),
    "exponent": (dict(primary="1e-05"), "ожидается целое число"),
    "nan": (dict(test="nan"), "не число «nan»"),
    "arabic digits": (dict(test="٧٠"), "«Тестовый балл»: не число «٧٠»"),
    "date format": (dict(date="2023-06-03"), "дата не в формате ДД.ММ.ГГГГ"),
    "date year": (dict(date="03.06.2022"), "«Дата экзамена» не относится к году"),
    "case": (dict(stage="ОСНОВНОЙ"), None),
    "not allowed": (dict(stage="основнойх"), "«Этап»: недопустимое значение «основнойх»"),
    "excel code": (dict(school="270001.0"), None),
    "no snils": (dict(snils=""), "нет ни СНИЛС"),
    "bad snils": (dict(snils="12-34"), "«СНИЛС» не из 11 цифр"),
    "document": (dict(snils="12-34", series="45 10", number="987654"), None),
    "subject": (dict(subject=99), "«Код предмета»: недопустимое значение «99»"),
    "no school": (dict(school=""), "«Код ОО»: не заполнен у выпускника"),
    "year": (dict(year="2O23"), "«Год»: не число «2O23»"),
    "required": (dict(status=""), "«Статус результата»: не заполнено"),
}


@pytest.mark.parametrize("kind", VALUES)
def test_fast_path_rows_with_reasons_are_worded_by_the_pandas_path(tmp_path, kind):
    overrides, reason = VALUES[kind]
    rows = _clean_rows(25)
    rows.insert(7, _clean_rows(1, **overrides)[0])
    path = write_ege(tmp_path / "ege.csv", rows)
    pandas_text, fast_text, kinds = _staged(path)
    assert kinds == ["FastChunk"]  # the other rows stay on the fast path
    assert fast_text == pandas_text
    line = fast_text.splitlines()[8]
    assert line.startswith("1\t8\t")
    if reason is None:
        assert line.endswith("\t\\N\t\\N\t\\N")
    else:
        assert reason in line.split("\t")[-2]


def _lines(rows, header=EGE_HEADER):
    return [";".join(header)] + [
        ";".join("" if r.get(h) is None else str(r.get(h)) for h in header) for r in rows
    ]


def _irregular(name):
    lines = _lines(_clean_rows(12))
    if name == "quoted":
        lines[5] = lines[5].replace("Анна", '"Ан;на ""А"""')
    elif name == "quoted line break":
        lines[5] = lines[5].replace("Анна", '"Ан\nна"')
    elif name == "blank lines":
        lines[4:4] = ["", "   "]
        lines.append("")
    elif name == "blank row":
        lines.insert(4, ";" * (len(EGE_HEADER) - 1))
    elif name == "too many fields":
        lines[6] += ";лишнее"
    elif name == "too few fields":
        lines[6] = lines[6].rsplit(";", 2)[0]
    elif name == "backslash":
        lines[3] = lines[3].replace("основной", "основной\\N")
    elif name == "tab":
        lines[3] = lines[3].replace("Анна", "Ан\tна")
    elif name == "lone CR":
        return "\r".join(lines) + "\r"
    elif name == "no final line feed":
        return "\r\n".join(lines)
    return "\r\n".join(lines) + "\r\n"


@pytest.mark.parametrize(
    "name",
    [
        "quoted", "quoted line break", "blank lines", "blank row", "too many fields",
        "too few fields", "backslash", "tab", "lone CR", "no final line feed",
    ],
)  # fmt: skip
@pytest.mark.parametrize("chunk_rows", [50_000, 4])
def test_fast_path_irregular_text_is_read_by_pandas(tmp_path, name, chunk_rows):
    path = tmp_path / "ege.csv"
    path.write_bytes(_irregular(name).encode("utf-8"))
    pandas_text, fast_text, kinds = _staged(path, chunk_rows=chunk_rows)
    assert fast_text == pandas_text
    if name == "too many fields":
        assert fast_text.startswith("ParserError: ") and "Expected 19 fields" in fast_text
    if name == "no final line feed":
        assert set(kinds) == {"FastChunk"}
    if chunk_rows == 4 and name == "quoted":  # the chunk before the quote: fast
        assert kinds == ["FastChunk", "DataFrame", "DataFrame"]


def test_fast_path_end_of_file_in_smaller_chunks(tmp_path, monkeypatch):
    """The end of a file is staged in shrinking chunks (their COPY is what no parsing
    overlaps): the rows and their text are the pandas path's, only the chunk boundaries
    differ — also when the last, smaller chunk is not plain lines and pandas reads the
    file from inside one of its own chunks (rows with reasons in the small chunks)."""
    from ingestion.read import fast

    monkeypatch.setattr(fast, "TAIL_ROWS", 2)
    rows = _clean_rows(30)
    rows[25] = _clean_rows(1, test="101")[0]
    rows[28] = _clean_rows(1, stage="основнойх")[0]
    lines = _lines(rows)
    lines[30] = lines[30].replace("Анна", '"Ан;на"')  # the last row: quoted
    path = tmp_path / "ege.csv"
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("utf-8"))

    def staged(chunks):
        texts, counts, kinds = [], [], []
        for chunk, n in chunks:
            texts.append(loader.copy_text(chunk, 1))
            counts.append(n)
            kinds.append(type(chunk).__name__)
        return "".join(texts), counts, kinds

    with open_source(path, SOURCES["ege"]) as src:
        pandas_text, pandas_counts, _ = staged(src.chunks(b"secret", 8))
    with open_source(path, SOURCES["ege"]) as src:
        fast_text, fast_counts, kinds = staged(src.copy_chunks(b"secret", 8))
    assert fast_text == pandas_text
    assert pandas_counts == [8, 8, 8, 6]
    # 6 rows left after three chunks: 3 in a chunk of their own; the last 3 (the quote)
    # read by pandas from its fourth chunk, its first 3 rows skipped
    assert fast_counts == [8, 8, 8, 3, 3]
    assert kinds == ["FastChunk"] * 4 + ["DataFrame"]
    assert "больше 100" in fast_text and "недопустимое значение «основнойх»" in fast_text
    assert len(fast_text.splitlines()) == 30


def test_line_blocks_end_of_file_in_shrinking_chunks(tmp_path, monkeypatch):
    """Chunks of `chunk_rows` lines until the rest of the file looks like one chunk or
    less: then halves of it, down to TAIL_ROWS; the lines are the file's lines."""
    from ingestion.read import fast

    monkeypatch.setattr(fast, "TAIL_ROWS", 2)
    monkeypatch.setattr(fast, "_READ_BYTES", 7)
    path = tmp_path / "f.csv"
    body = b"".join(b"%03d;x\n" % i for i in range(20))
    path.write_bytes(b"h1;h2\n" + body)
    got = list(fast._line_blocks(path, "utf-8", 8))
    # 20 lines: 8, 8 (12 left > 8), then 4 left: 2 (half), then 2 left (< 2 × 2): the rest
    assert [(lines, end) for _, lines, end, _ in got] == [
        (8, True),
        (8, True),
        (2, True),
        (2, False),
    ]
    assert b"".join(block for block, *_ in got) == body
    # a small file (fewer than 2 × TAIL_ROWS lines left) is never split
    monkeypatch.setattr(fast, "TAIL_ROWS", 11)
    assert [lines for _, lines, _, _ in fast._line_blocks(path, "utf-8", 50)] == [20]


def test_fast_path_person_keys_of_mixed_bases(tmp_path):
    """Plain 11-digit СНИЛС (hashed as they are), written ones, documents instead of a
    СНИЛС and a repeated person, interleaved in one part: the pandas path's keys, in the
    rows' own order."""
    people = [
        dict(snils="12345678901"),
        dict(snils="", series="45 10", number="987654"),
        dict(snils="123-456-789 02"),
        dict(snils="12-34", series="ab", number="№ 12"),
        dict(snils=" 123 456 789 03 "),
        dict(snils="12345678901"),  # the first row's person again
        dict(snils="", series="45 11", number="1"),
        dict(snils="98765432109"),
    ]
    rows = [_clean_rows(1, **person)[0] for person in people * 3]
    pandas_text, fast_text, kinds = _staged(write_ege(tmp_path / "ege.csv", rows))
    assert kinds == ["FastChunk"]
    assert fast_text == pandas_text
    keys = [line.split("\t")[16] for line in fast_text.splitlines()[1:]]
    assert keys[:8] == [
        person_key(b"secret", p["snils"], p.get("series", ""), p.get("number", "")) for p in people
    ]
    assert keys[0] == keys[5] and len(set(keys)) == 7


def test_fast_path_can_be_switched_off(tmp_path, monkeypatch):
    path = write_ege(tmp_path / "ege.csv", _clean_rows(5))
    monkeypatch.setenv("EDU_DWH_FAST_CSV", "0")
    pandas_text, fast_text, kinds = _staged(path)
    assert kinds == ["DataFrame"] and fast_text == pandas_text


@pytest.mark.parametrize("chunk_rows", [50_000, 10, 4])
def test_fast_path_chunk_of_several_parts(tmp_path, monkeypatch, chunk_rows):
    """A chunk computed in parts of 3 rows (values remembered between parts), rows with
    reasons in several parts, a blank row: the pandas path's text and chunks."""
    from ingestion.read import fast

    monkeypatch.setattr(fast, "PART_ROWS", 3)
    rows = _clean_rows(25)
    rows[2] = _clean_rows(1, test="101")[0]
    rows[7] = _clean_rows(1, stage="ОСНОВНОЙ", snils="")[0]
    rows[8] = _clean_rows(1, date="03.06.2022")[0]
    lines = _lines(rows)
    lines.insert(15, ";" * (len(EGE_HEADER) - 1))
    path = tmp_path / "ege.csv"
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("cp1251"))
    pandas_text, fast_text, kinds = _staged(path, chunk_rows=chunk_rows)
    assert fast_text == pandas_text
    assert set(kinds) == {"FastChunk"}
    assert "«Тестовый балл»: значение «101» больше 100" in fast_text


def _task_frame(n: int) -> pd.DataFrame:
    """ВПР task columns with every kind of cell: scores, no-answer marks, blanks, decimal
    commas, thousands spaces, negatives, words, missing cells; a repeated header (after
    normalisation «З3» twice: a dict keeps the first place, the last value)."""
    cells = [" 1 ", "x", "Х", "X ", "", "1,5", "1.5", "-1", "abc", "2.0", "1 000", "1e3"]
    cells += ["0", "3", "х ", "  ", "12", "0,25", None]
    rng = np.random.default_rng(8)
    columns = ["З1", "З2", "З3", " З3", "З10"]
    data = {c: [cells[i] for i in rng.integers(0, len(cells), n)] for c in columns}
    return pd.DataFrame(data, index=pd.RangeIndex(100, 100 + n), dtype="str")


def _task_scores_row_by_row(raw: pd.DataFrame, task_cols: list[str], reasons) -> pd.Series:
    """`parse._task_scores` as it was before issue 8 (a dict and json.dumps per row): the
    reference the vectorised version must give byte for byte."""
    import json

    from ingestion.read.header import norm
    from ingestion.read.parse import _parse_number
    from sources.vpr import NO_ANSWER

    parsed = {}
    for fc in task_cols:
        values = raw[fc].astype(str).str.strip()
        blank = (values == "") | values.str.lower().isin(NO_ANSWER)
        nums = _parse_number(values.where(~blank, ""))
        bad = ~blank & (nums.isna() | (nums < 0))
        reasons.add_quoted(bad, f"«{norm(fc)}»: балл за задание не число ≥ 0 «", values, "»")
        parsed[norm(fc)] = nums.where(~bad)
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


@pytest.mark.parametrize("n", [1, 7, 5000])
def test_task_scores_vectorised_same_as_row_by_row(n):
    from ingestion.read import parse

    raw = _task_frame(n)
    columns = list(raw.columns)
    fast, slow = parse._Reasons(raw.index), parse._Reasons(raw.index)
    got = parse._task_scores(raw, columns, fast)
    expected = _task_scores_row_by_row(raw, columns, slow)
    assert got.tolist() == expected.tolist()
    assert got.index.equals(expected.index) and got.dtype == expected.dtype
    assert fast.result().tolist() == slow.result().tolist()


def test_task_scores_worked_example():
    from ingestion.read import parse

    raw = pd.DataFrame(
        {"З1": ["2", " х", "1,5"], "З2": ["", "-1", "0"]}, index=[0, 1, 2], dtype="str"
    )
    reasons = parse._Reasons(raw.index)
    got = parse._task_scores(raw, ["З1", "З2"], reasons).tolist()
    assert got == ['{"З1": 2, "З2": null}', '{"З1": null, "З2": null}', '{"З1": 1.5, "З2": 0}']
    assert reasons.result().tolist() == [
        None,
        "«З2»: балл за задание не число ≥ 0 «-1»",
        None,
    ]


def _line_blocks_by_lines(path, encoding, chunk_rows, part_rows):
    """What `fast._line_blocks` gives, from the lines of the file opened in binary mode."""
    from itertools import islice

    from ingestion.read import fast

    with open(path, "rb") as fh:
        fh.readline()
        left = chunk_rows
        while lines := list(islice(fh, min(left, part_rows))):
            left -= len(lines)
            empty = b"\n" in lines
            yield fast.utf8_block(b"".join(lines), encoding), len(lines), not left, empty
            left = left or chunk_rows


@pytest.mark.parametrize("read_bytes", [1, 7, 64, 1 << 23])
@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"a;1\nb;2\nc;3\n",
        b"a;1\nb;2\nc;3",  # no line feed at the end
        b"a;1\r\n\r\nb;2\rc;3\r\n\n\nd",  # CRLF, empty lines, a lone CR
        b"\n",
        b"x" * 100 + b"\n" + b"y" * 3,
    ],
)
@pytest.mark.parametrize(("chunk_rows", "part_rows"), [(2, 2), (3, 2), (4, 3), (50, 50)])
def test_line_blocks_are_the_files_lines(
    tmp_path, monkeypatch, read_bytes, body, chunk_rows, part_rows
):
    """The file read in blocks with its line feeds found by numpy gives the blocks its
    lines give: a line ends at b"\\n", the last one may have none; chunk and part
    boundaries in the same places; each block's line count is its line feeds (the last
    block gets one); whatever the size of the blocks read."""
    from ingestion.read import fast

    monkeypatch.setattr(fast, "_READ_BYTES", read_bytes)
    monkeypatch.setattr(fast, "PART_ROWS", part_rows)
    for encoding, text in (("utf-8", body), ("cp1251", body.replace(b"a", "ж".encode("cp1251")))):
        path = tmp_path / f"{encoding}.csv"
        path.write_bytes(b"h1;h2\r\n" + text)
        got = list(fast._line_blocks(path, encoding, chunk_rows))
        assert got == list(_line_blocks_by_lines(path, encoding, chunk_rows, part_rows))
        assert all(block.count(b"\n") == lines for block, lines, _, _ in got)


_UTF8_CASES = {
    "ascii": b"a;b\n1;2\n",
    "cyrillic": "Код;Предмет\n1;Русский язык\n".encode() * 50,
    "no final line feed": "строка\nпоследняя".encode(),
    "no line feed at all": "ё".encode() * 40,
    "invalid byte late": "ок\n".encode() * 30 + b"\xff\n" + b"x\n",
    "cut sequence at the end": "ок\n".encode() * 30 + "я".encode()[:1],
    "surrogate": b"ok\n" + b"\xed\xa0\x80\n",
    "overlong": b"ok\n\xc0\xaf\n",
    "cp1251 text": "Код;Предмет\nРусский язык\n".encode("cp1251"),
    "empty": b"",
    "four-byte characters": "a😀;б\n".encode() * 20,
    "lone continuation bytes": b"ok" + b"\x80\x80\x80\x80" + b"ok",
    "lead byte then ASCII": "ок".encode() + b"\xd0a\n",
    "cut four-byte character at the end": "a😀".encode()[:-1],
    "invalid lead byte": b"ok\xf8\x88\x80\x80\x80\n",
}


@pytest.mark.parametrize("block", [4, 7, 64, 1 << 23])
@pytest.mark.parametrize("case", sorted(_UTF8_CASES))
def test_utf8_check_in_blocks_is_pythons_decoder(tmp_path, monkeypatch, case, block):
    """The UTF-8 check of encoding detection (Rust's validator on blocks cut at a character
    boundary) finds an error exactly where Python's incremental strict decoder (the check
    it replaced, kept for the position) does, for any block size; None only for UTF-8."""
    from ingestion import encoding

    path = tmp_path / "f.csv"
    path.write_bytes(_UTF8_CASES[case])
    try:
        _UTF8_CASES[case].decode("utf-8")
        valid = True
    except UnicodeDecodeError:
        valid = False
    monkeypatch.setattr(encoding, "BLOCK", block)
    expected = encoding._python_utf8_error(path)
    assert (expected is None) == valid
    assert encoding._first_utf8_error(path) == expected


@pytest.mark.parametrize("case", sorted(_UTF8_CASES))
def test_fingerprint_is_the_hash_and_pythons_utf8_verdict(tmp_path, case):
    """The loader's one read of a file gives its sha256 and whether Python's strict
    decoder reads it; `Utf8Check` gives that verdict however the bytes are cut (every
    cut of the cases into 1 to 5 pieces of equal size, and every two-piece cut)."""
    import hashlib

    from ingestion import loader
    from ingestion.encoding import Utf8Check

    data = _UTF8_CASES[case]
    try:
        data.decode("utf-8")
        valid = True
    except UnicodeDecodeError:
        valid = False
    path = tmp_path / "f.csv"
    path.write_bytes(data)
    assert loader.fingerprint(path) == (hashlib.sha256(data).hexdigest(), valid)
    assert loader.fingerprint(path.rename(tmp_path / "f.xlsx")) == (
        hashlib.sha256(data).hexdigest(),
        None,
    )
    cuts = [[i] for i in range(len(data) + 1)]
    cuts += [list(range(0, len(data), max(1, len(data) // k))) for k in range(1, 6)]
    for points in cuts:
        check = Utf8Check()
        for a, b in zip([0, *points], [*points, len(data)], strict=True):
            check.feed(data[a:b])
        assert check.close() == valid, points
