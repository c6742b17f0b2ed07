"""dbt build of the ВПР / олимпиады / профориентация families on a small hand-made dataset.

Raw rows are inserted directly (already pseudonymised), `orchestration.dbt_runner.build()` runs
the whole project (seeds, models, data tests, unit tests), then the marts are checked:
every VPR / OLY / CAR code is published, marts.fct_vpr_objectivity_flags explains the two flags
built into the data, and a few values are worked out by hand below.

Territories: municipality 01 — schools 010001, 010002, 010003; municipality 02 — schools
020001, 020002, 020003, 020004.

ВПР 2024:
    grade 4 subject 1: ten works in each of 010001 … 020002 (primary score 10, marks
    2,3,3,3,3,4,4,4,4,5) and in 020003 (primary score 40, all marks 5); no journal marks.
    School means 10 × 5 and 40: m = 15, s = sqrt((5·25 + 625) / 5) = sqrt(150) = 12.247449,
    m + 2s = 39.494897 < 40 → 020003 flagged by rule (b).
    grade 5 subject 2: twenty works of 020004, all with a journal mark 3 or 4: 4 raised
    (mark 4 > 3), 2 lowered (mark 3 < 4), 14 confirmed → raised 20 % ≥ 15 % → rule (a).
Olympiads 2023/2024 (→ 2024) and 2022/2023 (→ 2023): see OLY_ROWS.
Career 2023/2024: 010002 reported twice; the newer load (31) wins.
"""

from __future__ import annotations

from decimal import Decimal

import psycopg2
import psycopg2.extras
import pytest

pytestmark = pytest.mark.slow

M1, M2 = "01", "02"
A1, A2, A3 = "010001", "010002", "010003"
B1, B2, B3, B4 = "020001", "020002", "020003", "020004"
SCHOOLS = [(A1, M1), (A2, M1), (A3, M1), (B1, M2), (B2, M2), (B3, M2), (B4, M2)]

NORMAL_MARKS = [2, 3, 3, 3, 3, 4, 4, 4, 4, 5]


def _vpr_rows():
    rows = []
    for school, ate in SCHOOLS[:6]:
        for k in range(10):
            primary, mark = (40, 5) if school == B3 else (10, NORMAL_MARKS[k])
            rows.append((2024, ate, school, 4, "А", f"{school}-4-{k}", 1, primary, mark, None))
    # 020004, grade 5, subject 2: (mark, journal mark) × count
    for mark, journal, n in ((4, 3, 4), (3, 4, 2), (3, 3, 14)):
        for k in range(n):
            code = f"{B4}-5-{mark}{journal}-{k}"
            rows.append((2024, M2, B4, 5, "Б", code, 2, 12, mark, journal))
    return rows


Y24, Y23 = "2023/2024", "2022/2023"
REG, FIN, MUN = "региональный", "заключительный", "муниципальный"
P, W, U = "призёр", "победитель", "участник"
OLY_ROWS = [
    # load, school_year, year, event, stage, subject, grade, ate, school, person, score, max, status
    (20, Y24, 2024, "ВсОШ", REG, "Математика", 9, M1, A1, "p01", 40, 50, P),
    (21, Y24, 2024, "ВсОШ", REG, "Математика", 9, M1, None, "p01", 40, 50, P),  # same entry
    (20, Y24, 2024, "ВсОШ", REG, "Математика", 10, M1, A1, "p02", 45, 50, W),
    (20, Y24, 2024, "ВсОШ", REG, "Физика", 10, M1, A1, "p02", 10, 50, U),
    (20, Y24, 2024, "ВсОШ", REG, "Физика", 11, M2, B1, "p03", 12, 50, U),
    (20, Y24, 2024, "ВсОШ", FIN, "Математика", 10, M1, A1, "p02", 20, 50, U),
    (20, Y24, 2024, "ВсОШ", MUN, "Математика", 9, M1, A2, "p04", 30, 40, W),  # 75 % exactly
    (20, Y24, 2024, "ВсОШ", MUN, "Математика", 9, M1, A2, "p05", 29, 40, U),  # 72.5 %
    (20, Y24, 2024, "ВсОШ", MUN, "Литература", 11, M2, B1, "p06", 50, 70, U),  # 71.4 %
    (20, Y24, 2024, "ВсОШ", MUN, "Литература", 8, M2, B2, "p07", 60, 70, U),  # grade 8
    (20, Y24, 2024, "НТО", FIN, "Робототехника", 6, M2, B2, "p08", None, None, U),
    (20, Y24, 2024, "НТО", FIN, "Робототехника", 9, M2, B2, "p09", None, None, U),
    (20, Y24, 2024, "НТО", FIN, "Искусственный интеллект", 9, M2, B2, "p09", None, None, U),
    (20, Y24, 2024, "НТО", "отборочный", "Робототехника", 10, M2, B2, "p10", None, None, U),
    (20, Y24, 2024, "Сириус", "обучение завершено", "Программа", 8, M1, A3, "p11", None, None, U),
    (22, Y23, 2023, "ВсОШ", MUN, "Математика", 9, M1, A2, "p04", 12, 40, U),  # pass score 10
    (22, Y23, 2023, "ВсОШ", MUN, "Математика", 9, M1, A2, "p05", 9, 40, U),
]

CAREER_ROWS = [
    # load, school, students 6-11, bvb participants, recommendations, proektoria, grads 9,
    # grads 11, continued, vocational, profile gia, spo, vo, events, model level
    (30, A1, M1, 100, 50, 40, 30, 10, 8, 6, 3, 5, 2, 1, 4, "базовый"),
    (30, A2, M1, 200, 60, 20, 70, 20, 10, 15, 5, 9, 3, 2, 1, None),
    (31, A2, M1, 300, 95, 90, 70, 20, 10, 15, 5, 9, 3, 2, 1, "продвинутый"),
    (30, B1, M2, 50, 10, 5, 5, 5, 5, 4, 1, 2, 0, 0, 0, None),
]


def _load(dsn: str) -> None:
    from ingestion.db import ensure_schema

    conn = psycopg2.connect(dsn)
    with conn, conn.cursor() as cur:
        ensure_schema(conn)
        cur.executemany(
            "insert into raw.municipalities (load_id, source_row, ate_code, name, type)"
            " values (1, %s, %s, %s, %s)",
            [
                (1, M1, "Город Первый", "городской округ"),
                (2, M2, "Район Второй", "муниципальный район"),
            ],
        )
        cur.executemany(
            "insert into raw.schools (load_id, source_row, school_code, ate_code, name, locality,"
            " subordination, is_shnor, is_shsu)"
            " values (2, %s, %s, %s, %s, 'город', 'муниципальная', false, false)",
            [(i, code, ate, f"Школа {code}") for i, (code, ate) in enumerate(SCHOOLS, start=1)],
        )
        cur.executemany(
            "insert into raw.vpr_results (load_id, source_row, year, ate_code, school_code, grade,"
            " class_letter, student_code, subject_code, primary_score, mark, journal_mark)"
            " values (10, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            [(i, *r) for i, r in enumerate(_vpr_rows(), start=1)],
        )
        cur.executemany(
            "insert into raw.olympiad_results (load_id, source_row, school_year, year, event,"
            " stage, subject, grade, ate_code, school_code, person_key, score, max_score, status)"
            " values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            [(r[0], i, *r[1:]) for i, r in enumerate(OLY_ROWS, start=1)],
        )
        cur.executemany(
            "insert into raw.career_reports (load_id, source_row, school_year, year, school_code,"
            " ate_code, students_6_11, bvb_participants, bvb_recommendations,"
            " proektoria_participants, grads_9, grads_11, grads_9_continued,"
            " vocational_completed, profile_gia_choice, spo_profile, vo_profile,"
            " enterprise_events, model_level)"
            " values (%s, %s, '2023/2024', 2024, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s,"
            " %s, %s, %s, %s)",
            [(r[0], i, *r[1:]) for i, r in enumerate(CAREER_ROWS, start=1)],
        )
    conn.close()


def _fetch(dsn: str, sql: str) -> list[dict]:
    conn = psycopg2.connect(dsn)
    with conn.cursor(cursor_factory=psycopg2.extras.RealDictCursor) as cur:
        cur.execute(sql)
        rows = [dict(r) for r in cur.fetchall()]
    conn.close()
    return rows


def _levels(rows, code) -> set[str]:
    return {r["territory_level"] for r in rows if r["indicator_code"] == code}


def _one(rows, code, level, territory, year=2024, **dims):
    dims = {"subject_code": None, "grade": None, "breakdown_key": None, **dims}
    found = [
        r
        for r in rows
        if r["indicator_code"] == code
        and r["year"] == year
        and r["territory_level"] == level
        and r["territory_code"] == territory
        and all(r[k] == v for k, v in dims.items())
    ]
    assert len(found) == 1, (code, level, territory, dims, found)
    return found[0]


def _dec(x) -> Decimal:
    return Decimal(str(x)).quantize(Decimal("0.000001"))


def _check_indicator_values(dsn: str) -> None:
    iv = _fetch(dsn, "select * from marts.indicator_values")
    codes = {r["indicator_code"] for r in iv}
    expected = (
        {f"VPR-0{i}" for i in range(1, 5)}
        | {f"OLY-0{i}" for i in range(1, 5)}
        | {f"CAR-0{i}" for i in range(1, 9)}
    )
    assert expected <= codes

    # VPR-01 region, grade 4, Russian: 6 schools × 10 works, one mark 2 in each of five.
    r = _one(iv, "VPR-01", "region", "00", subject_code=1, grade=4)
    assert (r["numerator"], r["denominator"]) == (5, 60)
    assert r["value"] == _dec(100 * 5 / 60) and r["unit"] == "%" and r["direction"] == "↓"

    # VPR-03 school 020004, grade 5, maths: 4 raised, 2 lowered, 14 confirmed of 20.
    for kind, n in (("повысили", 4), ("понизили", 2), ("подтвердили", 14)):
        r = _one(iv, "VPR-03", "school", B4, subject_code=2, grade=5, breakdown_key=kind)
        assert (r["numerator"], r["denominator"], r["value"]) == (n, 20, _dec(5 * n))
        assert r["direction"] is None

    # VPR-04: flagged 020003 (rule b) and 020004 (rule a) among 7 schools; 2 of 4 in 02.
    r = _one(iv, "VPR-04", "region", "00")
    assert (r["numerator"], r["denominator"], r["value"]) == (2, 7, _dec(200 / 7))
    assert _one(iv, "VPR-04", "municipality", M2)["value"] == _dec(50)
    assert _one(iv, "VPR-04", "municipality", M1)["value"] == 0
    assert _levels(iv, "VPR-04") == {"region", "municipality"}

    # OLY-01: p01 (Математика, counted once although uploaded twice), p02 (Математика);
    # p02 and p03 took part in Физика without a prize.
    r = _one(iv, "OLY-01", "region", "00")
    assert (r["numerator"], r["denominator"], r["value"]) == (2, None, 2)
    assert _one(iv, "OLY-01", "region", "00", breakdown_key="Математика")["value"] == 2
    assert _one(iv, "OLY-01", "region", "00", breakdown_key="Физика")["value"] == 0
    # school 020002 has olympiad rows (НТО) but no regional prize: zero rows are published.
    assert _one(iv, "OLY-01", "school", B2)["value"] == 0
    assert _one(iv, "OLY-01", "school", B2, breakdown_key="Математика")["value"] == 0
    assert _one(iv, "OLY-01", "region", "00")["subject_code"] is None

    # OLY-03: p04 at exactly 75 % counts, p05 (72.5 %) and p06 (71.4 %) do not, p07 is grade 8.
    assert _one(iv, "OLY-03", "region", "00")["value"] == 1
    assert _one(iv, "OLY-03", "school", A2, breakdown_key="Математика", grade=9)["value"] == 1
    assert _one(iv, "OLY-03", "region", "00", breakdown_key="Литература", grade=11)["value"] == 0
    assert not [
        x for x in iv if x["indicator_code"] == "OLY-03" and x["grade"] not in (None, 9, 10, 11)
    ]

    # OLY-04: НТО finalists p08 (grade 6) and p09 (grade 9, two tracks); p10 only отборочный.
    assert _one(iv, "OLY-04", "region", "00", breakdown_key="НТО")["value"] == 2
    assert _one(iv, "OLY-04", "region", "00", breakdown_key="НТО 5-7")["value"] == 1
    assert _one(iv, "OLY-04", "region", "00", breakdown_key="НТО 8-11")["value"] == 1
    assert _one(iv, "OLY-04", "region", "00", breakdown_key="Сириус")["value"] == 1
    assert _one(iv, "OLY-04", "school", A1, breakdown_key="НТО")["value"] == 0

    # CAR-01 municipality 01: 010002's newer report wins: (40 + 90) / (100 + 300) = 32.5 %.
    r = _one(iv, "CAR-01", "municipality", M1)
    assert (r["numerator"], r["denominator"], r["value"]) == (130, 400, _dec(32.5))
    assert _one(iv, "CAR-01", "region", "00")["value"] == _dec(30)  # 135 / 450
    # CAR-06 one row each СПО / ВО; CAR-07 the three levels, 0 included, no school rows.
    assert _one(iv, "CAR-06", "municipality", M1, breakdown_key="СПО")["value"] == 5
    assert _one(iv, "CAR-06", "municipality", M2, breakdown_key="ВО")["value"] == 0
    for level, n in (("базовый", 1), ("основной", 0), ("продвинутый", 1)):
        r = _one(iv, "CAR-07", "region", "00", breakdown_key=level)
        assert (r["value"], r["unit"]) == (n, "ед.")
        assert _one(iv, "CAR-07", "municipality", M2, breakdown_key=level)["value"] == 0
    assert _levels(iv, "CAR-07") == {"region", "municipality"}


def _check_objectivity_flags(dsn: str) -> None:
    flags = _fetch(dsn, "select * from marts.fct_vpr_objectivity_flags order by school_code, rule")
    assert [(f["school_code"], f["rule"]) for f in flags] == [(B3, "b"), (B4, "a")]
    b, a = flags
    assert (b["grade"], b["subject_code"], b["works"], b["schools_in_comparison"]) == (4, 1, 10, 6)
    assert b["value"] == _dec(40) and b["m"] == _dec(15)
    assert b["s"] == _dec(150**0.5) and b["threshold"] == _dec(15 + 2 * 150**0.5)
    assert b["value"] > b["threshold"] and b["school_name"] == f"Школа {B3}"
    assert (a["grade"], a["subject_code"], a["m"], a["s"]) == (None, None, None, None)
    assert a["works"] == 20
    assert a["value"] == _dec(20) and a["threshold"] == _dec(15)


def _check_pass_score_reach(dsn: str) -> None:
    rows = _fetch(
        dsn,
        "select * from marts.fct_olympiad_pass_score_reach where territory_level = 'region'",
    )
    # 2022/2023 Математика grade 9: pass score 10; p04 scored 12, p05 9. 2024 has no scores.
    assert [
        (r["year"], r["subject"], r["grade"], r["participants"], r["reached"], r["pass_score"])
        for r in rows
    ] == [(2023, "Математика", 9, 2, 1, Decimal("10"))]


def test_dbt_build_vpr_oly_car(warehouse):
    """One build (it takes a while), then every check on its marts."""
    from orchestration import dbt_runner

    _load(warehouse)
    dbt_runner.build(warehouse)  # raises DbtError if any model, data test or unit test fails
    _check_indicator_values(warehouse)
    _check_objectivity_flags(warehouse)
    _check_pass_score_reach(warehouse)
