"""dbt build of the whole project on a small multi-school, multi-year ГИА dataset.

Checks that `orchestration.dbt_runner.build()` succeeds (models, seeds, data tests and unit
tests), that the two public marts have their contract columns and types, that every code
GIA-01 … GIA-16 is published, and a few values worked out by hand below.

Dataset (raw tables, already pseudonymised), municipalities 01 (schools A1, A2) and 02 (B1):

ЕГЭ 2024, all ВТГ unless noted; (score) = test score, Russian (1) / profile maths (2):

    A1  a1 1:90 2:80 3:100    a2 1:80 2:70 3:75    a3 1:70 2:60
        a4 1:60 2:50          a5 1:50 2:35 (основной 20 → резервный 35)
    A2  b1 … b5 1:70 2:50; b1 also 4:30 (below the minimum 36)
    B1  c1 1:40 2:30   c2 1:45 2:35 (4:90 аннулирован)   c3 1:50 2:40
        c4 1:55 2:45   c5 1:23 2:27 (23 < 24: below the minimum; 27 = minimum: not below)
    --  v1 ВПЛ, municipality 02, no school: 1:85
    a1's Russian sitting is loaded twice (a newer load with the same sitting): counts once.

ОГЭ 2022: a1 1:5 2:5 3:5, a2 1:4 2:4 4:4, c1 1:3 2:3 6:3 (for GIA-15 in 2024).
ОГЭ 2024: n1 (A1) 1:5 2:4 6:3, n2 (B1) 1:2 2:3 8:3.
ЕГЭ 2023: the 2024 pattern with other persons, A1 five points lower, B1 five points higher
(gives the ratings a previous year).
"""

from __future__ import annotations

import math
import re

import psycopg2
import psycopg2.extras
import pytest
import yaml

from ingestion.config import DBT_PROJECT_DIR
from ingestion.db import connect, ensure_schema
from sources import raw_columns
from tests.fixtures.gia import GIA_COLUMNS as GIA_TYPED_COLUMNS
from tests.fixtures.pg import copy_rows

pytestmark = pytest.mark.slow

VALID = "действителен"
STAGE_DATE = {"досрочный": "03-20", "основной": "06-01", "резервный": "06-20"}
SCHOOL_ATE = {"A1": "01", "A2": "01", "B1": "02"}

GIA_COLUMNS = ["load_id", "source_row", *GIA_TYPED_COLUMNS]  # fmt: skip

INDICATOR_VALUES_CONTRACT = [
    ("indicator_code", "text"),
    ("year", "integer"),
    ("territory_level", "text"),
    ("territory_code", "text"),
    ("territory_name", "text"),
    ("exam", "text"),
    ("subject_code", "integer"),
    ("participant_category", "text"),
    ("grade", "integer"),
    ("breakdown_key", "text"),
    ("numerator", "numeric"),
    ("denominator", "numeric"),
    ("value", "numeric"),
    ("unit", "text"),
    ("direction", "text"),
    ("target_value", "numeric"),
    ("target_met", "boolean"),
]

TERRITORY_RATINGS_CONTRACT = [
    ("year", "integer"),
    ("territory_level", "text"),
    ("territory_code", "text"),
    ("territory_name", "text"),
    ("indicator_code", "text"),
    ("exam", "text"),
    ("subject_code", "integer"),
    ("participant_category", "text"),
    ("grade", "integer"),
    ("breakdown_key", "text"),
    ("score", "numeric"),
    ("place", "integer"),
    ("prev_place", "integer"),
    ("place_change", "integer"),
    ("traffic_light", "text"),
]


class Rows:
    """Collects raw.gia_results rows with running source_row numbers per load."""

    def __init__(self):
        self.rows: list[tuple] = []
        self._next_row: dict[int, int] = {}

    def add(self, person, school, subject, score, *, year=2024, level=11, form=None,
            category="ВТГ", stage="основной", status=VALID, load=1, ate=None):  # fmt: skip
        form = form or ("ЕГЭ" if level == 11 else "ОГЭ")
        test_scored = form == "ЕГЭ" and subject != 22
        row_no = self._next_row.get(load, 0) + 1
        self._next_row[load] = row_no
        self.rows.append(
            (
                load,
                row_no,
                level,
                year,
                stage,
                f"{year}-{STAGE_DATE[stage]}",
                form,
                ate or SCHOOL_ATE[school],
                school,
                category,
                person,
                subject,
                None,
                score // 2 if test_scored else score * 5,
                score if test_scored else None,
                None if test_scored else score,
                status,
            )
        )


def _dataset() -> Rows:
    r = Rows()
    for year, shift in ((2024, {"A1": 0, "A2": 0, "B1": 0}), (2023, {"A1": -5, "A2": 0, "B1": 5})):
        p = "" if year == 2024 else "y23_"
        a1, a2, b1 = shift["A1"], shift["A2"], shift["B1"]
        # school A1
        for person, rus, maths in (("a1", 90, 80), ("a2", 80, 70), ("a3", 70, 60), ("a4", 60, 50)):
            r.add(p + person, "A1", 1, rus + a1, year=year)
            r.add(p + person, "A1", 2, maths + a1, year=year)
        r.add(p + "a5", "A1", 1, 50 + a1, year=year)
        r.add(p + "a5", "A1", 2, 20 + a1, year=year)
        r.add(p + "a5", "A1", 2, 35 + a1, year=year, stage="резервный")
        r.add(p + "a1", "A1", 3, 100 + min(a1, 0), year=year)
        r.add(p + "a2", "A1", 3, 75 + a1, year=year)
        # school A2
        for i in range(1, 6):
            r.add(f"{p}b{i}", "A2", 1, 70 + a2, year=year)
            r.add(f"{p}b{i}", "A2", 2, 50 + a2, year=year)
        r.add(p + "b1", "A2", 4, 30 + a2, year=year)
        # school B1
        for i, (rus, maths) in enumerate(((40, 30), (45, 35), (50, 40), (55, 45), (23, 27)), 1):
            r.add(f"{p}c{i}", "B1", 1, rus + (b1 if i < 5 else 0), year=year)
            r.add(f"{p}c{i}", "B1", 2, maths + (b1 if i < 5 else 0), year=year)
        r.add(p + "c2", "B1", 4, 90, year=year, status="аннулирован")
        # a past-year graduate without a school
        r.add(p + "v1", None, 1, 85, year=year, category="ВПЛ", ate="02")
    # the same sitting of a1 (Russian, 2024) in a newer load: counts once
    r.add("a1", "A1", 1, 90, load=2)
    # ОГЭ 2022 of three 2024 ЕГЭ graduates
    for person, school, marks in (
        ("a1", "A1", {1: 5, 2: 5, 3: 5}),
        ("a2", "A1", {1: 4, 2: 4, 4: 4}),
        ("c1", "B1", {1: 3, 2: 3, 6: 3}),
    ):
        for subject, mark in marks.items():
            r.add(person, school, subject, mark, year=2022, level=9)
    # ОГЭ 2024
    for person, school, marks in (
        ("n1", "A1", {1: 5, 2: 4, 6: 3}),
        ("n2", "B1", {1: 2, 2: 3, 8: 3}),
    ):
        for subject, mark in marks.items():
            r.add(person, school, subject, mark, year=2024, level=9)
    return r


def _load(dsn: str) -> None:
    conn = connect(dsn)
    with conn:
        ensure_schema(conn)
        with conn.cursor() as cur:
            copy_rows(
                cur,
                "raw.municipalities",
                ["load_id", "source_row", "ate_code", "name", "type"],
                [
                    (10, 1, "00", "Тестовый край", None),
                    (10, 2, "01", "Город Альфа", "городской округ"),
                    (10, 3, "02", "Район Бета", "муниципальный район"),
                ],
            )
            copy_rows(
                cur,
                "raw.schools",
                raw_columns("schools")[:-1],
                [
                    (11, 1, "A1", "01", "Школа А1", "город", "муниципальная", False, False),
                    (11, 2, "A2", "01", "Школа А2", "город", "муниципальная", False, False),
                    (11, 3, "B1", "02", "Школа Б1", "село", "муниципальная", True, False),
                ],
            )
            copy_rows(
                cur,
                "raw.targets",
                raw_columns("targets")[:-1],
                [(12, 1, "GIA-06", 2024, "регион", "00", None, 60)],
            )
            copy_rows(cur, "raw.gia_results", GIA_COLUMNS, _dataset().rows)
    conn.close()


@pytest.fixture
def built(warehouse):
    from orchestration.dbt_runner import build

    _load(warehouse)
    build(warehouse)  # raises DbtError if any model, seed, data test or unit test fails
    conn = psycopg2.connect(warehouse)
    yield conn
    conn.close()


def _columns(conn, table: str) -> list[tuple[str, str]]:
    with conn.cursor() as cur:
        cur.execute(
            "select column_name, data_type from information_schema.columns"
            " where table_schema = 'marts' and table_name = %s order by ordinal_position",
            (table,),
        )
        return cur.fetchall()


def _rows(conn, sql: str, params=()) -> list[dict]:
    with conn.cursor(cursor_factory=psycopg2.extras.RealDictCursor) as cur:
        cur.execute(sql, params)
        return [dict(r) for r in cur.fetchall()]


def _one(conn, code, level, territory, year=2024, **dims) -> dict:
    where = ["indicator_code = %s", "year = %s", "territory_level = %s", "territory_code = %s"]
    params: list = [code, year, level, territory]
    for dim in ("exam", "subject_code", "participant_category", "grade", "breakdown_key"):
        value = dims.get(dim)
        if value is None:
            where.append(f"{dim} is null")
        else:
            where.append(f"{dim} = %s")
            params.append(value)
    rows = _rows(conn, "select * from marts.indicator_values where " + " and ".join(where), params)
    assert len(rows) == 1, (code, level, territory, dims, rows)
    return rows[0]


def _close(actual, expected) -> bool:
    return actual is not None and math.isclose(float(actual), expected, abs_tol=1e-6)


def test_dbt_build_publishes_the_contract_and_hand_worked_values(built):
    conn = built

    # the public contract: columns, order and types
    assert _columns(conn, "indicator_values") == INDICATOR_VALUES_CONTRACT
    assert _columns(conn, "territory_ratings") == TERRITORY_RATINGS_CONTRACT

    # every ГИА indicator is published
    codes = {
        r["indicator_code"]
        for r in _rows(conn, "select distinct indicator_code from marts.indicator_values")
    }
    assert {f"GIA-{i:02d}" for i in range(1, 17)} <= codes

    # territory names; the region's comes from the municipalities file's 00 row
    region = _one(conn, "GIA-06", "region", "00")
    assert region["territory_name"] == "Тестовый край"
    assert _one(conn, "GIA-06", "school", "A1")["territory_name"] == "Школа А1"

    # GIA-03, region, Russian, all categories: a 350 + b 350 + c 213 + v1 85 = 998 over 16
    # results (a1's duplicated sitting counts once); graduates only: 913 / 15
    g03 = _one(conn, "GIA-03", "region", "00", subject_code=1, participant_category="все")
    assert (g03["numerator"], g03["denominator"]) == (998, 16)
    assert _close(g03["value"], 62.375)
    g03_vtg = _one(conn, "GIA-03", "region", "00", subject_code=1, participant_category="ВТГ")
    assert _close(g03_vtg["value"], 913 / 15)

    # GIA-01 ЕГЭ: Russian c5 23 < 24 → 1 of 16; maths: a5's best is 35 (retake), c5 27 = min
    g01 = _one(
        conn, "GIA-01", "region", "00", exam="ЕГЭ", subject_code=1, participant_category="все"
    )
    assert (g01["numerator"], g01["denominator"]) == (1, 16) and _close(g01["value"], 6.25)
    g01m = _one(
        conn, "GIA-01", "region", "00", exam="ЕГЭ", subject_code=2, participant_category="все"
    )
    assert (g01m["numerator"], g01m["denominator"]) == (0, 15)

    # GIA-06: a1 270 ✓, a2 225 ✓, b1 70+50+30 = 150 ✗ → 2 / 3; target 60 (↑) is met
    assert (region["numerator"], region["denominator"]) == (2, 3)
    assert _close(region["value"], 200 / 3)
    assert _close(region["target_value"], 60) and region["target_met"] is True

    # GIA-04: a1's 100 in physics; zero published for school B1 (it has fis_gia/ege rows)
    assert (
        _one(conn, "GIA-04", "region", "00", subject_code=3, participant_category="все")["value"]
        == 1
    )
    b1_zero = _one(conn, "GIA-04", "school", "B1", subject_code=3, participant_category="все")
    assert b1_zero["value"] == 0 and b1_zero["denominator"] is None

    # GIA-15: ЕГЭ graduates of 2024 with ОГЭ in 2022: a1 (physics both times ✓), a2, c1
    assert _close(_one(conn, "GIA-15", "region", "00")["value"], 100 / 3)
    assert _close(_one(conn, "GIA-15", "municipality", "01")["value"], 50)
    assert _close(_one(conn, "GIA-15", "municipality", "02")["value"], 0)

    # GIA-16: school means (Russian + maths, 10 results each): A1 645/10 = 64.5, A2 60,
    # B1 390/10 = 39; k = ceil(0.3) = 1 → region 64.5 / 39; municipality 01: 64.5 / 60
    g16 = _one(conn, "GIA-16", "region", "00")
    assert _close(g16["numerator"], 64.5) and _close(g16["denominator"], 39)
    assert _close(g16["value"], 64.5 / 39)
    assert _close(_one(conn, "GIA-16", "municipality", "01")["value"], 64.5 / 60)
    assert _close(_one(conn, "GIA-16", "municipality", "02")["value"], 1)

    # GIA-12 has no region row, GIA-15 / GIA-16 no school rows
    levels = {
        (r["indicator_code"], r["territory_level"])
        for r in _rows(
            conn, "select distinct indicator_code, territory_level from marts.indicator_values"
        )
    }
    assert ("GIA-12", "region") not in levels
    assert ("GIA-15", "school") not in levels and ("GIA-16", "school") not in levels

    # ratings: both municipalities and all three schools rated in 2024, with 2023's places
    integral = _rows(
        conn,
        "select * from marts.territory_ratings where year = 2024 and indicator_code is null"
        " order by territory_level, territory_code",
    )
    assert [(r["territory_level"], r["territory_code"]) for r in integral] == [
        ("municipality", "01"),
        ("municipality", "02"),
        ("school", "A1"),
        ("school", "A2"),
        ("school", "B1"),
    ]
    for r in integral:
        assert 0 <= r["score"] <= 100 and r["traffic_light"] is not None
        assert r["prev_place"] is not None
        assert r["place_change"] == r["prev_place"] - r["place"]

    _check_every_model_and_column_documented(conn)


def _check_every_model_and_column_documented(conn) -> None:
    """Every model has one entry, with a description, in the _<folder>__models.yml of its
    folder (indicators/ belong to their family's folder), and that entry documents every
    column of the built relation, each with a description, and no other column."""
    models_dir = DBT_PROJECT_DIR / "models"
    documented: dict[str, tuple] = {}
    for yml in sorted(models_dir.rglob("*.yml")):
        for model in yaml.safe_load(yml.read_text(encoding="utf-8")).get("models") or []:
            assert model["name"] not in documented, f"{model['name']} documented twice"
            documented[model["name"]] = (yml, model)
    with conn.cursor() as cur:
        cur.execute(
            "select table_name, column_name from information_schema.columns"
            " where table_schema in ('staging', 'intermediate', 'marts')"
        )
        built_columns: dict[str, set[str]] = {}
        for table, column in cur.fetchall():
            built_columns.setdefault(table, set()).add(column)
    problems = []
    for sql in sorted(models_dir.rglob("*.sql")):
        folder = sql.parent.parent if sql.parent.name == "indicators" else sql.parent
        if sql.stem not in documented:
            problems.append(f"{sql.stem}: undocumented")
            continue
        yml, model = documented[sql.stem]
        if yml.parent != folder or not re.fullmatch(r"_\w+__models\.yml", yml.name):
            problems.append(f"{sql.stem}: documented in {yml.relative_to(models_dir)}")
        if not (model.get("description") or "").strip():
            problems.append(f"{sql.stem}: no description")
        columns = {
            c["name"]: (c.get("description") or "").strip() for c in model.get("columns") or []
        }
        problems += [f"{sql.stem}.{c}: no description" for c, text in columns.items() if not text]
        built = built_columns.get(sql.stem, set())
        if set(columns) != built:
            problems.append(f"{sql.stem}: documented {sorted(columns)}, built {sorted(built)}")
    assert not problems, "\n".join(problems)
