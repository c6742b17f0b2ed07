"""Hand-worked checks of DR-01 … DR-03, marts.gia_early_warning and
marts.indicator_values_by_school_group.

Written from shared/spec/indicators.md ("Диагностические работы и раннее предупреждение",
"School groups") only. The dataset is tests/fixtures/diagnostic.py on top of
tests/fixtures/gia.py (their docstrings list every row); dbt runs once for the module. Every
expected number is counted by hand; the comments show the arithmetic.
"""

from __future__ import annotations

from decimal import Decimal

import psycopg2
import psycopg2.extras
import pytest

from tests.fixtures import diagnostic as dfx
from tests.fixtures import gia as fx
from tests.fixtures.pg import create_database, warehouse_env

pytestmark = pytest.mark.slow

R = ("region", "00")
M1 = ("municipality", "01")
M2 = ("municipality", "02")


def _rows(cur, sql: str) -> list[dict]:
    cur.execute(sql)
    return [dict(r) for r in cur.fetchall()]


@pytest.fixture(scope="module")
def marts(pg_server, tmp_path_factory):
    from orchestration import dbt_runner

    dsn = create_database(pg_server, "t_dr")
    with warehouse_env(dsn, tmp_path_factory.mktemp("dr_state")):
        conn = psycopg2.connect(dsn)
        with conn:
            dfx.load(conn)
        conn.close()
        dbt_runner.build(dsn)
    conn = psycopg2.connect(dsn)
    with conn.cursor(cursor_factory=psycopg2.extras.RealDictCursor) as cur:
        out = {
            "iv": _rows(
                cur, "select * from marts.indicator_values where indicator_code like 'DR-%'"
            ),
            "gia01": _rows(
                cur, "select * from marts.indicator_values where indicator_code = 'GIA-01'"
            ),
            "ew": _rows(cur, "select * from marts.gia_early_warning"),
            "groups": _rows(cur, "select * from marts.indicator_values_by_school_group"),
        }
    conn.close()
    return out


def one(rows, code, terr, year=2023, subject=1, key="ДР1"):
    level, tcode = terr
    found = [
        r
        for r in rows
        if (r["indicator_code"], r["year"], r["territory_level"], r["territory_code"])
        == (code, year, level, tcode)
        and r["subject_code"] == subject
        and r["breakdown_key"] == key
    ]
    assert len(found) == 1, (code, terr, year, subject, key, found)
    return found[0]


def value(rows, code, terr, **kw):
    return float(one(rows, code, terr, **kw)["value"])


# ---------------------------------------------------------------- DR-01


def test_dr01_shares_of_participants_below_minimum(marts):
    iv = marts["iv"]
    # work 1 Russian: 9 participants (x01 отсутствовал is none), below: e03 20, e17 22,
    # e19 23, e22 15, e25 10 → 5/9
    r = one(iv, "DR-01", R)
    assert (r["numerator"], r["denominator"]) == (5, 9)
    assert float(r["value"]) == pytest.approx(55.555556)
    assert (r["exam"], r["participant_category"], r["grade"]) == (None, None, None)
    assert (r["unit"], r["direction"]) == ("%", "↓")
    # M01: e03 (below), e06, e14 → 1/3; M02: e17, e19, e22, e21, e20, e25 → 4/6
    assert value(iv, "DR-01", M1) == pytest.approx(33.333333)
    assert value(iv, "DR-01", M2) == pytest.approx(66.666667)
    # schools: S1 e03, e06 → 1/2; S2 e14 → 0/1; S3 e17, e19 → 2/2; S4 e22, e21, e20 → 1/3
    assert value(iv, "DR-01", ("school", fx.S1)) == pytest.approx(50)
    assert value(iv, "DR-01", ("school", fx.S2)) == 0
    assert value(iv, "DR-01", ("school", fx.S3)) == 100
    assert value(iv, "DR-01", ("school", fx.S4)) == pytest.approx(33.333333)
    # work 3 Russian: e03 28, e22 21 (below), e17 25, e19 30 → 1/4 (e06 absent)
    assert value(iv, "DR-01", R, key="ДР3") == 25
    # base maths work 1: e03 м2, e21 м2 below of e03, e04, e21, e13 → 2/4
    assert value(iv, "DR-01", R, subject=22) == 50
    # 2022: p01 20, p02 10, p03 23, p08 15 below of 9 participants
    assert value(iv, "DR-01", R, year=2022) == pytest.approx(44.444444)


# ---------------------------------------------------------------- DR-02


def test_dr02_forecast_uses_previous_year_p1_p0(marts):
    iv = marts["iv"]
    # p₁ = 1/3, p₀ = 1/4 (2022, work 1, Russian). Region: 5 below × 1/3 + 4 × 1/4 = 8/3
    r = one(iv, "DR-02", R)
    assert float(r["numerator"]) == pytest.approx(8 / 3, abs=1e-6)
    assert r["denominator"] == 9
    assert float(r["value"]) == pytest.approx(29.62963, abs=1e-6)  # 100 × (8/3) / 9
    assert r["direction"] == "↓"
    # M01: e03 1/3 + e06, e14 1/4 each = 5/6 over 3; M02: 4/3 + 2/4 = 11/6 over 6
    assert value(iv, "DR-02", M1) == pytest.approx(27.777778, abs=1e-6)
    assert value(iv, "DR-02", M2) == pytest.approx(30.555556, abs=1e-6)
    # S1: 1/3 + 1/4 = 7/12 over 2; S2: 1/4 over 1; S4: 1/3 + 2/4 = 5/6 over 3
    assert value(iv, "DR-02", ("school", fx.S1)) == pytest.approx(29.166667, abs=1e-6)
    assert value(iv, "DR-02", ("school", fx.S2)) == 25
    assert value(iv, "DR-02", ("school", fx.S4)) == pytest.approx(27.777778, abs=1e-6)


def test_dr02_falls_back_to_one_and_zero_without_previous_year(marts):
    iv = marts["iv"]
    # no 2022 work 3 → p₁ = 1, p₀ = 0: the forecast equals the share below at the work
    assert value(iv, "DR-02", R, key="ДР3") == 25
    # no 2022 base maths → 2/4
    assert value(iv, "DR-02", R, subject=22) == 50
    # 2022 itself has no previous year: 4 below of 9
    assert value(iv, "DR-02", R, year=2022) == pytest.approx(44.444444)


# ---------------------------------------------------------------- DR-03


def test_dr03_share_of_ege_failures_signalled(marts):
    iv = marts["iv"]
    # work 1 Russian, linked: e03, e06, e14, e17, e19, e22, e21 (e20 ГВЭ only, e25 no result);
    # ЕГЭ below among them: e14 (23), e22 (20) → 2; below at the work: e22 → 1/2
    r = one(iv, "DR-03", R)
    assert (r["numerator"], r["denominator"]) == (1, 2)
    assert r["direction"] == "↑"
    assert value(iv, "DR-03", M1) == 0  # e14 only, not below at the work
    assert value(iv, "DR-03", M2) == 100  # e22
    # work 3: linked ЕГЭ failure e22, below at work 3 (21) → 1/1
    assert value(iv, "DR-03", R, key="ДР3") == 100
    # base maths: ЕГЭ below among linked: e03 (м2; e21's best is м3 from September) → e03
    # below at the work → 1/1
    assert value(iv, "DR-03", R, subject=22) == 100
    # DR-03 has no school level
    assert not [
        r for r in iv if r["indicator_code"] == "DR-03" and r["territory_level"] == "school"
    ]


# ---------------------------------------------------------------- gia_early_warning


def test_early_warning_row_puts_forecast_beside_actual(marts):
    key = ("year", "territory_level", "territory_code", "subject_code", "work_number")
    ew = {tuple(r[k] for k in key): r for r in marts["ew"]}
    r = ew[(2023, "region", "00", 1, 1)]
    assert r["breakdown_key"] == "ДР1"
    assert (r["participants"], r["below_at_work"], r["linked_students"]) == (9, 5, 7)
    assert r["share_below_at_work"] == Decimal("55.555556")
    assert (r["p1"], r["p0"]) == (Decimal("0.333333"), Decimal("0.25"))
    assert (r["p1_is_fallback"], r["p0_is_fallback"]) == (False, False)
    assert float(r["forecast_below"]) == pytest.approx(8 / 3, abs=1e-6)
    assert float(r["forecast_share"]) == pytest.approx(29.62963, abs=1e-6)
    # GIA-01 ЕГЭ Russian ВТГ 2023, region: 19 results of ВТГ, below: e22 (20) → 1/19
    assert (r["ege_results_vtg"], r["ege_below_vtg"]) == (19, 1)
    assert float(r["actual_share"]) == pytest.approx(5.263158, abs=1e-6)
    assert float(r["error_pp"]) == pytest.approx(29.62963 - 5.263158, abs=1e-6)
    assert r["signal_recall"] == 50
    assert r["subject_name"] == "Русский язык"
    assert r["target_value"] is None
    # municipality 01 of profile maths has a GIA-01 target in gia.py, but no ДР: no row;
    # M01 Russian: 3 participants, linked e03, e06, e14
    m1 = ew[(2023, "municipality", "01", 1, 1)]
    assert (m1["participants"], m1["linked_students"]) == (3, 3)
    assert m1["territory_name"] == "Город Первый"
    # work 3 falls back; the previous year (2022) has no ЕГЭ of its own ДР → actual from 2022
    w3 = ew[(2023, "region", "00", 1, 3)]
    assert (w3["p1"], w3["p0"], w3["p1_is_fallback"], w3["p0_is_fallback"]) == (1, 0, True, True)
    # 2022: the ЕГЭ 2022 of the fixture (7 ВТГ results at S1, below: p01 20, p04 22 → 2/7)
    r22 = ew[(2022, "region", "00", 1, 1)]
    assert (r22["ege_results_vtg"], r22["ege_below_vtg"]) == (7, 2)
    # no school level in the early-warning mart
    assert {r["territory_level"] for r in marts["ew"]} == {"region", "municipality"}


# ---------------------------------------------------------------- school groups


def _group(rows, code, terr, kind, group, **dims):
    level, tcode = terr
    found = [
        r
        for r in rows
        if (r["indicator_code"], r["territory_level"], r["territory_code"]) == (code, level, tcode)
        and (r["school_group_kind"], r["school_group"]) == (kind, group)
        and all(r[k] == v for k, v in dims.items())
    ]
    return found


def test_gia01_per_locality_and_shnor(marts):
    rows = marts["groups"]
    dims = {"year": 2023, "exam": "ЕГЭ", "subject_code": 1, "participant_category": "все"}
    # город = S1, S2: ЕГЭ Russian results e01…e07 (S1), e08…e14 (S2) = 14; below e14 (23)
    (town,) = _group(rows, "GIA-01", R, "Тип местности", "город", **dims)
    assert (town["numerator"], town["denominator"]) == (1, 14)
    # село = S3, S4, S5: e15…e19, e21, e22 (e20 is ГВЭ) = 7; below e22 (20)
    (village,) = _group(rows, "GIA-01", R, "Тип местности", "село", **dims)
    assert (village["numerator"], village["denominator"]) == (1, 7)
    assert float(village["value"]) == pytest.approx(14.285714)
    # e24 (ВПЛ, no school) is in no group: 14 + 7 = 21 of the region's 22 results
    (region_all,) = [
        r for r in marts["gia01"]
        if (r["territory_level"], r["year"], r["exam"], r["subject_code"],
            r["participant_category"]) == ("region", 2023, "ЕГЭ", 1, "все")
    ]  # fmt: skip
    assert region_all["denominator"] == 22
    # ШНОР = S4 only: e21, e22 → 1/2; not ШНОР: 14 + 5 (S3) = 19, below e14
    (shnor,) = _group(rows, "GIA-01", R, "ШНОР", "да", **dims)
    assert (shnor["numerator"], shnor["denominator"]) == (1, 2)
    (not_shnor,) = _group(rows, "GIA-01", R, "ШНОР", "нет", **dims)
    assert (not_shnor["numerator"], not_shnor["denominator"]) == (1, 19)
    # municipality 02 has village schools only: no «город» row; all schools муниципальная
    assert not _group(rows, "GIA-01", M2, "Тип местности", "город", **dims)
    (m2_sub,) = _group(rows, "GIA-01", M2, "Подчинённость", "муниципальная", **dims)
    assert m2_sub["denominator"] == 7
    assert m2_sub["territory_name"] == "Район Второй"
    # no school level in the school-group mart, and no such rows in indicator_values
    assert {r["territory_level"] for r in rows} == {"region", "municipality"}


def test_dr01_and_others_per_school_group(marts):
    rows = marts["groups"]
    # ШСУ = S3: e17, e19, both below at work 1 → 2/2
    (shsu,) = _group(rows, "DR-01", R, "ШСУ", "да", year=2023, subject_code=1, breakdown_key="ДР1")
    assert (shsu["numerator"], shsu["denominator"]) == (2, 2)
    assert shsu["direction"] == "↓"
    codes = {r["indicator_code"] for r in rows}
    assert codes == {"GIA-01", "GIA-03", "GIA-10", "GIA-11", "DR-01"}  # no ВПР in this dataset
    # the published indicator_values carries no group rows: one row per key
    keys = [
        (r["indicator_code"], r["year"], r["territory_level"], r["territory_code"],
         r["subject_code"], r["breakdown_key"])
        for r in marts["iv"]
    ]  # fmt: skip
    assert len(keys) == len(set(keys))
