"""Hand-worked checks of the ratings RNK-01 … RNK-05 in marts.territory_ratings.

Written from shared/spec/indicators.md (Рейтинги) only. No ГИА data is loaded, so of the
default rating set only VPR-01 (grade 4, subjects 1, 2, 40), OLY-01 (total row) and CAR-01
exist; the integral index of a territory is the mean of the RNK-01 scores of the components
it has.

RNK-01: ↑ score = 100·(v − worst)/(best − worst); ↓ score = 100·(worst − v)/(worst − best);
best = worst → 100 for all. RNK-03: rank, ties share the lower place (1, 2, 2, 4).
RNK-04: оптимальный ≥ 80, допустимый 60–<80, недостаточный 40–<60, критический < 40.

Territories: municipality 01 (schools A1 010001, A2 010002), 02 (B1 020001), 03 (C1 030001).

Data (ВПР: works / marks «2», grade 4; OLY-01: regional winners & prize-winners; CAR-01:
recommendations per 100 students 6–11):

    2024      s1     s2     s40    OLY-01         CAR-01
    A1        10/2   4/1    10/1   2 (p1, p2)     30
    A2        10/2   4/1    –      1 (p3)         30     (+ grade 5 Russian 10/10: not rated)
    B1        10/1   5/0    10/1   1 (p4)         50
    C1        5/2    4/2    10/1   – (no rows)    40
    2023
    A1        5/1    5/0    –      2 (p1 ×2 subj) 50
    A2        5/1    –      –      – (no rows)    50
    B1        10/1   5/1    –      0 (участник)   60
    C1        10/3   5/1    –      2 (p7, p8)     60
"""

from __future__ import annotations

import math

import pytest

from tests.fixtures import uploads as uf
from tests.fixtures.uploads import num, share

pytestmark = pytest.mark.slow

A1, A2, B1, C1 = "010001", "010002", "020001", "030001"
MUNICIPALITIES = [
    ("01", "Город Первый", "городской округ"),
    ("02", "Район Второй", "муниципальный район"),
    ("03", "Район Третий", "муниципальный район"),
]
SCHOOLS = [
    (A1, "01", "Школа А1", "город", "муниципальная", False, False),
    (A2, "01", "Школа А2", "город", "муниципальная", False, False),
    (B1, "02", "Школа Б1", "село", "муниципальная", False, False),
    (C1, "03", "Школа В1", "село", "муниципальная", False, False),
]
ATE = {s[0]: s[1] for s in SCHOOLS}
M = {a: ("municipality", a) for a in ("01", "02", "03")}
S = {s: ("school", s) for s in (A1, A2, B1, C1)}

# (year, school, grade, subject) → (works, marks «2»)
VPR = {
    (2024, A1, 4, 1): (10, 2),
    (2024, A1, 4, 2): (4, 1),
    (2024, A1, 4, 40): (10, 1),
    (2024, A2, 4, 1): (10, 2),
    (2024, A2, 4, 2): (4, 1),
    (2024, A2, 5, 1): (10, 10),
    (2024, B1, 4, 1): (10, 1),
    (2024, B1, 4, 2): (5, 0),
    (2024, B1, 4, 40): (10, 1),
    (2024, C1, 4, 1): (5, 2),
    (2024, C1, 4, 2): (4, 2),
    (2024, C1, 4, 40): (10, 1),
    (2023, A1, 4, 1): (5, 1),
    (2023, A1, 4, 2): (5, 0),
    (2023, A2, 4, 1): (5, 1),
    (2023, B1, 4, 1): (10, 1),
    (2023, B1, 4, 2): (5, 1),
    (2023, C1, 4, 1): (10, 3),
    (2023, C1, 4, 2): (5, 1),
}

# year, school, subject, person, status — all ВсОШ региональный
OLYMPIAD = [
    (2024, A1, "Математика", "p1", "призёр"),
    (2024, A1, "Физика", "p2", "победитель"),
    (2024, A1, "Математика", "p5", "участник"),
    (2024, A2, "Химия", "p3", "призёр"),
    (2024, B1, "Математика", "p4", "победитель"),
    (2023, A1, "Математика", "p1", "призёр"),
    (2023, A1, "Физика", "p1", "призёр"),
    (2023, B1, "Математика", "p6", "участник"),
    (2023, C1, "Химия", "p7", "победитель"),
    (2023, C1, "Химия", "p8", "призёр"),
]

# (year, school) → recommendations «Билет в будущее» of 100 students 6–11
CAREER = {
    (2024, A1): 30, (2024, A2): 30, (2024, B1): 50, (2024, C1): 40,
    (2023, A1): 50, (2023, A2): 50, (2023, B1): 60, (2023, C1): 60,
}  # fmt: skip


def vpr_rows():
    for (year, school, grade, subject), (works, twos) in VPR.items():
        for i in range(works):
            mark = 2 if i < twos else 4
            yield (
                year, ATE[school], school, grade, "А", f"{grade}А{i + 1:02d}", subject,
                5 * mark, mark, None,
            )  # fmt: skip


def olympiad_rows():
    for year, school, subject, person, status in OLYMPIAD:
        yield (
            uf.school_year(year), year, "ВсОШ", "региональный", subject, 10, ATE[school],
            school, person, 30, 50, status,
        )  # fmt: skip


def career_rows():
    for (year, school), rec in CAREER.items():
        yield (
            uf.school_year(year), year, ATE[school], school, 100, 80, rec, 40, 20, 10, 15,
            3, 5, 2, 2, 1, "основной",
        )  # fmt: skip


def _load(cur):
    uf.load_reference(cur, MUNICIPALITIES, SCHOOLS)
    uf.insert(cur, "vpr_results", uf.VPR_COLUMNS, vpr_rows(), 10)
    uf.insert(cur, "olympiad_results", uf.OLYMPIAD_COLUMNS, olympiad_rows(), 20)
    uf.insert(cur, "career_reports", uf.CAREER_COLUMNS, career_rows(), 30)


@pytest.fixture(scope="module")
def warehouse_rows(pg_server, tmp_path_factory):
    dsn = uf.build_warehouse(pg_server, tmp_path_factory, "rnk", _load)
    ratings = uf.fetch(dsn, "select * from marts.territory_ratings")
    values = uf.fetch(
        dsn,
        "select * from marts.indicator_values where indicator_code in ('VPR-01', 'OLY-01',"
        " 'CAR-01')",
    )
    return ratings, values


@pytest.fixture(scope="module")
def tr(warehouse_rows):
    return warehouse_rows[0]


# ---------------------------------------------------------------- helpers

COMPONENTS = {
    "s1": dict(code="VPR-01", subject=1, grade=4),
    "s2": dict(code="VPR-01", subject=2, grade=4),
    "s40": dict(code="VPR-01", subject=40, grade=4),
    "oly": dict(code="OLY-01", subject=None, grade=None, key=None),
    "car": dict(code="CAR-01", subject=None, grade=None, key=None),
    "index": dict(code=None),
}
COLS = {"code": "indicator_code", "subject": "subject_code", "grade": "grade",
        "key": "breakdown_key"}  # fmt: skip


def _matching(tr, year, terr, comp):
    level, tcode = terr
    want = COMPONENTS[comp]
    return [
        r
        for r in tr
        if (r["year"], r["territory_level"], r["territory_code"]) == (year, level, tcode)
        and all(r[COLS[k]] == v for k, v in want.items())
    ]


def rating(tr, year, terr, comp):
    found = _matching(tr, year, terr, comp)
    if len(found) != 1:
        seen = [
            (r["indicator_code"], r["subject_code"], r["grade"], r["breakdown_key"])
            for r in tr
            if (r["year"], r["territory_level"], r["territory_code"]) == (year, *terr)
        ]
        raise AssertionError(
            f"{year} {terr} {comp}: expected one rating row, got {len(found)}; rows of that"
            f" territory (code, subject, grade, key): {seen}"
        )
    return found[0]


def no_rating(tr, year, terr, comp):
    found = _matching(tr, year, terr, comp)
    assert not found, f"{year} {terr} {comp}: expected no rating row, got {found}"


def score(tr, year, terr, comp, expected):
    r = rating(tr, year, terr, comp)
    got = num(r["score"])
    assert got is not None and math.isclose(got, expected, abs_tol=1e-6), (
        f"{year} {terr} {comp}: expected score {expected:.6f}, got {got}"
    )
    return r


def index(tr, year, terr, expected, place, light, prev_place=None):
    r = score(tr, year, terr, "index", expected)
    change = None if prev_place is None else prev_place - place
    got = (r["place"], r["traffic_light"], r["prev_place"], r["place_change"])
    assert got == (place, light, prev_place, change), (
        f"{year} {terr}: expected place {place}, {light}, prev {prev_place}, change {change};"
        f" got {got}"
    )
    return r


# ---------------------------------------------------------------- inputs


def test_rating_inputs(warehouse_rows):
    """The indicator values the ratings start from (a check of the data, not of RNK)."""
    _, iv = warehouse_rows
    # VPR-01 grade 4 Russian 2024: 01: (2+2)/(10+10); 02: 1/10; 03: 2/5
    share(iv, "VPR-01", M["01"], 4, 20, 2024, grade=4, subject=1)
    share(iv, "VPR-01", M["02"], 1, 10, 2024, grade=4, subject=1)
    share(iv, "VPR-01", M["03"], 2, 5, 2024, grade=4, subject=1)
    # grade 4 mathematics 2024: 01: (1+1)/(4+4) = 25 %; 02: 0/5; 03: 2/4
    share(iv, "VPR-01", M["01"], 2, 8, 2024, grade=4, subject=2)
    share(iv, "VPR-01", M["03"], 2, 4, 2024, grade=4, subject=2)
    # CAR-01 2024 municipality 01: (30+30)/(100+100)
    share(iv, "CAR-01", M["01"], 60, 200, 2024)
    # OLY-01 totals: 2024 01 = 3 (p1, p2, p3), 02 = 1; 2023 02 = 0 (rows, no winners)
    r = uf.one(iv, "OLY-01", M["01"], 2024, key=None, grade=None)
    assert num(r["value"]) == 3
    r = uf.one(iv, "OLY-01", M["02"], 2023, key=None, grade=None)
    assert num(r["value"]) == 0
    uf.absent(iv, "OLY-01", M["03"], 2024)


# ---------------------------------------------------------------- RNK-01


def test_rnk01_component_scores_2024(tr):
    y = 2024
    # VPR-01 (↓) grade 4 Russian: 01 20 %, 02 10 %, 03 40 % → best 10, worst 40
    score(tr, y, M["01"], "s1", 100 * (40 - 20) / (40 - 10))  # 66.666667
    score(tr, y, M["02"], "s1", 100.0)
    score(tr, y, M["03"], "s1", 0.0)
    # grade 4 maths: 01 25 %, 02 0 %, 03 50 % → best 0, worst 50
    score(tr, y, M["01"], "s2", 100 * (50 - 25) / (50 - 0))  # 50
    score(tr, y, M["02"], "s2", 100.0)
    score(tr, y, M["03"], "s2", 0.0)
    # subject 40: 10 % everywhere → best = worst → 100 for all
    for a in ("01", "02", "03"):
        score(tr, y, M[a], "s40", 100.0)
    # OLY-01 (↑) total: 01 3, 02 1; 03 has no olympiad row → no component
    score(tr, y, M["01"], "oly", 100.0)
    score(tr, y, M["02"], "oly", 0.0)
    no_rating(tr, y, M["03"], "oly")
    # CAR-01 (↑): 01 30 %, 02 50 %, 03 40 % → best 50, worst 30
    score(tr, y, M["01"], "car", 0.0)
    score(tr, y, M["02"], "car", 100.0)
    score(tr, y, M["03"], "car", 100 * (40 - 30) / (50 - 30))  # 50


def test_rnk01_component_scores_2023(tr):
    y = 2023
    # grade 4 Russian: 01 2/10 = 20 %, 02 10 %, 03 30 % → best 10, worst 30
    score(tr, y, M["01"], "s1", 100 * (30 - 20) / (30 - 10))  # 50
    score(tr, y, M["02"], "s1", 100.0)
    score(tr, y, M["03"], "s1", 0.0)
    # grade 4 maths: 01 0/5 = 0 %, 02 20 %, 03 20 % → best 0, worst 20
    score(tr, y, M["01"], "s2", 100.0)
    score(tr, y, M["02"], "s2", 0.0)
    score(tr, y, M["03"], "s2", 0.0)
    no_rating(tr, y, M["01"], "s40")  # no subject-40 works in 2023
    # OLY-01: 01 2, 02 0 (a published zero), 03 2 → best 2, worst 0
    score(tr, y, M["01"], "oly", 100.0)
    score(tr, y, M["02"], "oly", 0.0)
    score(tr, y, M["03"], "oly", 100.0)
    # CAR-01: 01 50 %, 02 60 %, 03 60 % → best 60, worst 50
    score(tr, y, M["01"], "car", 0.0)
    score(tr, y, M["02"], "car", 100.0)
    score(tr, y, M["03"], "car", 100.0)


# ---------------------------------------------------------------- RNK-02 … 04


def test_rnk02_to_04_municipalities_2023(tr):
    y = 2023
    # 01: (50 + 100 + 100 + 0)/4 = 62.5; 02: (100 + 0 + 0 + 100)/4 = 50;
    # 03: (0 + 0 + 100 + 100)/4 = 50 → places 1, 2, 2; no 2022 → no previous place
    index(tr, y, M["01"], 62.5, 1, "допустимый")
    index(tr, y, M["02"], 50.0, 2, "недостаточный")
    index(tr, y, M["03"], 50.0, 2, "недостаточный")


def test_rnk02_to_04_municipalities_2024(tr):
    y = 2024
    # 01: (66.666667 + 50 + 100 + 100 + 0)/5 = 316.666667/5 = 63.333333 → place 2
    # 02: (100 + 100 + 100 + 0 + 100)/5 = 80 → place 1, оптимальный (80 is ≥ 80)
    # 03: (0 + 0 + 100 + 50)/4 = 37.5 (no OLY component) → place 3, критический
    # previous places (2023): 01 1, 02 2, 03 2; change = prev − place
    index(tr, y, M["01"], (200 / 3 + 50 + 100 + 100 + 0) / 5, 2, "допустимый", prev_place=1)
    index(tr, y, M["02"], 80.0, 1, "оптимальный", prev_place=2)
    index(tr, y, M["03"], 37.5, 3, "критический", prev_place=2)


# ---------------------------------------------------------------- RNK-05


def test_rnk05_schools_2023(tr):
    y = 2023
    # components across the region's schools:
    #   s1: A1 20, A2 20, B1 10, C1 30 (↓, best 10, worst 30) → 50, 50, 100, 0
    #   s2: A1 0, B1 20, C1 20 (A2 none)                       → 100, 0, 0
    #   OLY-01: A1 2, B1 0, C1 2 (A2 no rows)                  → 100, 0, 100
    #   CAR-01: A1 50, A2 50, B1 60, C1 60                     → 0, 0, 100, 100
    score(tr, y, S[A1], "s1", 50.0)
    score(tr, y, S[B1], "s1", 100.0)
    score(tr, y, S[C1], "s1", 0.0)
    score(tr, y, S[C1], "oly", 100.0)
    no_rating(tr, y, S[A2], "oly")
    no_rating(tr, y, S[A2], "s2")
    # A1 (50+100+100+0)/4 = 62.5; A2 (50+0)/2 = 25; B1 (100+0+0+100)/4 = 50;
    # C1 (0+0+100+100)/4 = 50 → places 1, 4, 2, 2 (ties share the lower place)
    index(tr, y, S[A1], 62.5, 1, "допустимый")
    index(tr, y, S[B1], 50.0, 2, "недостаточный")
    index(tr, y, S[C1], 50.0, 2, "недостаточный")
    index(tr, y, S[A2], 25.0, 4, "критический")


def test_rnk05_schools_2024(tr):
    y = 2024
    #   s1: A1 20, A2 20, B1 10, C1 40 (best 10, worst 40) → 66.666667, 66.666667, 100, 0
    #   s2: A1 25, A2 25, B1 0, C1 50 (best 0, worst 50)   → 50, 50, 100, 0
    #   s40: A1 10, B1 10, C1 10                           → 100 each (best = worst)
    #   OLY-01: A1 2, A2 1, B1 1 (C1 no rows)              → 100, 0, 0
    #   CAR-01: A1 30, A2 30, B1 50, C1 40                 → 0, 0, 100, 50
    score(tr, y, S[A2], "s1", 200 / 3)
    score(tr, y, S[C1], "s2", 0.0)
    score(tr, y, S[B1], "s40", 100.0)
    score(tr, y, S[A2], "oly", 0.0)
    score(tr, y, S[C1], "car", 50.0)
    no_rating(tr, y, S[A2], "s40")
    # A1 (66.666667+50+100+100+0)/5 = 63.333333; A2 (66.666667+50+0+0)/4 = 29.166667;
    # B1 (100+100+100+0+100)/5 = 80; C1 (0+0+100+50)/4 = 37.5
    # places B1 1, A1 2, C1 3, A2 4; previous (2023) B1 2, A1 1, C1 2, A2 4
    index(tr, y, S[B1], 80.0, 1, "оптимальный", prev_place=2)
    index(tr, y, S[A1], (200 / 3 + 250) / 5, 2, "допустимый", prev_place=1)
    index(tr, y, S[C1], 37.5, 3, "критический", prev_place=2)
    index(tr, y, S[A2], (200 / 3 + 50) / 4, 4, "критический", prev_place=4)


# ---------------------------------------------------------------- shape


def test_rating_shape(tr):
    assert {r["territory_level"] for r in tr} == {"municipality", "school"}
    assert {r["year"] for r in tr} == {2023, 2024}
    # only the components of the rating set: grade 5 Russian (A2's 10/10) is not rated
    assert {r["indicator_code"] for r in tr} == {"VPR-01", "OLY-01", "CAR-01", None}
    assert {(r["grade"], r["subject_code"]) for r in tr if r["indicator_code"] == "VPR-01"} == {
        (4, 1), (4, 2), (4, 40),
    }  # fmt: skip
    # OLY-01 is rated on its total row only
    assert {r["breakdown_key"] for r in tr if r["indicator_code"] == "OLY-01"} == {None}
    # the integral index rows carry no breakdown
    for r in tr:
        if r["indicator_code"] is None:
            dims = (r["exam"], r["subject_code"], r["participant_category"], r["grade"])
            assert dims == (None, None, None, None) and r["breakdown_key"] is None
    # names from the reference files
    r = rating(tr, 2024, M["03"], "index")
    assert r["territory_name"] == "Район Третий"
    r = rating(tr, 2024, S[B1], "index")
    assert r["territory_name"] == "Школа Б1"
    # every score within 0–100
    assert all(0 <= num(r["score"]) <= 100 for r in tr)
