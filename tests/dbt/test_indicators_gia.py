"""Hand-worked checks of the ГИА indicators GIA-01 … GIA-16 in marts.indicator_values.

Written from shared/spec/indicators.md and docs/indicator_decisions.md only. The dataset is
tests/fixtures/gia.py (its docstring lists every person's best results); dbt runs once for the
module. Every expected number below is counted by hand from that table; the comments show
the arithmetic. Minimums (min / univ): Russian 24/40, profile maths 27/39, physics 36/39,
chemistry 36/39, informatics 40/44, biology 36/39, history 32/35, English 22/30,
social studies 42/45; base maths, ГВЭ and ОГЭ: mark 2 is below minimum.
High level: ЕГЭ test score ≥ 81, mark 5 otherwise.
"""

from __future__ import annotations

import math

import psycopg2
import psycopg2.extras
import pytest

from tests.fixtures import gia as fx
from tests.fixtures.pg import create_database, warehouse_env

pytestmark = pytest.mark.slow

R = ("region", "00")
M1 = ("municipality", "01")
M2 = ("municipality", "02")
S1 = ("school", fx.S1)
S2 = ("school", fx.S2)
S3 = ("school", fx.S3)
S4 = ("school", fx.S4)
S5 = ("school", fx.S5)
ALL_LEVELS = [R, M1, M2, S1, S2, S3, S4, S5]

ANY = object()
DIMS = ("exam", "subject_code", "participant_category", "grade", "breakdown_key")
GIA_CODES = [f"GIA-{i:02d}" for i in range(1, 17)]


@pytest.fixture(scope="module")
def iv(pg_server, tmp_path_factory):
    """Build the warehouse once on the fixture dataset; all GIA rows of indicator_values."""
    from orchestration import dbt_runner

    dsn = create_database(pg_server, "t_gia")
    with warehouse_env(dsn, tmp_path_factory.mktemp("gia_state")):
        conn = psycopg2.connect(dsn)
        with conn:
            fx.load(conn)
        conn.close()
        dbt_runner.build(dsn)
    conn = psycopg2.connect(dsn)
    with conn.cursor(cursor_factory=psycopg2.extras.RealDictCursor) as cur:
        cur.execute("select * from marts.indicator_values where indicator_code like 'GIA-%'")
        rows = [dict(r) for r in cur.fetchall()]
    conn.close()
    return rows


# ---------------------------------------------------------------- helpers


def find(rows, code, terr, year=2023, **dims):
    """Rows of `code` for territory `terr` in `year` whose given dims equal the given values
    (None = NULL); dims not given are not filtered."""
    level, tcode = terr
    names = {"exam": "exam", "subject": "subject_code", "cat": "participant_category",
             "key": "breakdown_key", "grade": "grade"}  # fmt: skip
    out = []
    for r in rows:
        if (r["indicator_code"], r["year"], r["territory_level"], r["territory_code"]) != (
            code, year, level, tcode,
        ):  # fmt: skip
            continue
        if all(r[names[k]] == v for k, v in dims.items() if v is not ANY):
            out.append(r)
    return out


def one(rows, code, terr, year=2023, **dims):
    found = find(rows, code, terr, year, **dims)
    assert len(found) == 1, (
        f"{code} {year} {terr} {dims}: expected one row, got {len(found)}; rows of that "
        f"territory: {[(r['exam'], r['subject_code'], r['participant_category'], r['breakdown_key']) for r in find(rows, code, terr, year)]}"  # noqa: E501
    )
    return found[0]


def num(x):
    return None if x is None else float(x)


def share(rows, code, terr, n, d, year=2023, **dims):
    """A share row: numerator n, denominator d, value 100·n/d (6 decimals)."""
    r = one(rows, code, terr, year, **dims)
    got = (num(r["numerator"]), num(r["denominator"]), num(r["value"]))
    assert got[0] == n and got[1] == d and math.isclose(got[2], 100 * n / d, abs_tol=1e-6), (
        f"{code} {year} {terr} {dims}: expected {n}/{d} = {100 * n / d:.6f}, got {got}"
    )
    return r


def mean(rows, code, terr, total, n, year=2023, **dims):
    """A mean row: numerator = sum of scores, denominator = count, value = sum/count."""
    r = one(rows, code, terr, year, **dims)
    got = (num(r["numerator"]), num(r["denominator"]), num(r["value"]))
    assert got[0] == total and got[1] == n and math.isclose(got[2], total / n, abs_tol=1e-6), (
        f"{code} {year} {terr} {dims}: expected {total}/{n} = {total / n:.6f}, got {got}"
    )
    return r


def count(rows, code, terr, n, year=2023, **dims):
    """A count row: value = numerator = n, denominator NULL."""
    r = one(rows, code, terr, year, **dims)
    got = (num(r["numerator"]), r["denominator"], num(r["value"]))
    assert got == (n, None, n), f"{code} {year} {terr} {dims}: expected count {n}, got {got}"
    return r


def absent(rows, code, terr, year=2023, **dims):
    found = find(rows, code, terr, year, **dims)
    assert not found, f"{code} {year} {terr} {dims}: expected no row, got {found}"


def levels_of(rows, code):
    return {r["territory_level"] for r in rows if r["indicator_code"] == code}


# ---------------------------------------------------------------- GIA-01


def test_gia01_below_minimum(iv):
    c = "GIA-01"
    # ЕГЭ Russian (min 24), best results. Region: 22 results = 19 ВТГ (e01–e06, e08–e13,
    # e15–e19, e21, e22) + ВПЛ e07, e24 + СПО e14. e01 (основной 20 → резервный 50) and
    # e19 (основной 20 → дополнительный 61) are not below; e03's annulled 95 and e16's
    # appealed 60 are ignored. Below: e14 (23), e22 (20) → 2/22.
    share(iv, c, R, 2, 22, exam="ЕГЭ", subject=1, cat="все")
    share(iv, c, R, 1, 19, exam="ЕГЭ", subject=1, cat="ВТГ")  # e22
    share(iv, c, R, 0, 2, exam="ЕГЭ", subject=1, cat="ВПЛ")  # e07 90, e24 75
    share(iv, c, R, 1, 1, exam="ЕГЭ", subject=1, cat="СПО")  # e14 23
    # municipality 01: S1 7 results (e01–e07) + S2 7 (e08–e14) = 14, below e14 → 1/14
    share(iv, c, M1, 1, 14, exam="ЕГЭ", subject=1, cat="все")
    # municipality 02: S3 5 + S4 2 + e24 (no school) = 8, below e22 → 1/8
    share(iv, c, M2, 1, 8, exam="ЕГЭ", subject=1, cat="все")
    # S2 все: e08 85, e09 70, e10 65, e11 78, e12 50, e13 55, e14 23 → 1/7; ВТГ 0/6
    share(iv, c, S2, 1, 7, exam="ЕГЭ", subject=1, cat="все")
    share(iv, c, S2, 0, 6, exam="ЕГЭ", subject=1, cat="ВТГ")
    share(iv, c, S2, 1, 1, exam="ЕГЭ", subject=1, cat="СПО")
    # S3: 88, 40, 24 (= min, not below), 42, 61 → 0/5
    share(iv, c, S3, 0, 5, exam="ЕГЭ", subject=1, cat="все")
    # S4: e21 35, e22 20 → 1/2
    share(iv, c, S4, 1, 2, exam="ЕГЭ", subject=1, cat="все")

    # ЕГЭ profile maths (min 27): region 18 results (e01–e12, e14–e19), below e03 20,
    # e04 25 (e17 27 is not below) → 2/18
    share(iv, c, R, 2, 18, exam="ЕГЭ", subject=2, cat="все")
    share(iv, c, R, 2, 16, exam="ЕГЭ", subject=2, cat="ВТГ")
    # S1: e01 70, e02 80, e03 20, e04 25, e05 64, e06 50, e07 100 → 2/7
    share(iv, c, S1, 2, 7, exam="ЕГЭ", subject=2, cat="все")
    share(iv, c, M1, 2, 13, exam="ЕГЭ", subject=2, cat="все")  # S1 7 + S2 6

    # base maths 22 (mark 2 below): e03 м2 (S1), e04 м4 (S1), e13 м3 (row at S1),
    # e21 м3 (best of м2/м3, S4), e22 м4 (S4) → region 1/5
    share(iv, c, R, 1, 5, exam="ЕГЭ", subject=22, cat="все")
    share(iv, c, S1, 1, 3, exam="ЕГЭ", subject=22, cat="все")  # e03, e04, e13
    share(iv, c, S4, 0, 2, exam="ЕГЭ", subject=22, cat="все")  # e21 м3, e22 м4
    share(iv, c, M2, 0, 2, exam="ЕГЭ", subject=22, cat="все")
    # S2 has no base-maths result (e13's row is at S1): empty denominator → no row
    absent(iv, c, S2, exam="ЕГЭ", subject=22)

    # social studies (min 42): e03 40 (below), e12 60, e24 50 (ВПЛ) → 1/3; ВТГ 1/2
    share(iv, c, R, 1, 3, exam="ЕГЭ", subject=12, cat="все")
    share(iv, c, R, 1, 2, exam="ЕГЭ", subject=12, cat="ВТГ")
    share(iv, c, R, 0, 1, exam="ЕГЭ", subject=12, cat="ВПЛ")
    # biology (min 36): e08 75, e18 35 → 1/2; S3 1/1
    share(iv, c, R, 1, 2, exam="ЕГЭ", subject=6, cat="все")
    share(iv, c, S3, 1, 1, exam="ЕГЭ", subject=6, cat="все")
    # chemistry: only e08 80 (e02's row is annulled) → 0/1; S1 has no chemistry result
    share(iv, c, R, 0, 1, exam="ЕГЭ", subject=4, cat="все")
    absent(iv, c, S1, exam="ЕГЭ", subject=4)
    # physics: only valid rows e01 81, e02 60, e15 95 (e11's row is удалён) → 0/3
    share(iv, c, R, 0, 3, exam="ЕГЭ", subject=3, cat="все")
    absent(iv, c, S2, exam="ЕГЭ", subject=3)

    # ОГЭ Russian: o01 5, o02 3 (основной 2 → резервный 3), o03 4, o04 4, o05 3, o06 5,
    # o07 3, o10 4 (ИНО), o09 2 → below o09 → 1/9; ВТГ 1/8; ИНО 0/1
    share(iv, c, R, 1, 9, exam="ОГЭ", subject=1, cat="все")
    share(iv, c, R, 1, 8, exam="ОГЭ", subject=1, cat="ВТГ")
    share(iv, c, R, 0, 1, exam="ОГЭ", subject=1, cat="ИНО")
    # ОГЭ maths: o03 2, o10 2 below (o05 основной 2 → дополнительный 3) → 2/9
    share(iv, c, R, 2, 9, exam="ОГЭ", subject=2, cat="все")
    share(iv, c, R, 1, 1, exam="ОГЭ", subject=2, cat="ИНО")
    share(iv, c, S1, 1, 3, exam="ОГЭ", subject=2, cat="все")  # o01 4, o02 3, o03 2
    share(iv, c, M2, 1, 4, exam="ОГЭ", subject=2, cat="все")  # o06, o07, o10 2, o09

    # ГВЭ: ГВЭ-11 e20 (1 м3, 2 м4) and ГВЭ-9 o08 (1 м5, 2 м2) both publish as ГВЭ
    share(iv, c, R, 0, 2, exam="ГВЭ", subject=1, cat="все")
    share(iv, c, R, 1, 2, exam="ГВЭ", subject=2, cat="все")
    share(iv, c, S4, 1, 2, exam="ГВЭ", subject=2, cat="ВТГ")

    # 2021 ОГЭ Russian: e01 4, e02 5, e09 4, e10 3, e15 5, e16 3, e18 4 → 0/7
    share(iv, c, R, 0, 7, year=2021, exam="ОГЭ", subject=1, cat="все")
    # 2022: results belong to the school of their row: o11's Russian is at S3, maths at S2
    share(iv, c, S3, 0, 1, year=2022, exam="ОГЭ", subject=1, cat="все")
    share(iv, c, S2, 0, 1, year=2022, exam="ОГЭ", subject=2, cat="все")
    absent(iv, c, S2, year=2022, subject=1)
    # S5 has only a `не явился` row → no GIA-01 row at all
    absent(iv, c, S5)

    assert {r["exam"] for r in iv if r["indicator_code"] == c} == {"ЕГЭ", "ОГЭ", "ГВЭ"}
    assert levels_of(iv, c) == {"region", "municipality", "school"}


# ---------------------------------------------------------------- GIA-02


def test_gia02_univ_minimum(iv):
    c = "GIA-02"
    # Russian (univ 40), 22 results; below 40: e03 30, e14 23, e17 24, e21 35, e22 20
    # → 17/22. e16 = 40 counts.
    share(iv, c, R, 17, 22, subject=1, cat="все")
    share(iv, c, R, 15, 19, subject=1, cat="ВТГ")  # all but e03, e17, e21, e22
    share(iv, c, R, 2, 2, subject=1, cat="ВПЛ")
    share(iv, c, R, 0, 1, subject=1, cat="СПО")
    # S3: e15 88, e16 40, e17 24, e18 42, e19 61 → 4/5
    share(iv, c, S3, 4, 5, subject=1, cat="все")
    share(iv, c, S4, 0, 2, subject=1, cat="все")  # 35, 20
    # maths (univ 39), 18 results; below 39: e03 20, e04 25, e14 30, e17 27, e18 38 → 13/18
    share(iv, c, R, 13, 18, subject=2, cat="все")
    share(iv, c, R, 12, 16, subject=2, cat="ВТГ")
    # S3: e15 100, e16 39 (= univ), e17 27, e18 38, e19 68 → 3/5; municipality 02 the same
    share(iv, c, S3, 3, 5, subject=2, cat="все")
    share(iv, c, M2, 3, 5, subject=2, cat="все")
    # S2: e08 90, e09 60, e10 61, e11 72, e12 45, e14 30 (СПО) → 5/6; СПО 0/1
    share(iv, c, S2, 5, 6, subject=2, cat="все")
    share(iv, c, S2, 0, 1, subject=2, cat="СПО")
    # English (univ 30): e09 90 → 1/1
    share(iv, c, R, 1, 1, subject=9, cat="все")
    # base maths has no test score; ГВЭ/ОГЭ are not ЕГЭ → no rows
    absent(iv, c, R, subject=22)
    absent(iv, c, S4, subject=2)  # S4 has only the ГВЭ maths of e20
    assert levels_of(iv, c) == {"region", "municipality", "school"}
    assert not [r for r in iv if r["indicator_code"] == c and r["year"] != 2023]


# ---------------------------------------------------------------- GIA-03


def test_gia03_mean_test_score(iv):
    c = "GIA-03"
    # Russian sums: S1 50+100+30+60+72+45+90 = 447 (7); S2 85+70+65+78+50+55+23 = 426 (7);
    # S3 88+40+24+42+61 = 255 (5); S4 35+20 = 55 (2); e24 75 → 1258 / 22
    mean(iv, c, R, 1258, 22, subject=1, cat="все")
    # ВТГ: 1258 − 90 (e07) − 75 (e24) − 23 (e14) = 1070 / 19
    mean(iv, c, R, 1070, 19, subject=1, cat="ВТГ")
    mean(iv, c, R, 165, 2, subject=1, cat="ВПЛ")
    mean(iv, c, S1, 447, 7, subject=1, cat="все")
    mean(iv, c, S1, 357, 6, subject=1, cat="ВТГ")
    mean(iv, c, M1, 873, 14, subject=1, cat="все")
    mean(iv, c, M2, 385, 8, subject=1, cat="все")  # 255 + 55 + 75
    mean(iv, c, S4, 55, 2, subject=1, cat="все")
    # maths: S1 70+80+20+25+64+50+100 = 409 (7); S2 90+60+61+72+45+30 = 358 (6);
    # S3 100+39+27+38+68 = 272 (5) → 1039 / 18
    mean(iv, c, R, 1039, 18, subject=2, cat="все")
    mean(iv, c, S2, 358, 6, subject=2, cat="все")
    mean(iv, c, M1, 767, 13, subject=2, cat="все")
    mean(iv, c, S2, 30, 1, subject=2, cat="СПО")
    # physics: 81 + 60 + 95 = 236 / 3 (e11's удалён 90 ignored)
    mean(iv, c, R, 236, 3, subject=3, cat="все")
    absent(iv, c, R, subject=22)
    r = one(iv, c, R, subject=1, cat="все")
    assert (r["unit"], r["direction"]) == ("балл", "↑")
    assert levels_of(iv, c) == {"region", "municipality", "school"}


# ---------------------------------------------------------------- GIA-04


def test_gia04_hundred_count(iv):
    c = "GIA-04"
    # 100s: e02 Russian (S1, ВТГ), e07 maths (S1, ВПЛ), e15 maths (S3, ВТГ)
    count(iv, c, R, 1, subject=1, cat="все")
    count(iv, c, R, 1, subject=1, cat="ВТГ")
    count(iv, c, R, 0, subject=1, cat="ВПЛ")
    count(iv, c, R, 0, subject=1, cat="СПО")
    count(iv, c, R, 2, subject=2, cat="все")
    count(iv, c, R, 1, subject=2, cat="ВТГ")
    count(iv, c, R, 1, subject=2, cat="ВПЛ")
    count(iv, c, R, 0, subject=2, cat="СПО")
    count(iv, c, R, 0, subject=3, cat="все")
    count(iv, c, M1, 1, subject=1, cat="все")
    count(iv, c, M1, 1, subject=2, cat="все")
    count(iv, c, M1, 1, subject=2, cat="ВПЛ")
    count(iv, c, M1, 0, subject=2, cat="ВТГ")
    count(iv, c, M2, 0, subject=1, cat="все")
    count(iv, c, M2, 1, subject=2, cat="ВТГ")
    count(iv, c, S1, 1, subject=1, cat="ВТГ")
    count(iv, c, S1, 1, subject=2, cat="все")
    count(iv, c, S1, 0, subject=2, cat="ВТГ")
    count(iv, c, S3, 1, subject=2, cat="все")
    count(iv, c, S3, 0, subject=1, cat="все")
    count(iv, c, S2, 0, subject=2, cat="все")
    count(iv, c, S5, 0, subject=1, cat="все")  # S5 has only a `не явился` row

    # Zero rows: every territory with any fis_gia/ege row in 2023 (region, 01, 02, S1–S5 —
    # S4 has ЕГЭ/ГВЭ rows, S5 only an absence) × every (subject, category) with a
    # test-scored ЕГЭ result in the region: subjects 1, 2, 3, 4, 5, 6, 7, 9, 12;
    # categories: 1 and 2 {ВТГ, ВПЛ, СПО}, 12 {ВТГ, ВПЛ}, others {ВТГ}; plus `все` each.
    expected = set()
    for subject, cats in {1: "ВТГ ВПЛ СПО", 2: "ВТГ ВПЛ СПО", 12: "ВТГ ВПЛ", 3: "ВТГ",
                          4: "ВТГ", 5: "ВТГ", 6: "ВТГ", 7: "ВТГ", 9: "ВТГ"}.items():  # fmt: skip
        for cat in [*cats.split(), "все"]:
            expected.add((subject, cat))
    assert len(expected) == 23
    for terr in ALL_LEVELS:
        got = [(r["subject_code"], r["participant_category"]) for r in find(iv, c, terr)]
        assert len(got) == len(set(got)), f"{terr}: duplicate GIA-04 rows"
        assert set(got) == expected, f"{terr}: {sorted(set(got) ^ expected, key=str)}"
    rows = [r for r in iv if r["indicator_code"] == c]
    assert len(rows) == 8 * 23
    assert all(r["denominator"] is None for r in rows)
    assert all(num(r["value"]) == num(r["numerator"]) for r in rows)
    assert {r["unit"] for r in rows} == {"чел."}
    # no fis_gia/ege rows in 2021 or 2022 → no GIA-04 rows then
    assert {r["year"] for r in rows} == {2023}


# ---------------------------------------------------------------- GIA-05


def test_gia05_graduates_with_100(iv):
    c = "GIA-05"
    # Graduates (ВТГ) with a test-scored ЕГЭ result: S1 e01–e06 (6), S2 e08–e13 (6; e13's
    # results S2, S2, S1 → attached to S2), S3 e15–e19 (5), S4 e21, e22 (2; e20 has only
    # ГВЭ) = 19. With a 100: e02 (S1), e15 (S3). e07's 100 is ВПЛ.
    share(iv, c, R, 2, 19)
    share(iv, c, M1, 1, 12)
    share(iv, c, M2, 1, 7)
    share(iv, c, S1, 1, 6)
    share(iv, c, S2, 0, 6)  # graduates but no 100 → a 0 row
    share(iv, c, S3, 1, 5)
    share(iv, c, S4, 0, 2)
    absent(iv, c, S5)  # e25 has no valid result
    assert levels_of(iv, c) == {"region", "municipality", "school"}
    assert not [r for r in iv if r["indicator_code"] == c and r["year"] != 2023]


# ---------------------------------------------------------------- GIA-06


def test_gia06_three_best_sum(iv):
    c = "GIA-06"
    # Graduates with ≥ 3 test-scored subjects (22 and annulled/absent rows don't count):
    # e01 50+70+81 = 201 no; e02 best 3 of 100, 80, 60, 75 = 255 yes; e03 30+20+40 = 90 no;
    # e04 60+25+50 = 135 no; e08 90+85+80 = 255 yes; e09 70+60+90 = 220 yes (boundary);
    # e12 50+45+60 = 155 no; e15 100+95+90 = 285 yes; e18 42+38+35 = 115 no → 4/9
    share(iv, c, R, 4, 9)
    share(iv, c, M1, 3, 7)  # e01 e02 e03 e04 e08 e09 e12
    share(iv, c, M2, 1, 2)  # e15 e18
    share(iv, c, S1, 1, 4)  # e01–e04
    share(iv, c, S2, 2, 3)  # e08 e09 e12
    share(iv, c, S3, 1, 2)
    absent(iv, c, S4)  # e21, e22 have one test-scored subject each → empty denominator
    assert levels_of(iv, c) == {"region", "municipality", "school"}


# ---------------------------------------------------------------- GIA-07


def test_gia07_two_subjects_sum(iv):
    c = "GIA-07"
    # Graduates with exactly 2 test-scored subjects: e05 72+64 = 136 yes; e06 45+50 = 95
    # (дополнительный 40 is not the best) no; e10 65+61 = 126 yes (boundary); e11 78+72
    # = 150 yes (its удалён physics doesn't count); e13 Russian 55 + history 40 = 95 (22 has
    # no test score) no; e16 40+39 = 79 no; e17 24+27 = 51 no; e19 61+68 = 129 yes → 4/8
    share(iv, c, R, 4, 8)
    share(iv, c, M1, 3, 5)  # e05 e06 e10 e11 e13
    share(iv, c, M2, 1, 3)  # e16 e17 e19
    share(iv, c, S1, 1, 2)
    share(iv, c, S2, 2, 3)
    share(iv, c, S3, 1, 3)
    absent(iv, c, S4)
    assert levels_of(iv, c) == {"region", "municipality", "school"}


# ---------------------------------------------------------------- GIA-08


def test_gia08_oge_three_best_marks(iv):
    c = "GIA-08"
    # 2023, 9th-grade graduates with ≥ 3 ОГЭ/ГВЭ marks: o01 5+5+4 = 14 yes; o02 3+3+3 = 9 no
    # (Russian best 3); o03 4+4+2 = 10 no; o04 4+4+4 = 12 yes; o05 3+3+3 = 9 no; o06 15 yes;
    # o09 4+3+2 = 9 no (geography не явился). o07 and o08 have 2 marks, o10 is ИНО → 3/7
    share(iv, c, R, 3, 7)
    share(iv, c, M1, 2, 5)
    share(iv, c, M2, 1, 2)
    share(iv, c, S1, 1, 3)
    share(iv, c, S2, 1, 2)
    share(iv, c, S3, 1, 1)
    share(iv, c, S4, 0, 1)
    # 2021: e01 4+4+4 = 12 yes; e02 15 yes; e09 5+4+4 = 13 yes; e10 9 no; e15 15 yes;
    # e18 4+4+3 = 11 no (biology annulled); e16 and e08 (ГВЭ) have 2 marks → 4/6
    share(iv, c, R, 4, 6, year=2021)
    share(iv, c, M1, 4, 5, year=2021)  # e01 e02 e09 e10 e15
    share(iv, c, M2, 0, 1, year=2021)  # e18
    assert levels_of(iv, c) == {"region", "municipality", "school"}


# ---------------------------------------------------------------- GIA-09


def test_gia09_minimum_level(iv):
    c = "GIA-09"
    # Level 11, 2023: ВТГ with a valid level-11 result (any form): e01–e06, e08–e13,
    # e15–e19, e20 (ГВЭ), e21, e22 = 20. Fail: e03 (maths 20, base м2), e22 (Russian 20).
    # e04 (maths 25) is rescued by base м4; e13 has base м3 only; e17 24/27 = minimums;
    # e19's best Russian is 61; e20 ГВЭ м3/м4; e21 base best м3 → 18/20
    share(iv, c, R, 18, 20, key="11")
    share(iv, c, M1, 11, 12, key="11")
    share(iv, c, M2, 7, 8, key="11")
    share(iv, c, S1, 5, 6, key="11")
    share(iv, c, S2, 6, 6, key="11")
    share(iv, c, S3, 5, 5, key="11")
    share(iv, c, S4, 2, 3, key="11")  # e20 yes, e21 yes, e22 no
    # Level 9, 2023: ВТГ with a level-9 result: o01–o09 = 9 (o10 ИНО). Fail: o03 (maths 2),
    # o08 (ГВЭ maths 2), o09 (Russian 2). o02 (Russian 2 → 3) and o05 (maths 2 → 3) pass
    share(iv, c, R, 6, 9, key="9")
    share(iv, c, M1, 4, 5, key="9")
    share(iv, c, M2, 2, 4, key="9")
    share(iv, c, S4, 0, 2, key="9")
    share(iv, c, S3, 2, 2, key="9")
    # Level 9, 2021: e01 e02 e09 e10 e15 e08(ГВЭ 4/4) e16 e18; e16 maths 2 fails → 7/8
    share(iv, c, R, 7, 8, year=2021, key="9")
    share(iv, c, M1, 6, 6, year=2021, key="9")
    share(iv, c, M2, 1, 2, year=2021, key="9")
    # Level 9, 2022: e12 (S2) has only social studies → no Russian → fails; o11 (Russian 4
    # at S3, maths 4 at S2: one result each → tie → smallest codes S2 / 01) passes → 1/2
    share(iv, c, R, 1, 2, year=2022, key="9")
    share(iv, c, M1, 1, 2, year=2022, key="9")
    share(iv, c, S2, 1, 2, year=2022, key="9")
    absent(iv, c, M2, year=2022)
    absent(iv, c, S3, year=2022)
    absent(iv, c, R, year=2021, key="11")
    assert {r["breakdown_key"] for r in iv if r["indicator_code"] == c} == {"9", "11"}
    assert levels_of(iv, c) == {"region", "municipality", "school"}


# ---------------------------------------------------------------- GIA-10


def test_gia10_participants_below_minimum(iv):
    c = "GIA-10"
    # ЕГЭ 2023 participants: e01–e19, e21, e22, e24 = 22 (e20 only ГВЭ, e25 absent).
    # With a best result below minimum: e03 (maths 20, soc 40, base м2), e04 (maths 25),
    # e14 (Russian 23), e18 (biology 35), e22 (Russian 20). e01/e19 recovered → 5/22
    share(iv, c, R, 5, 22, exam="ЕГЭ", cat="все")
    share(iv, c, R, 4, 19, exam="ЕГЭ", cat="ВТГ")
    share(iv, c, R, 0, 2, exam="ЕГЭ", cat="ВПЛ")
    share(iv, c, R, 1, 1, exam="ЕГЭ", cat="СПО")
    share(iv, c, M1, 3, 14, exam="ЕГЭ", cat="все")  # e01–e14: e03 e04 e14
    share(iv, c, M2, 2, 8, exam="ЕГЭ", cat="все")  # e15–e19 e21 e22 e24: e18 e22
    share(iv, c, S1, 2, 7, exam="ЕГЭ", cat="все")  # e01–e07 (e13 attached to S2)
    share(iv, c, S2, 1, 7, exam="ЕГЭ", cat="все")  # e08–e14: e14
    share(iv, c, S2, 0, 6, exam="ЕГЭ", cat="ВТГ")
    share(iv, c, S4, 1, 2, exam="ЕГЭ", cat="все")
    # ОГЭ: o01–o07, o09, o10 = 9; below: o03, o09, o10 → 3/9; ВТГ 2/8; ИНО 1/1
    share(iv, c, R, 3, 9, exam="ОГЭ", cat="все")
    share(iv, c, R, 2, 8, exam="ОГЭ", cat="ВТГ")
    share(iv, c, R, 1, 1, exam="ОГЭ", cat="ИНО")
    # ГВЭ: e20 (м3, м4) and o08 (м5, м2) → 1/2
    share(iv, c, R, 1, 2, exam="ГВЭ", cat="все")
    share(iv, c, S4, 1, 2, exam="ГВЭ", cat="все")
    # 2022 ОГЭ: e12 and o11 (tie S3/S2 → attached to S2, municipality 01), nobody below
    share(iv, c, S2, 0, 2, year=2022, exam="ОГЭ", cat="все")
    share(iv, c, M1, 0, 2, year=2022, exam="ОГЭ", cat="все")
    absent(iv, c, S3, year=2022)
    absent(iv, c, M2, year=2022)
    assert levels_of(iv, c) == {"region", "municipality", "school"}


# ---------------------------------------------------------------- GIA-11


def test_gia11_high_level(iv):
    c = "GIA-11"
    # ЕГЭ Russian ≥ 81: e02 100, e07 90, e08 85, e15 88 → 4/22; ВТГ 3/19; ВПЛ e07 → 1/2
    share(iv, c, R, 4, 22, exam="ЕГЭ", subject=1, cat="все")
    share(iv, c, R, 3, 19, exam="ЕГЭ", subject=1, cat="ВТГ")
    share(iv, c, R, 1, 2, exam="ЕГЭ", subject=1, cat="ВПЛ")
    share(iv, c, S1, 2, 7, exam="ЕГЭ", subject=1, cat="все")  # e02, e07 (e03's 95 annulled)
    # maths: e07 100, e08 90, e15 100 → 3/18; S1 1/7
    share(iv, c, R, 3, 18, exam="ЕГЭ", subject=2, cat="все")
    share(iv, c, S1, 1, 7, exam="ЕГЭ", subject=2, cat="все")
    # physics: e01 81 (boundary), e02 60, e15 95 → 2/3
    share(iv, c, R, 2, 3, exam="ЕГЭ", subject=3, cat="все")
    # base maths (mark 5): none of м2, м4, м3, м3, м4 → 0/5
    share(iv, c, R, 0, 5, exam="ЕГЭ", subject=22, cat="все")
    # ОГЭ Russian mark 5: o01, o06 → 2/9; maths: o06 → 1/9
    share(iv, c, R, 2, 9, exam="ОГЭ", subject=1, cat="все")
    share(iv, c, R, 1, 9, exam="ОГЭ", subject=2, cat="все")
    share(iv, c, S3, 1, 3, exam="ОГЭ", subject=2, cat="все")  # o06, o07, o10
    # ГВЭ Russian: e20 м3, o08 м5 → 1/2
    share(iv, c, R, 1, 2, exam="ГВЭ", subject=1, cat="все")
    assert levels_of(iv, c) == {"region", "municipality", "school"}


# ---------------------------------------------------------------- GIA-12


def test_gia12_not_below_region_mean(iv):
    c = "GIA-12"
    # ЕГЭ Russian region mean over all 22 best results, all categories = 1258/22 = 57.18.
    # ≥ mean: S1 e02 100, e04 60, e05 72, e07 90 (not e01 50, e03 30, e06 45) → 4/7;
    # S2 e08 85, e09 70, e10 65, e11 78 (not e12 50, e13 55, e14 23) → 4/7;
    # S3 e15 88, e19 61 → 2/5; S4 0/2; e24 75 (no school) counts for municipality 02.
    share(iv, c, S1, 4, 7, exam="ЕГЭ", subject=1)
    share(iv, c, S2, 4, 7, exam="ЕГЭ", subject=1)
    share(iv, c, S3, 2, 5, exam="ЕГЭ", subject=1)
    share(iv, c, S4, 0, 2, exam="ЕГЭ", subject=1)
    share(iv, c, M1, 8, 14, exam="ЕГЭ", subject=1)
    share(iv, c, M2, 3, 8, exam="ЕГЭ", subject=1)
    # ЕГЭ maths mean 1039/18 = 57.72: S1 e01 70, e02 80, e05 64, e07 100 → 4/7;
    # S2 e08 90, e09 60, e10 61, e11 72 → 4/6; S3 e15 100, e19 68 → 2/5
    share(iv, c, S1, 4, 7, exam="ЕГЭ", subject=2)
    share(iv, c, S2, 4, 6, exam="ЕГЭ", subject=2)
    share(iv, c, M1, 8, 13, exam="ЕГЭ", subject=2)
    share(iv, c, M2, 2, 5, exam="ЕГЭ", subject=2)
    # ОГЭ Russian primary scores (best rows): 30, 16, 27, 29, 20, 33, 18, 23 (ИНО), 11
    # = 207 / 9 = 23 exactly. ≥ 23: o01, o03, o04, o06, o10 (= 23 counts).
    share(iv, c, S1, 2, 3, exam="ОГЭ", subject=1)  # o01 30, o03 27 (o02 16)
    share(iv, c, S2, 1, 2, exam="ОГЭ", subject=1)  # o04 29 (o05 20)
    share(iv, c, S3, 2, 3, exam="ОГЭ", subject=1)  # o06 33, o10 23 (o07 18)
    share(iv, c, S4, 0, 1, exam="ОГЭ", subject=1)  # o09 11 (o08 is ГВЭ)
    share(iv, c, M1, 3, 5, exam="ОГЭ", subject=1)
    share(iv, c, M2, 2, 4, exam="ОГЭ", subject=1)
    # ОГЭ maths primary: 18, 10, 5, 17, 12 (o05 best row), 28, 11, 7, 13 = 121/9 = 13.44;
    # ≥: o01 18, o04 17, o06 28
    share(iv, c, M1, 2, 5, exam="ОГЭ", subject=2)
    share(iv, c, M2, 1, 4, exam="ОГЭ", subject=2)
    share(iv, c, S4, 0, 1, exam="ОГЭ", subject=2)  # o09 13 < 13.44
    # levels M and S only; subjects 1 and 2 only; exams ЕГЭ and ОГЭ only
    rows = [r for r in iv if r["indicator_code"] == c]
    assert levels_of(iv, c) == {"municipality", "school"}
    assert {r["subject_code"] for r in rows} == {1, 2}
    assert {r["exam"] for r in rows} == {"ЕГЭ", "ОГЭ"}


# ---------------------------------------------------------------- GIA-13


def test_gia13_subject_choice(iv):
    c = "GIA-13"
    # ЕГЭ graduates 2023: e01–e06, e08–e13, e15–e19, e21, e22 = 19
    share(iv, c, R, 19, 19, exam="ЕГЭ", subject=1)
    # maths 2: e01–e06, e08–e12, e15–e19 = 16
    share(iv, c, R, 16, 19, exam="ЕГЭ", subject=2)
    # base 22: e03, e04, e13, e21, e22 = 5
    share(iv, c, R, 5, 19, exam="ЕГЭ", subject=22)
    # physics: e01, e02, e15 (e11's row удалён); chemistry: e08 only (e02 annulled)
    share(iv, c, R, 3, 19, exam="ЕГЭ", subject=3)
    share(iv, c, R, 1, 19, exam="ЕГЭ", subject=4)
    # social studies: e03, e12 (e24 is ВПЛ); biology: e08, e18 (e03 absent)
    share(iv, c, R, 2, 19, exam="ЕГЭ", subject=12)
    share(iv, c, R, 2, 19, exam="ЕГЭ", subject=6)
    # person attached to the mode school: e13 (Russian S2, history S2, base S1) → S2
    share(iv, c, S1, 2, 6, exam="ЕГЭ", subject=22)  # e03, e04
    share(iv, c, S2, 1, 6, exam="ЕГЭ", subject=22)  # e13
    share(iv, c, M1, 3, 12, exam="ЕГЭ", subject=22)
    share(iv, c, M2, 2, 7, exam="ЕГЭ", subject=22)  # e21, e22
    share(iv, c, S1, 2, 6, exam="ЕГЭ", subject=3)  # e01, e02
    # ОГЭ graduates: o01–o07, o09 = 8 (o08 only ГВЭ, o10 ИНО)
    share(iv, c, R, 8, 8, exam="ОГЭ", subject=1)
    share(iv, c, R, 2, 8, exam="ОГЭ", subject=6)  # o02, o09
    share(iv, c, R, 1, 8, exam="ОГЭ", subject=8)  # o02 (o09 не явился)
    share(iv, c, R, 2, 8, exam="ОГЭ", subject=12)  # o03, o06
    share(iv, c, M2, 1, 3, exam="ОГЭ", subject=6)  # o06, o07, o09 → o09
    # ГВЭ (both levels publish as ГВЭ): graduates e20, o08, both with Russian
    share(iv, c, R, 2, 2, exam="ГВЭ", subject=1)
    # 2022 ОГЭ: graduates e12 (social studies) and o11 (Russian at S3, maths at S2;
    # attached to S2) → Russian 1/2 at S2; S3 has no attached graduate → no row
    share(iv, c, S2, 1, 2, year=2022, exam="ОГЭ", subject=1)
    share(iv, c, S2, 1, 2, year=2022, exam="ОГЭ", subject=12)
    absent(iv, c, S3, year=2022)
    assert levels_of(iv, c) == {"region", "municipality", "school"}


# ---------------------------------------------------------------- GIA-14


def test_gia14_september_retake(iv):
    c = "GIA-14"
    # ЕГЭ graduates 19; with a valid дополнительный row: e06 (Russian 40, not her best),
    # e19 (Russian 61), e21 (base м3). e05's дополнительный row is annulled → 3/19
    share(iv, c, R, 3, 19, exam="ЕГЭ")
    share(iv, c, M1, 1, 12, exam="ЕГЭ")
    share(iv, c, M2, 2, 7, exam="ЕГЭ")
    share(iv, c, S1, 1, 6, exam="ЕГЭ")
    share(iv, c, S2, 0, 6, exam="ЕГЭ")
    share(iv, c, S3, 1, 5, exam="ЕГЭ")
    share(iv, c, S4, 1, 2, exam="ЕГЭ")
    # ОГЭ graduates 8; o05 maths дополнительный → 1/8
    share(iv, c, R, 1, 8, exam="ОГЭ")
    share(iv, c, M1, 1, 5, exam="ОГЭ")
    share(iv, c, M2, 0, 3, exam="ОГЭ")
    share(iv, c, S2, 1, 2, exam="ОГЭ")
    share(iv, c, S2, 0, 2, year=2022, exam="ОГЭ")  # e12, o11: no дополнительный sitting
    r = one(iv, c, R, exam="ЕГЭ")
    assert (r["unit"], r["direction"]) == ("%", "↓")
    assert levels_of(iv, c) == {"region", "municipality", "school"}


# ---------------------------------------------------------------- GIA-15


def test_gia15_oge_subject_kept_for_ege(iv):
    c = "GIA-15"
    # ЕГЭ graduates 2023 with an ОГЭ-form result in 2021: e01, e02, e09, e10, e15, e16, e18
    # = 7 (e08 had only ГВЭ-9 in 2021; e12's ОГЭ is from 2022). Elective ЕГЭ subject also
    # taken at ОГЭ 2021: e01 physics yes; e02 no (ЕГЭ 3, 5 — chemistry annulled; ОГЭ 4, 6);
    # e09 English yes; e10 no (ЕГЭ only 1, 2); e15 physics yes; e16 no; e18 no (ЕГЭ
    # biology, ОГЭ biology annulled) → 3/7
    share(iv, c, R, 3, 7)
    # territory = the 2023 ЕГЭ school: 01 = e01 e02 e09 e10 → 2/4; 02 = e15 (at S2 in 2021,
    # at S3 in 2023), e16, e18 → 1/3
    share(iv, c, M1, 2, 4)
    share(iv, c, M2, 1, 3)
    assert levels_of(iv, c) == {"region", "municipality"}
    assert {r["year"] for r in iv if r["indicator_code"] == c} == {2023}


# ---------------------------------------------------------------- GIA-16


def test_gia16_top_bottom_school_ratio(iv):
    c = "GIA-16"
    # Graduates' best ЕГЭ Russian + profile maths results per school:
    # S1: e01 50+70, e02 100+80, e03 30+20, e04 60+25, e05 72+64, e06 45+50 = 666 / 12
    #     = 55.5 (e07 is ВПЛ; annulled/worse retake rows excluded)
    # S2: e08 85+90, e09 70+60, e10 65+61, e11 78+72, e12 50+45, e13 55 = 731 / 11
    #     = 66.454545 (e14 is СПО)
    # S3: e15 88+100, e16 40+39, e17 24+27, e18 42+38, e19 61+68 = 527 / 10 = 52.7
    # S4: e21 35, e22 20 → 2 results < 10 → not ranked
    # Region: 3 schools, k = ceil(0.3) = 1: top S2, bottom S3
    s1, s2, s3 = 666 / 12, 731 / 11, 527 / 10
    for terr, top, bottom in [(R, s2, s3), (M1, s2, s1), (M2, s3, s3)]:
        # municipality 01 ranks only S1, S2; municipality 02 only S3 → ratio 1
        r = one(iv, c, terr)
        got = (num(r["numerator"]), num(r["denominator"]), num(r["value"]))
        assert math.isclose(got[0], top, abs_tol=1e-6), (terr, got, top, bottom)
        assert math.isclose(got[1], bottom, abs_tol=1e-6), (terr, got, top, bottom)
        assert math.isclose(got[2], top / bottom, abs_tol=1e-6), (terr, got, top / bottom)
        assert (r["unit"], r["direction"]) == ("раз", "↓")
    assert levels_of(iv, c) == {"region", "municipality"}
    assert {r["year"] for r in iv if r["indicator_code"] == c} == {2023}


# ---------------------------------------------------------------- shape, targets


def test_gia_targets(iv):
    # GIA-06 region 2023 → 50 (↑): 44.44 < 50 → not met
    r = one(iv, "GIA-06", R)
    assert (num(r["target_value"]), r["target_met"]) == (50.0, False)
    # GIA-06 municipality 02 → 50: value 50 ≥ 50 → met; municipality 01 has no target
    r = one(iv, "GIA-06", M2)
    assert (num(r["target_value"]), r["target_met"]) == (50.0, True)
    r = one(iv, "GIA-06", M1)
    assert (r["target_value"], r["target_met"]) == (None, None)
    # GIA-01 municipality 01, subject 2 → 10 (↓), every breakdown row with subject 2:
    # ЕГЭ все 2/13 = 15.38 no; ВТГ 2/11 = 18.18 no; ВПЛ 0/1 yes; СПО 0/1 yes; ОГЭ 1/5 = 20 no
    for exam, cat, met in [("ЕГЭ", "все", False), ("ЕГЭ", "ВТГ", False), ("ЕГЭ", "ВПЛ", True),
                           ("ЕГЭ", "СПО", True), ("ОГЭ", "все", False)]:  # fmt: skip
        r = one(iv, "GIA-01", M1, exam=exam, subject=2, cat=cat)
        assert (num(r["target_value"]), r["target_met"]) == (10.0, met), (exam, cat, r)
    share(iv, "GIA-01", M1, 2, 11, exam="ЕГЭ", subject=2, cat="ВТГ")
    share(iv, "GIA-01", M1, 1, 5, exam="ОГЭ", subject=2, cat="все")
    # other subjects / territories of GIA-01 carry no target
    r = one(iv, "GIA-01", M1, exam="ЕГЭ", subject=1, cat="все")
    assert (r["target_value"], r["target_met"]) == (None, None)
    r = one(iv, "GIA-01", S1, exam="ЕГЭ", subject=2, cat="все")
    assert (r["target_value"], r["target_met"]) == (None, None)
    # GIA-03 school S1 Russian → 60 (↑): все 447/7 = 63.86 yes; ВТГ 357/6 = 59.5 no;
    # ВПЛ 90 yes
    for cat, met in [("все", True), ("ВТГ", False), ("ВПЛ", True)]:
        r = one(iv, "GIA-03", S1, subject=1, cat=cat)
        assert (num(r["target_value"]), r["target_met"]) == (60.0, met), (cat, r)
    mean(iv, "GIA-03", S1, 90, 1, subject=1, cat="ВПЛ")
    # rows without a target have both target fields NULL
    untargeted = [
        r for r in iv
        if (r["indicator_code"], r["territory_code"]) not in
        {("GIA-06", "00"), ("GIA-06", "02"), ("GIA-01", "01"), ("GIA-03", fx.S1)}
    ]  # fmt: skip
    assert all(r["target_value"] is None and r["target_met"] is None for r in untargeted)


# Which breakdown columns each indicator uses (the rest must be NULL).
USED_DIMS = {
    "GIA-01": {"exam", "subject_code", "participant_category"},
    "GIA-02": {"subject_code", "participant_category"},
    "GIA-03": {"subject_code", "participant_category"},
    "GIA-04": {"subject_code", "participant_category"},
    "GIA-05": set(),
    "GIA-06": set(),
    "GIA-07": set(),
    "GIA-08": set(),
    "GIA-09": {"breakdown_key"},
    "GIA-10": {"exam", "participant_category"},
    "GIA-11": {"exam", "subject_code", "participant_category"},
    "GIA-12": {"exam", "subject_code"},
    "GIA-13": {"exam", "subject_code"},
    "GIA-14": {"exam"},
    "GIA-15": set(),
    "GIA-16": set(),
}


def test_gia_unused_breakdown_columns_are_null(iv):
    problems = []
    for code in GIA_CODES:
        rows = [r for r in iv if r["indicator_code"] == code]
        assert rows, f"{code}: no rows at all"
        for dim in DIMS:
            used = dim in USED_DIMS[code]
            values = {r[dim] for r in rows}
            if used and None in values:
                problems.append(f"{code}: {dim} is NULL in some rows")
            if not used and values != {None}:
                problems.append(f"{code}: {dim} should be NULL, got {sorted(values, key=str)}")
    assert not problems, problems


def test_gia_row_shape(iv):
    # one row per indicator × year × level × territory × breakdown
    keys = [
        (r["indicator_code"], r["year"], r["territory_level"], r["territory_code"])
        + tuple(r[d] for d in DIMS)
        for r in iv
    ]
    assert len(keys) == len(set(keys))
    # names come from the reference files; the region has no row there → `Регион`
    names = {(r["territory_level"], r["territory_code"], r["territory_name"]) for r in iv}
    assert names == {
        ("region", "00", "Регион"),
        ("municipality", "01", "Город Первый"),
        ("municipality", "02", "Район Второй"),
        *{("school", s[0], s[2]) for s in fx.SCHOOLS},
    }
    # units and directions
    units = {r["indicator_code"]: set() for r in iv}
    for r in iv:
        units[r["indicator_code"]].add((r["unit"], r["direction"]))
    down = {"GIA-01", "GIA-10", "GIA-14", "GIA-16"}
    for code in GIA_CODES:
        unit = {"GIA-03": "балл", "GIA-04": "чел.", "GIA-16": "раз"}.get(code, "%")
        assert units[code] == {(unit, "↓" if code in down else "↑")}, code
    # shares are within 0–100 and have a positive denominator
    for r in iv:
        if r["unit"] == "%":
            assert 0 <= num(r["value"]) <= 100 and num(r["denominator"]) > 0, r
    # S5 (only a `не явился` row) appears only in GIA-04
    assert {r["indicator_code"] for r in iv if r["territory_code"] == fx.S5} == {"GIA-04"}
    # the ВПЛ without a school never creates a school row with an empty code
    assert all(r["territory_code"] for r in iv)
