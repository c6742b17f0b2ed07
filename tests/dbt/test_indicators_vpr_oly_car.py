"""Hand-worked checks of VPR-01 … 04, OLY-01 … 04 and CAR-01 … 08 in marts.indicator_values.

Written from shared/spec/indicators.md, shared/spec/sources.md and docs/indicator_decisions.md
only (not from the dbt SQL). The dataset below is inserted straight into the raw tables; dbt
builds once for the module. Every expected number is counted by hand from the tables in the
comments.

Territories (no region row in municipalities → the region is `00` «Регион»):

    municipality 01 «Город Первый»:  S1 010001, S2 010002, S3 010003, S4 010004
    municipality 02 «Район Второй»:  S5 020001, S6 020002, S7 020003, S8 020004, S9 020005

S4 has no ВПР works (career and nothing else); S7, S8, S9 have no olympiad / career rows.
"""

from __future__ import annotations

import math
import statistics

import pytest

from tests.fixtures import uploads as uf
from tests.fixtures.uploads import absent, count, num, one, share

pytestmark = pytest.mark.slow

Y = 2024
S1, S2, S3, S4 = "010001", "010002", "010003", "010004"
S5, S6, S7, S8, S9 = "020001", "020002", "020003", "020004", "020005"

MUNICIPALITIES = [
    ("01", "Город Первый", "городской округ"),
    ("02", "Район Второй", "муниципальный район"),
]
SCHOOLS = [
    (S1, "01", "Школа № 1", "город", "муниципальная", False, False),
    (S2, "01", "Лицей № 2", "город", "муниципальная", False, False),
    (S3, "01", "Гимназия № 3", "город", "муниципальная", False, False),
    (S4, "01", "Школа № 4", "город", "муниципальная", False, False),
    (S5, "02", "Школа села Пятое", "село", "муниципальная", False, False),
    (S6, "02", "Школа села Шестое", "село", "муниципальная", False, True),
    (S7, "02", "Школа села Седьмое", "село", "муниципальная", True, False),
    (S8, "02", "Школа села Восьмое", "село", "муниципальная", False, False),
    (S9, "02", "Школа села Девятое", "село", "региональная", False, False),
]
ATE = {s[0]: s[1] for s in SCHOOLS}

R = ("region", "00")
M1 = ("municipality", "01")
M2 = ("municipality", "02")
T = {s: ("school", s) for s in (S1, S2, S3, S4, S5, S6, S7, S8, S9)}

TARGETS = [
    # indicator_code, year, level, territory_code, subject_code, target_value
    ("CAR-01", Y, "регион", "00", None, 38.5),
    ("CAR-01", Y, "муниципалитет", "01", None, 40),
    ("CAR-02", Y, "ОО", S1, None, 60),
    ("VPR-01", Y, "муниципалитет", "02", 1, 10),
    ("VPR-02", Y, "регион", "00", 2, 25),
    ("OLY-01", Y, "регион", "00", None, 5),
]

# ---------------------------------------------------------------- ВПР 2024
# (school, grade, subject) → (primary scores, marks, journal marks); one work per position.
# Grade 4 Russian (1): ten works in S1, S2, S3, S5, S6, S7, S8 — school means of the primary
# score 20, 20, 19, 21, 30, 20, 20 — and four in S9 (mean 37).
_N = None
VPR = {
    (S1, 4, 1): (
        [17, 18, 19, 20, 20, 20, 20, 21, 22, 23],  # mean 200/10 = 20
        [2, 3, 3, 3, 4, 4, 4, 4, 5, 5],
        [3, 3, 3, 3, 4, 4, 4, 4, 4, 5],  # пониз 1 (2<3), повыс 1 (5>4), подтв 8
    ),
    (S2, 4, 1): (
        [17, 18, 19, 20, 20, 20, 20, 21, 22, 23],  # mean 20
        [2, 2, 3, 3, 4, 4, 4, 5, 5, 5],
        [2, 3, 3, 3, 4, 4, 3, 4, 5, 4],  # пониз 1 (#2), повыс 3 (#7, #8, #10), подтв 6
    ),
    (S3, 4, 1): (
        [16, 17, 18, 19, 19, 19, 19, 20, 21, 22],  # mean 190/10 = 19
        [3, 3, 3, 3, 3, 4, 4, 4, 4, 5],
        [2, 2, 3, 3, 3, 3, 4, 4, 4, 4],  # пониз 0, повыс 4 (#1, #2, #6, #10), подтв 6
    ),
    (S5, 4, 1): (
        [18, 19, 20, 21, 21, 21, 21, 22, 23, 24],  # mean 210/10 = 21
        [2, 3, 3, 3, 4, 4, 4, 4, 4, 5],
        [_N] * 10,
    ),
    (S6, 4, 1): (
        [27, 28, 29, 30, 30, 30, 30, 31, 32, 33],  # mean 300/10 = 30 (the outlier)
        [4, 4, 5, 5, 5, 5, 5, 5, 5, 5],
        [4, 4, 5, 5, 5, _N, _N, _N, _N, _N],  # 5 with a journal mark, all подтвердили
    ),
    (S7, 4, 1): (
        [17, 18, 19, 20, 20, 20, 20, 21, 22, 23],  # mean 20
        [2, 2, 2, 3, 3, 3, 4, 4, 4, 5],
        [_N] * 10,
    ),
    (S8, 4, 1): (
        [17, 18, 19, 20, 20, 20, 20, 21, 22, 23],  # mean 20
        [3, 3, 3, 3, 4, 4, 4, 4, 4, 4],
        [_N] * 10,
    ),
    (S9, 4, 1): (
        [36, 37, 37, 38],  # mean 37, but only 4 works
        [5, 5, 5, 5],
        [_N] * 4,
    ),
    # grade 5 mathematics (2)
    (S1, 5, 2): (
        [5, 6, 8, 9, 10, 12, 13, 14, 17, 18],  # mean 11.2
        [2, 2, 3, 3, 3, 4, 4, 4, 5, 5],
        [2, 3, 3, 3, 4, 4, 4, 5, 4, 5],  # пониз 3 (#2, #5, #8), повыс 1 (#9), подтв 6
    ),
    (S2, 5, 2): (
        [8, 9, 9, 10, 12, 13, 13, 14, 17, 18],  # mean 12.3
        [3, 3, 3, 3, 4, 4, 4, 4, 5, 5],
        [3, 4, 3, 3, 4, 5, 4, 4, 5, 5],  # пониз 2 (#2, #6), повыс 0, подтв 8
    ),
    (S3, 5, 2): (
        [5, 9, 13, 14, 18],
        [2, 3, 4, 4, 5],
        [2, 2, 3, 4, 5],  # пониз 0, повыс 2 (#2, #3), подтв 3
    ),
    (S5, 5, 2): (
        [4, 5, 17],
        [2, 2, 5],
        [3, 2, _N],  # пониз 1 (#1), подтв 1 (#2); #3 has no journal mark
    ),
    # grade 4 «Окружающий мир» (40)
    (S7, 4, 40): ([8, 12, 16, 20], [2, 3, 4, 5], [_N] * 4),
}


def vpr_rows():
    for (school, grade, subject), (scores, marks, journal) in VPR.items():
        assert len(scores) == len(marks) == len(journal)
        for i, (p, m, j) in enumerate(zip(scores, marks, journal, strict=True), start=1):
            yield (Y, ATE[school], school, grade, "А", f"{grade}А{i:02d}", subject, p, m, j)


# ---------------------------------------------------------------- olympiads 2024
# event, stage, subject, grade, school (None = municipality upload), ate, person, score,
# max score, status
VS = "ВсОШ"
OLYMPIAD = [
    # ВсОШ регион
    (VS, "региональный", "Математика", 10, S1, "01", "p01", 40, 50, "победитель"),
    (VS, "региональный", "Физика", 10, S1, "01", "p01", 30, 50, "призёр"),
    (VS, "региональный", "Математика", 11, S1, "01", "p02", 20, 50, "участник"),
    (VS, "региональный", "Математика", 10, S1, "01", "p01", 40, 50, "победитель"),  # duplicate
    (VS, "региональный", "Химия", 9, S2, "01", "p03", 35, 50, "призёр"),
    (VS, "региональный", "Математика", 9, S2, "01", "p04", 45, 50, "победитель"),
    (VS, "региональный", "Математика", 11, S5, "02", "p05", 38, 50, "призёр"),
    (VS, "региональный", "Физика", 11, S6, "02", "p06", 10, 50, "участник"),
    (VS, "региональный", "Биология", 11, None, "02", "p20", 60, 100, "призёр"),
    # ВсОШ заключительный
    (VS, "заключительный", "Математика", 10, S1, "01", "p01", 20, 50, "призёр"),
    (VS, "заключительный", "Физика", 11, S6, "02", "p07", 5, 50, "участник"),
    # ВсОШ муниципальный: 75 % threshold
    (VS, "муниципальный", "Математика", 9, S1, "01", "p08", 30, 40, "участник"),  # 30 ≥ 30
    (VS, "муниципальный", "Математика", 9, S1, "01", "p09", 29, 40, "участник"),  # 29 < 30
    (VS, "муниципальный", "Математика", 10, S1, "01", "p01", 38, 40, "победитель"),
    (VS, "муниципальный", "Физика", 10, S1, "01", "p01", 36, 40, "победитель"),
    (VS, "муниципальный", "Математика", 11, S2, "01", "p10", 50, 60, "призёр"),  # 50 ≥ 45
    (VS, "муниципальный", "Математика", 11, S2, "01", "p10", 50, 60, "призёр"),  # duplicate
    (VS, "муниципальный", "Химия", 9, S5, "02", "p11", 45, 60, "призёр"),  # 45 ≥ 45
    (VS, "муниципальный", "Химия", 9, S5, "02", "p12", 44.5, 60, "участник"),  # 44.5 < 45
    (VS, "муниципальный", "Математика", 9, S3, "01", "p13", 10, 40, "участник"),  # 10 < 30
    (VS, "муниципальный", "Математика", 10, S6, "02", "p14", 7.5, 10, "призёр"),  # 7.5 ≥ 7.5
    (VS, "муниципальный", "Физика", 11, S6, "02", "p15", None, 40, "участник"),  # no score
    # ВсОШ школьный: counts nowhere
    (VS, "школьный", "Математика", 8, S3, "01", "p13", 20, 20, "победитель"),
    # other events
    ("Большие вызовы", "заключительный", "Космические технологии", 10, S2, "01", "p03",
     None, None, "участник"),
    ("Большие вызовы", "заключительный", "Биомедицина", 10, S2, "01", "p03",
     None, None, "призёр"),
    ("Большие вызовы", "отборочный", "Биомедицина", 9, S1, "01", "p09", None, None, "участник"),
    ("НТО", "заключительный", "Искусственный интеллект", 6, S1, "01", "p16",
     None, None, "победитель"),
    ("НТО", "заключительный", "Анализ данных", 9, S1, "01", "p08", None, None, "участник"),
    ("НТО", "заключительный", "Спутниковые системы", 11, S5, "02", "p05",
     None, None, "призёр"),
    ("НТО", "отборочный", "Анализ данных", 7, S6, "02", "p17", None, None, "участник"),
    ("Большая перемена", "заключительный", "Большая перемена", 8, S6, "02", "p18",
     None, None, "участник"),
    ("Сириус", "обучение завершено", "Математика", 10, S1, "01", "p01", None, None, "участник"),
    ("Сириус", "заключительный", "Химия", 9, S2, "01", "p03", None, None, "участник"),
    ("Код будущего", "обучение завершено", "Python", 8, S5, "02", "p19",
     None, None, "участник"),
    ("Код будущего", "обучение завершено", "Java", 8, S5, "02", "p19", None, None, "участник"),
]  # fmt: skip
# one row of the previous school year (2022/2023 → 2023)
OLYMPIAD_2023 = [(VS, "региональный", "Математика", 9, S1, "01", "p01", 41, 50, "призёр")]


def olympiad_rows():
    for year, rows in ((Y, OLYMPIAD), (2023, OLYMPIAD_2023)):
        for ev, stage, subj, grade, school, ate, person, score, mx, status in rows:
            yield (
                uf.school_year(year), year, ev, stage, subj, grade, ate, school, person,
                score, mx, status,
            )  # fmt: skip


# ---------------------------------------------------------------- career reports 2024
# students 6–11, БвБ participants, БвБ recommendations, Проектория, grads 9, grads 11,
# grads 9 continued, vocational completed, profile GIA choice, СПО, ВО, events, model level
CAREER = {
    S1: (200, 150, 100, 120, 40, 20, 25, 6, 15, 5, 8, 4, "продвинутый"),
    S2: (300, 200, 90, 150, 50, 30, 30, 12, 20, 6, 10, 6, "основной"),
    S3: (100, 80, 50, 40, 20, 10, 12, 3, 5, 2, 1, 1, "базовый"),
    S4: (50, 20, 10, 25, 10, 0, 4, 1, 3, 1, 0, 0, None),
    S5: (120, 100, 60, 30, 30, 15, 18, 9, 10, 4, 3, 2, "основной"),
    S6: (80, 40, 20, 40, 16, 4, 8, 2, 6, 3, 2, 3, "основной"),
}


def career_rows():
    for school, values in CAREER.items():
        yield (uf.school_year(Y), Y, ATE[school], school, *values)


def _load(cur):
    uf.load_reference(cur, MUNICIPALITIES, SCHOOLS, TARGETS)
    uf.insert(cur, "vpr_results", uf.VPR_COLUMNS, vpr_rows(), 10)
    uf.insert(cur, "olympiad_results", uf.OLYMPIAD_COLUMNS, olympiad_rows(), 20)
    uf.insert(cur, "career_reports", uf.CAREER_COLUMNS, career_rows(), 30)


@pytest.fixture(scope="module")
def iv(pg_server, tmp_path_factory):
    dsn = uf.build_warehouse(pg_server, tmp_path_factory, "voc", _load)
    return uf.fetch(
        dsn,
        "select * from marts.indicator_values where indicator_code similar to '(VPR|OLY|CAR)-%'",
    )


def rows_of(iv, code):
    return [r for r in iv if r["indicator_code"] == code]


# ================================================================ ВПР


def test_vpr01_share_of_mark_2(iv):
    c = "VPR-01"
    # grade 4 Russian: marks 2 per school — S1 1, S2 2, S3 0 | S5 1, S6 0, S7 3, S8 0, S9 0
    # works: S1 10, S2 10, S3 10 (= 30) | S5 10, S6 10, S7 10, S8 10, S9 4 (= 44)
    share(iv, c, R, 7, 74, Y, grade=4, subject=1)  # (1+2+0) + (1+0+3+0+0) = 7 / 74
    share(iv, c, M1, 3, 30, Y, grade=4, subject=1)  # 10 %
    share(iv, c, M2, 4, 44, Y, grade=4, subject=1)  # 9.090909 %
    share(iv, c, T[S1], 1, 10, Y, grade=4, subject=1)
    share(iv, c, T[S2], 2, 10, Y, grade=4, subject=1)
    share(iv, c, T[S3], 0, 10, Y, grade=4, subject=1)  # a 0 % row, not a missing one
    share(iv, c, T[S7], 3, 10, Y, grade=4, subject=1)
    share(iv, c, T[S9], 0, 4, Y, grade=4, subject=1)
    # grade 5 mathematics: S1 2/10, S2 0/10, S3 1/5 | S5 2/3
    share(iv, c, R, 5, 28, Y, grade=5, subject=2)  # (2+0+1+2) / (10+10+5+3)
    share(iv, c, M1, 3, 25, Y, grade=5, subject=2)
    share(iv, c, M2, 2, 3, Y, grade=5, subject=2)
    share(iv, c, T[S1], 2, 10, Y, grade=5, subject=2)
    share(iv, c, T[S5], 2, 3, Y, grade=5, subject=2)
    # grade 4 «Окружающий мир» (40): only S7, marks 2, 3, 4, 5 → 1/4
    share(iv, c, R, 1, 4, Y, grade=4, subject=40)
    share(iv, c, M2, 1, 4, Y, grade=4, subject=40)
    share(iv, c, T[S7], 1, 4, Y, grade=4, subject=40)
    absent(iv, c, M1, Y, subject=40)  # no works → no row (not 0)
    absent(iv, c, T[S1], Y, grade=4, subject=40)
    absent(iv, c, T[S4], Y)  # S4 has no ВПР works at all
    # breakdowns present: (4, 1), (5, 2), (4, 40) — no others
    assert {(r["grade"], r["subject_code"]) for r in find_r(iv, c)} == {(4, 1), (5, 2), (4, 40)}
    assert {r["territory_level"] for r in rows_of(iv, c)} == {"region", "municipality", "school"}


def find_r(iv, code):
    return [r for r in rows_of(iv, code) if r["territory_level"] == "region"]


def test_vpr02_share_of_mark_5(iv):
    c = "VPR-02"
    # grade 4 Russian: marks 5 — S1 2, S2 3, S3 1 | S5 1, S6 8, S7 1, S8 0, S9 4
    share(iv, c, R, 20, 74, Y, grade=4, subject=1)  # (2+3+1) + (1+8+1+0+4) = 20 / 74
    share(iv, c, M1, 6, 30, Y, grade=4, subject=1)  # 20 %
    share(iv, c, M2, 14, 44, Y, grade=4, subject=1)  # 31.818182 %
    share(iv, c, T[S6], 8, 10, Y, grade=4, subject=1)
    share(iv, c, T[S8], 0, 10, Y, grade=4, subject=1)
    share(iv, c, T[S9], 4, 4, Y, grade=4, subject=1)
    share(iv, c, T[S2], 3, 10, Y, grade=4, subject=1)
    # grade 5 mathematics: S1 2/10, S2 2/10, S3 1/5 | S5 1/3
    share(iv, c, R, 6, 28, Y, grade=5, subject=2)  # 21.428571 %
    share(iv, c, M1, 5, 25, Y, grade=5, subject=2)
    share(iv, c, M2, 1, 3, Y, grade=5, subject=2)
    share(iv, c, T[S3], 1, 5, Y, grade=5, subject=2)
    # grade 4 subject 40: one 5 of 4 works
    share(iv, c, R, 1, 4, Y, grade=4, subject=40)
    share(iv, c, T[S7], 1, 4, Y, grade=4, subject=40)
    absent(iv, c, T[S4], Y)
    assert {r["territory_level"] for r in rows_of(iv, c)} == {"region", "municipality", "school"}


def _vpr03(iv, terr, grade, subject, down, same, up):
    """The three VPR-03 rows of one territory × grade × subject among n = down+same+up works
    with a journal mark."""
    n = down + same + up
    share(iv, "VPR-03", terr, down, n, Y, grade=grade, subject=subject, key="понизили")
    share(iv, "VPR-03", terr, same, n, Y, grade=grade, subject=subject, key="подтвердили")
    share(iv, "VPR-03", terr, up, n, Y, grade=grade, subject=subject, key="повысили")


def test_vpr03_journal_marks(iv):
    # (понизили = ВПР < journal, подтвердили =, повысили = ВПР > journal), works WITH a
    # journal mark only. Grade 4 Russian: S1 (1, 8, 1), S2 (1, 6, 3), S3 (0, 6, 4),
    # S6 (0, 5, 0) — its other 5 works have no journal mark; S5, S7, S8, S9 none.
    _vpr03(iv, T[S1], 4, 1, 1, 8, 1)
    _vpr03(iv, T[S2], 4, 1, 1, 6, 3)
    _vpr03(iv, T[S3], 4, 1, 0, 6, 4)  # понизили 0/10 is a 0 % row
    _vpr03(iv, T[S6], 4, 1, 0, 5, 0)  # denominator 5, not 10
    _vpr03(iv, M1, 4, 1, 2, 20, 8)  # (1+1+0, 8+6+6, 1+3+4) of 30
    _vpr03(iv, M2, 4, 1, 0, 5, 0)  # S6 only
    _vpr03(iv, R, 4, 1, 2, 25, 8)  # of 35: 5.714286 / 71.428571 / 22.857143 %
    # no work of S5 / S7 grade 4 Russian has a journal mark → empty denominator → no rows
    absent(iv, "VPR-03", T[S5], Y, grade=4, subject=1)
    absent(iv, "VPR-03", T[S7], Y)
    # grade 5 mathematics: S1 (3, 6, 1), S2 (2, 8, 0), S3 (0, 3, 2), S5 (1, 1, 0) of 2
    _vpr03(iv, T[S1], 5, 2, 3, 6, 1)
    _vpr03(iv, T[S2], 5, 2, 2, 8, 0)
    _vpr03(iv, T[S3], 5, 2, 0, 3, 2)
    _vpr03(iv, T[S5], 5, 2, 1, 1, 0)
    _vpr03(iv, M1, 5, 2, 5, 17, 3)  # (3+2+0, 6+8+3, 1+0+2) of 25
    _vpr03(iv, M2, 5, 2, 1, 1, 0)
    _vpr03(iv, R, 5, 2, 6, 18, 3)  # of 27
    # subject 40 (S7) has no journal marks → no rows
    absent(iv, "VPR-03", R, Y, subject=40)
    assert {r["breakdown_key"] for r in rows_of(iv, "VPR-03")} == {
        "понизили", "подтвердили", "повысили",
    }  # fmt: skip
    assert {r["direction"] for r in rows_of(iv, "VPR-03")} == {None}


def test_vpr04_hand_arithmetic():
    """The premise of test_vpr04: only S6 exceeds m + 2s in grade 4 Russian."""
    means = {S1: 20, S2: 20, S3: 19, S5: 21, S6: 30, S7: 20, S8: 20}  # schools with ≥ 10 works
    for (school, grade, subject), (scores, _, _) in VPR.items():
        if (grade, subject) == (4, 1) and len(scores) >= 10:
            assert statistics.mean(scores) == means[school]
    # n = 7, Σx = 150, m = 150/7 = 21.428571; Σx² = 4·400 + 361 + 441 + 900 = 3302;
    # Σ(x−m)² = 3302 − 150²/7 = 87.714286; s² = 87.714286/6 = 14.619048; s = 3.823486;
    # m + 2s = 29.075544 < 30 (S6) and > 21 (S5, the next highest).
    m, s = statistics.mean(means.values()), statistics.stdev(means.values())
    assert math.isclose(m, 21.428571, abs_tol=1e-6)
    assert math.isclose(s, 3.823486, abs_tol=1e-6)
    assert math.isclose(m + 2 * s, 29.075544, abs_tol=1e-6)
    assert [k for k, v in means.items() if v > m + 2 * s] == [S6]
    # if S9 (4 works, mean 37) were wrongly let in: m = 187/8 = 23.375, s = 6.545,
    # m + 2s = 36.465 → S6 would not be flagged (and S9 would be).
    wrong = [*means.values(), 37]
    assert statistics.mean(wrong) + 2 * statistics.stdev(wrong) > 30


def test_vpr04_unobjective_schools(iv):
    c = "VPR-04"
    # Rule (a), works with a journal mark over all grades and subjects:
    #   S1: 10 + 10 = 20 works, повысили 1 + 1 = 2 → 10 % < 15 % → not flagged
    #   S2: 10 + 10 = 20 works, повысили 3 + 0 = 3 → 15 % ≥ 15 % → FLAGGED
    #   S3: 10 + 5 = 15 works, повысили 4 + 2 = 6 (40 %) but fewer than 20 → not flagged
    #   S5: 2 works, S6: 5 works → too few
    # Rule (b): grade 4 Russian, schools with ≥ 10 works S1 20, S2 20, S3 19, S5 21, S6 30,
    #   S7 20, S8 20 (S9 has 4 works: neither judged nor part of m, s): m = 21.428571,
    #   s = 3.823486, m + 2s = 29.075544 → S6 (30) FLAGGED (see test_vpr04_hand_arithmetic).
    #   Grade 5 maths: only S1 (11.2) and S2 (12.3) have ≥ 10 works: m = 11.75,
    #   s = 0.777817, m + 2s = 13.305635 → none. Subject 40: S7 has 4 works → none.
    # Schools with ≥ 1 work: 01: S1, S2, S3 (S4 none) | 02: S5, S6, S7, S8, S9.
    share(iv, c, R, 2, 8, Y)  # {S2, S6} of 8 → 25 %
    share(iv, c, M1, 1, 3, Y)  # {S2} of 3 → 33.333333 %
    share(iv, c, M2, 1, 5, Y)  # {S6} of 5 → 20 %
    r = one(iv, c, R, Y)
    assert (r["grade"], r["subject_code"], r["breakdown_key"]) == (None, None, None)
    assert (r["direction"], r["unit"]) == ("↓", "%")
    # levels R M only
    assert {x["territory_level"] for x in rows_of(iv, c)} == {"region", "municipality"}


# ================================================================ олимпиады


def test_oly01_regional_winners(iv):
    c = "OLY-01"
    # региональный stage, призёр/победитель, distinct (student, subject):
    #   S1: p01 Математика (twice in the file → once), p01 Физика; p02 is only участник
    #   S2: p03 Химия, p04 Математика
    #   S5: p05 Математика;  S6: p06 участник only
    #   municipality 02 upload without a school: p20 Биология
    count(iv, c, T[S1], 1, Y, key="Математика", grade=None)
    count(iv, c, T[S1], 1, Y, key="Физика", grade=None)
    count(iv, c, T[S1], 2, Y, key=None, grade=None)  # total
    count(iv, c, T[S2], 1, Y, key="Химия", grade=None)
    count(iv, c, T[S2], 2, Y, key=None, grade=None)
    count(iv, c, T[S5], 1, Y, key=None, grade=None)
    count(iv, c, T[S6], 0, Y, key=None, grade=None)  # has olympiad rows, no winners → 0
    count(iv, c, T[S3], 0, Y, key=None, grade=None)  # only школьный/муниципальный rows → 0
    count(iv, c, M1, 2, Y, key="Математика", grade=None)  # p01, p04
    count(iv, c, M1, 1, Y, key="Физика", grade=None)
    count(iv, c, M1, 1, Y, key="Химия", grade=None)
    count(iv, c, M1, 4, Y, key=None, grade=None)  # 2 + 1 + 1
    count(iv, c, M2, 1, Y, key="Математика", grade=None)  # p05
    count(iv, c, M2, 1, Y, key="Биология", grade=None)  # p20 (no school)
    count(iv, c, M2, 2, Y, key=None, grade=None)
    count(iv, c, R, 3, Y, key="Математика", grade=None)  # p01, p04, p05
    count(iv, c, R, 1, Y, key="Физика", grade=None)
    count(iv, c, R, 1, Y, key="Химия", grade=None)
    count(iv, c, R, 1, Y, key="Биология", grade=None)
    count(iv, c, R, 6, Y, key=None, grade=None)  # 3 + 1 + 1 + 1
    # schools with no olympiad row in the year get no row at all
    for s in (S4, S7, S8, S9):
        absent(iv, c, T[s], Y)
    # 2023: the one row of 2022/2023 (p01 Математика призёр at S1)
    count(iv, c, R, 1, 2023, key=None, grade=None)
    count(iv, c, M1, 1, 2023, key=None, grade=None)
    count(iv, c, T[S1], 1, 2023, key="Математика", grade=None)
    absent(iv, c, T[S2], 2023)
    assert {r["subject_code"] for r in rows_of(iv, c)} == {None}


def test_oly02_final_stage(iv):
    c = "OLY-02"
    # ВсОШ заключительный: p01 Математика (S1), p07 Физика (S6). The Большие вызовы
    # заключительный rows of S2 are not ВсОШ.
    count(iv, c, T[S1], 1, Y, key="Математика", grade=None)
    count(iv, c, T[S1], 1, Y, key=None, grade=None)
    count(iv, c, T[S6], 1, Y, key="Физика", grade=None)
    count(iv, c, T[S6], 1, Y, key=None, grade=None)
    count(iv, c, T[S2], 0, Y, key=None, grade=None)  # has rows, none at the ВсОШ final
    count(iv, c, T[S5], 0, Y, key=None, grade=None)
    count(iv, c, M1, 1, Y, key=None, grade=None)
    count(iv, c, M2, 1, Y, key=None, grade=None)
    count(iv, c, R, 1, Y, key="Математика", grade=None)
    count(iv, c, R, 1, Y, key="Физика", grade=None)
    count(iv, c, R, 2, Y, key=None, grade=None)
    absent(iv, c, R, Y, key="Космические технологии")
    absent(iv, c, T[S9], Y)


def test_oly03_municipal_stage_75_percent(iv):
    c = "OLY-03"
    # муниципальный, Балл ≥ 0.75 × Максимальный балл, distinct (student, subject):
    #   S1: p08 Математика 9 (30 ≥ 0.75·40 = 30 ✓), p09 (29 ✗), p01 Математика 10 (38 ✓),
    #       p01 Физика 10 (36 ✓) → 3
    #   S2: p10 Математика 11 (50 ≥ 45 ✓, listed twice → once) → 1
    #   S3: p13 Математика 9 (10 ✗) → 0
    #   S5: p11 Химия 9 (45 ≥ 45 ✓), p12 (44.5 ✗) → 1
    #   S6: p14 Математика 10 (7.5 ≥ 7.5 ✓), p15 Физика 11 (no score ✗) → 1
    count(iv, c, T[S1], 1, Y, key="Математика", grade=9)
    count(iv, c, T[S1], 1, Y, key="Математика", grade=10)
    count(iv, c, T[S1], 1, Y, key="Физика", grade=10)
    count(iv, c, T[S1], 3, Y, key=None, grade=None)
    count(iv, c, T[S2], 1, Y, key="Математика", grade=11)
    count(iv, c, T[S2], 1, Y, key=None, grade=None)
    count(iv, c, T[S3], 0, Y, key=None, grade=None)
    count(iv, c, T[S5], 1, Y, key="Химия", grade=9)
    count(iv, c, T[S5], 1, Y, key=None, grade=None)
    count(iv, c, T[S6], 1, Y, key="Математика", grade=10)
    count(iv, c, T[S6], 1, Y, key=None, grade=None)
    # municipality 01: Мат 9 1, Мат 10 1, Физ 10 1, Мат 11 1 → 4
    count(iv, c, M1, 1, Y, key="Математика", grade=9)
    count(iv, c, M1, 1, Y, key="Математика", grade=11)
    count(iv, c, M1, 4, Y, key=None, grade=None)
    # municipality 02: Хим 9 1, Мат 10 1 → 2
    count(iv, c, M2, 1, Y, key="Химия", grade=9)
    count(iv, c, M2, 1, Y, key="Математика", grade=10)
    count(iv, c, M2, 2, Y, key=None, grade=None)
    # region: Мат 9 1 (p08), Мат 10 2 (p01, p14), Физ 10 1, Мат 11 1, Хим 9 1 → 6
    count(iv, c, R, 1, Y, key="Математика", grade=9)
    count(iv, c, R, 2, Y, key="Математика", grade=10)
    count(iv, c, R, 1, Y, key="Физика", grade=10)
    count(iv, c, R, 1, Y, key="Математика", grade=11)
    count(iv, c, R, 1, Y, key="Химия", grade=9)
    count(iv, c, R, 6, Y, key=None, grade=None)
    # grades outside 9–11 never appear; subject rows carry a grade
    graded = [r for r in rows_of(iv, c) if r["breakdown_key"] is not None]
    assert {r["grade"] for r in graded if r["grade"] is not None} <= {9, 10, 11}
    # non-zero subject rows all carry a grade (the per-subject rows are subject × grade)
    assert all(r["grade"] is not None for r in graded if num(r["value"]) > 0)


def test_oly04_events(iv):
    c = "OLY-04"
    # distinct students per event: заключительный for Большие вызовы / НТО / Большая
    # перемена, обучение завершено for Сириус / Код будущего.
    #   S1: НТО p16 (6 кл.), p08 (9 кл.) → НТО 2, НТО 5-7 1, НТО 8-11 1; Сириус p01 → 1
    #       (p09's Большие вызовы row is отборочный)
    #   S2: Большие вызовы p03 in two tracks → 1 student (p03's Сириус row is заключительный,
    #       not обучение завершено → not counted)
    #   S5: НТО p05 (11 кл.) → 1, НТО 8-11 1; Код будущего p19 in two tracks → 1
    #   S6: Большая перемена p18 → 1 (p17's НТО row is отборочный)
    count(iv, c, T[S1], 2, Y, key="НТО")
    count(iv, c, T[S1], 1, Y, key="НТО 5-7")
    count(iv, c, T[S1], 1, Y, key="НТО 8-11")
    count(iv, c, T[S1], 1, Y, key="Сириус")
    count(iv, c, T[S2], 1, Y, key="Большие вызовы")
    count(iv, c, T[S5], 1, Y, key="НТО")
    count(iv, c, T[S5], 1, Y, key="НТО 8-11")
    count(iv, c, T[S5], 1, Y, key="Код будущего")
    count(iv, c, T[S6], 1, Y, key="Большая перемена")
    count(iv, c, M1, 1, Y, key="Большие вызовы")
    count(iv, c, M1, 2, Y, key="НТО")
    count(iv, c, M1, 1, Y, key="НТО 5-7")
    count(iv, c, M1, 1, Y, key="НТО 8-11")
    count(iv, c, M1, 1, Y, key="Сириус")
    count(iv, c, M2, 1, Y, key="НТО")
    count(iv, c, M2, 1, Y, key="НТО 8-11")
    count(iv, c, M2, 1, Y, key="Код будущего")
    count(iv, c, M2, 1, Y, key="Большая перемена")
    count(iv, c, R, 1, Y, key="Большие вызовы")
    count(iv, c, R, 3, Y, key="НТО")  # p16, p08, p05
    count(iv, c, R, 1, Y, key="НТО 5-7")
    count(iv, c, R, 2, Y, key="НТО 8-11")
    count(iv, c, R, 1, Y, key="Большая перемена")
    count(iv, c, R, 1, Y, key="Сириус")
    count(iv, c, R, 1, Y, key="Код будущего")
    # a zero, if published, is a zero (S2 has no completed Сириус programme)
    for r in uf.find(iv, c, T[S2], Y, key="Сириус"):
        assert num(r["value"]) == 0
    keys = {r["breakdown_key"] for r in rows_of(iv, c)}
    assert keys <= {
        "Большие вызовы", "НТО", "НТО 5-7", "НТО 8-11", "Большая перемена", "Сириус",
        "Код будущего",
    }  # fmt: skip
    absent(iv, c, T[S9], Y)


# ================================================================ профориентация


def test_car01_bvb_recommendations(iv):
    c = "CAR-01"
    # Σ recommendations / Σ students 6–11: 01: (100+90+50+10)/(200+300+100+50) = 250/650;
    # 02: (60+20)/(120+80) = 80/200; region 330/850
    share(iv, c, R, 330, 850, Y)  # 38.823529 %
    share(iv, c, M1, 250, 650, Y)  # 38.461538 %
    share(iv, c, M2, 80, 200, Y)  # 40 %
    share(iv, c, T[S1], 100, 200, Y)
    share(iv, c, T[S4], 10, 50, Y)
    share(iv, c, T[S6], 20, 80, Y)
    absent(iv, c, T[S7], Y)  # no report


def test_car02_proektoria(iv):
    c = "CAR-02"
    # 01: (120+150+40+25)/650 = 335/650; 02: (30+40)/200 = 70/200; region 405/850
    share(iv, c, R, 405, 850, Y)  # 47.647059 %
    share(iv, c, M1, 335, 650, Y)  # 51.538462 %
    share(iv, c, M2, 70, 200, Y)  # 35 %
    share(iv, c, T[S1], 120, 200, Y)
    share(iv, c, T[S5], 30, 120, Y)


def test_car03_vocational_training(iv):
    c = "CAR-03"
    # Σ completed / Σ (grads 9 + grads 11): S1 6/60, S2 12/80, S3 3/30, S4 1/(10+0),
    # S5 9/45, S6 2/20 → 01: 22/180, 02: 11/65, region 33/245
    share(iv, c, R, 33, 245, Y)  # 13.469388 %
    share(iv, c, M1, 22, 180, Y)  # 12.222222 %
    share(iv, c, M2, 11, 65, Y)  # 16.923077 %
    share(iv, c, T[S2], 12, 80, Y)
    share(iv, c, T[S4], 1, 10, Y)


def test_car04_continued_to_10th(iv):
    c = "CAR-04"
    # Σ continued / Σ grads 9: 01: (25+30+12+4)/(40+50+20+10) = 71/120; 02: (18+8)/(30+16)
    share(iv, c, R, 97, 166, Y)  # 58.433735 %
    share(iv, c, M1, 71, 120, Y)  # 59.166667 %
    share(iv, c, M2, 26, 46, Y)  # 56.521739 %
    share(iv, c, T[S1], 25, 40, Y)
    share(iv, c, T[S6], 8, 16, Y)


def test_car05_profile_subjects(iv):
    c = "CAR-05"
    # Σ: S1 15, S2 20, S3 5, S4 3 → 43; S5 10, S6 6 → 16; region 59
    count(iv, c, R, 59, Y)
    count(iv, c, M1, 43, Y)
    count(iv, c, M2, 16, Y)
    count(iv, c, T[S2], 20, Y)
    count(iv, c, T[S4], 3, Y)
    absent(iv, c, T[S8], Y)


def test_car06_admitted_by_profile(iv):
    c = "CAR-06"
    # СПО: S1 5, S2 6, S3 2, S4 1 → 14; S5 4, S6 3 → 7; region 21
    # ВО:  S1 8, S2 10, S3 1, S4 0 → 19; S5 3, S6 2 → 5; region 24
    count(iv, c, R, 21, Y, key="СПО")
    count(iv, c, R, 24, Y, key="ВО")
    count(iv, c, M1, 14, Y, key="СПО")
    count(iv, c, M1, 19, Y, key="ВО")
    count(iv, c, M2, 7, Y, key="СПО")
    count(iv, c, M2, 5, Y, key="ВО")
    count(iv, c, T[S1], 5, Y, key="СПО")
    count(iv, c, T[S1], 8, Y, key="ВО")
    count(iv, c, T[S4], 0, Y, key="ВО")  # a reported zero
    assert {r["breakdown_key"] for r in rows_of(iv, c)} == {"СПО", "ВО"}
    assert len(uf.find(iv, c, R, Y)) == 2


def test_car07_model_levels(iv):
    c = "CAR-07"
    # schools per level: 01: продвинутый S1, основной S2, базовый S3 (S4 empty → none);
    # 02: основной S5, S6; базовый 0, продвинутый 0. Region: базовый 1, основной 3,
    # продвинутый 1.
    count(iv, c, R, 1, Y, key="базовый")
    count(iv, c, R, 3, Y, key="основной")
    count(iv, c, R, 1, Y, key="продвинутый")
    count(iv, c, M1, 1, Y, key="базовый")
    count(iv, c, M1, 1, Y, key="основной")
    count(iv, c, M1, 1, Y, key="продвинутый")
    count(iv, c, M2, 0, Y, key="базовый")
    count(iv, c, M2, 2, Y, key="основной")
    count(iv, c, M2, 0, Y, key="продвинутый")
    assert {r["breakdown_key"] for r in rows_of(iv, c)} == {"базовый", "основной", "продвинутый"}
    assert {r["territory_level"] for r in rows_of(iv, c)} == {"region", "municipality"}
    assert {r["unit"] for r in rows_of(iv, c)} == {"ед."}


def test_car08_enterprise_events(iv):
    c = "CAR-08"
    # Σ: S1 4, S2 6, S3 1, S4 0 → 11; S5 2, S6 3 → 5; region 16
    count(iv, c, R, 16, Y)
    count(iv, c, M1, 11, Y)
    count(iv, c, M2, 5, Y)
    count(iv, c, T[S2], 6, Y)
    count(iv, c, T[S4], 0, Y)  # a reported zero
    assert {r["unit"] for r in rows_of(iv, c)} == {"ед."}


# ================================================================ shape, targets


def test_row_shape(iv):
    expected_units = {
        **{f"VPR-0{i}": "%" for i in (1, 2, 3, 4)},
        **{f"OLY-0{i}": "чел." for i in (1, 2, 3, 4)},
        **{f"CAR-0{i}": "%" for i in (1, 2, 3, 4)},
        "CAR-05": "чел.", "CAR-06": "чел.", "CAR-07": "ед.", "CAR-08": "ед.",
    }  # fmt: skip
    directions = {code: "↑" for code in expected_units} | {"VPR-01": "↓", "VPR-04": "↓"}
    directions["VPR-03"] = None
    for code, unit in expected_units.items():
        rows = rows_of(iv, code)
        assert rows, f"{code}: no rows"
        assert {r["unit"] for r in rows} == {unit}, code
        assert {r["direction"] for r in rows} == {directions[code]}, code
        # no exam / category dimension for these sources
        assert {r["exam"] for r in rows} == {None}, code
        assert {r["participant_category"] for r in rows} == {None}, code
        if code.startswith(("OLY", "CAR")):
            assert {r["subject_code"] for r in rows} == {None}, code
        if code.startswith("CAR") and code not in ("CAR-06", "CAR-07"):
            assert {r["breakdown_key"] for r in rows} == {None}, code
            assert {r["grade"] for r in rows} == {None}, code
    # territory names from the reference files; no region row → «Регион»
    assert one(iv, "CAR-01", R, Y)["territory_name"] == "Регион"
    assert one(iv, "CAR-01", M2, Y)["territory_name"] == "Район Второй"
    assert one(iv, "CAR-01", T[S3], Y)["territory_name"] == "Гимназия № 3"
    # only the years of the data: 2024, and 2023 for the one olympiad row of 2022/2023
    assert {r["year"] for r in iv} == {2023, 2024}
    assert not [r for r in iv if r["year"] == 2023 and not r["indicator_code"].startswith("OLY")]
    # shares only where the denominator is not empty
    assert not [r for r in iv if num(r["denominator"]) == 0]


def test_targets(iv):
    def target(code, terr, **dims):
        r = one(iv, code, terr, Y, **dims)
        return num(r["target_value"]), r["target_met"]

    # CAR-01 region → 38.5: value 38.823529 ≥ 38.5 (↑) → met
    assert target("CAR-01", R) == (38.5, True)
    # CAR-01 municipality 01 → 40: 38.461538 < 40 → not met; municipality 02 has no target
    assert target("CAR-01", M1) == (40.0, False)
    assert target("CAR-01", M2) == (None, None)
    # CAR-02 school S1 → 60: 120/200 = 60 ≥ 60 → met (boundary)
    assert target("CAR-02", T[S1]) == (60.0, True)
    # VPR-01 (↓) municipality 02 subject 1 → 10: grade 4 Russian 9.090909 ≤ 10 → met;
    # subject 2 of municipality 02 carries no target
    assert target("VPR-01", M2, grade=4, subject=1) == (10.0, True)
    assert target("VPR-01", M2, grade=5, subject=2) == (None, None)
    # VPR-02 (↑) region subject 2 → 25: grade 5 maths 6/28 = 21.428571 < 25 → not met
    assert target("VPR-02", R, grade=5, subject=2) == (25.0, False)
    assert target("VPR-02", R, grade=4, subject=1) == (None, None)
    # OLY-01 region (no subject) → 5: total 6 ≥ 5 → met
    assert target("OLY-01", R, key=None, grade=None) == (5.0, True)
    # an indicator without a target
    assert target("CAR-03", R) == (None, None)
    assert all(r["target_met"] is None for r in rows_of(iv, "VPR-03"))


def test_every_indicator_published(iv):
    codes = {r["indicator_code"] for r in iv}
    expected = {f"VPR-0{i}" for i in range(1, 5)} | {f"OLY-0{i}" for i in range(1, 5)}
    expected |= {f"CAR-0{i}" for i in range(1, 9)}
    assert codes == expected
    # no indicator of these families publishes a school row where the catalogue says R M
    for code in ("VPR-04", "CAR-07"):
        assert not uf.find(iv, code, T[S1], Y)
