"""Lineage (issue 11, part 1): marts.indicator_row_sources and `edu-dwh explain`.

One warehouse built by dbt on real PostgreSQL from the hand-made ГИА dataset
(tests/fixtures/gia.py, year 2023) plus the ВПР works of test_indicators_vpr_oly_car.py (2024),
split over several files so that rows have more than one contributing load:

    load 10  fis_gia/ege/ege_2023.csv        every ЕГЭ/ГВЭ-11 row except …
    load 11  fis_gia/ege/ege_2023_math.csv   … school 010002's profile-maths (2) rows
    load 20  fis_gia/oge/oge.csv             ОГЭ/ГВЭ-9 rows
    load 30  fis_oko/vpr/vpr_2024.csv        ВПР works except …
    load 31  fis_oko/vpr/vpr_2024_s1.csv     … school 010001's works
    load 12  fis_gia/ege/ege_2022.csv        the 2022 ЕГЭ rows of tests/fixtures/diagnostic.py
    load 40  uploads/olympiad/oly_2024.xlsx  olympiad rows of test_indicators_vpr_oly_car.py
                                             except …
    load 41  uploads/olympiad/oly_s1.xlsx    … school 010001's rows
    load 50  uploads/career/car_2024.xlsx    career reports except …
    load 51  uploads/career/car_s12.xlsx     … schools 010001 and 010002
    load 60  regional/diagnostic/dr.csv      diagnostic works (tests/fixtures/diagnostic.py)
                                             except …
    load 61  regional/diagnostic/dr_s1.csv   … school 010001's 2023 rows

with audit rows written by hand: quarantined rows of load 10 (two in municipality 01, one in
02), one row of load 10 corrected by load 11, and GX results for loads 10 and 11.

Hand-checked card: GIA-01, 2023, municipality 01, ЕГЭ, profile maths (2), ВТГ.
Results (best sittings, fixture docstring): S1 e01 70, e02 80, e03 20, e04 25, e05 64, e06 50
(load 10, 6 results); S2 e08 90, e09 60, e10 61, e11 72, e12 45 (load 11, 5 results; e14 is
СПО). Below the minimum 27: e03, e04 → 2 / 11 = 18.181818 %.
"""

from __future__ import annotations

import json
from decimal import Decimal

import psycopg2
import psycopg2.extras
import pytest

from tests.dbt import test_indicators_vpr_oly_car as vpr_fx
from tests.fixtures import diagnostic as dfx
from tests.fixtures import gia as fx
from tests.fixtures import uploads as uf
from tests.fixtures.pg import create_database, warehouse_env

pytestmark = pytest.mark.slow

LOADS = [
    # load_id, source, rel_path, sha256
    (10, "ege", "fis_gia/ege/ege_2023.csv", "a" * 64),
    (11, "ege", "fis_gia/ege/ege_2023_math.csv", "b" * 64),
    (20, "oge", "fis_gia/oge/oge.csv", "c" * 64),
    (30, "vpr", "fis_oko/vpr/vpr_2024.csv", "d" * 64),
    (31, "vpr", "fis_oko/vpr/vpr_2024_s1.csv", "e" * 64),
    (12, "ege", "fis_gia/ege/ege_2022.csv", "f" * 64),
    (40, "olympiad", "uploads/olympiad/oly_2024.xlsx", "1" * 64),
    (41, "olympiad", "uploads/olympiad/oly_s1.xlsx", "2" * 64),
    (50, "career", "uploads/career/car_2024.xlsx", "3" * 64),
    (51, "career", "uploads/career/car_s12.xlsx", "4" * 64),
    (60, "diagnostic", "regional/diagnostic/dr.csv", "5" * 64),
    (61, "diagnostic", "regional/diagnostic/dr_s1.csv", "6" * 64),
]
PERSON_KEYS = sorted({r[fx.GIA_COLUMNS.index("person_key")] for r in fx.GIA_ROWS})


def _load(conn) -> None:
    dfx.load(conn)  # the ГИА dataset, its 2022 ЕГЭ rows (load 30) and the diagnostic works (40)
    with conn.cursor() as cur:
        cur.execute("update raw.gia_results set load_id = 12 where load_id = 30")
        cur.execute(
            "update raw.diagnostic_results set load_id = case when year = 2023"
            " and school_code = %s then 61 else 60 end",
            (fx.S1,),
        )
        cur.execute(
            "update raw.gia_results set load_id = 11"
            " where gia_level = 11 and school_code = %s and subject_code = 2",
            (fx.S2,),
        )
        known = {s[0] for s in fx.SCHOOLS}
        extra = [s for s in vpr_fx.SCHOOLS if s[0] not in known]
        cur.executemany(
            "insert into raw.schools (load_id, source_row, school_code, ate_code, name,"
            " locality, subordination, is_shnor, is_shsu)"
            " values (2, %s, %s, %s, %s, %s, %s, %s, %s)",
            [(100 + i, *s) for i, s in enumerate(extra)],
        )
        works = list(vpr_fx.vpr_rows())
        uf.insert(cur, "vpr_results", uf.VPR_COLUMNS, [w for w in works if w[2] != "010001"], 30)
        uf.insert(cur, "vpr_results", uf.VPR_COLUMNS, [w for w in works if w[2] == "010001"], 31)
        oly = list(vpr_fx.olympiad_rows())
        at_s1 = uf.OLYMPIAD_COLUMNS.index("school_code")
        uf.insert(cur, "olympiad_results", uf.OLYMPIAD_COLUMNS,
                  [r for r in oly if r[at_s1] != vpr_fx.S1], 40)  # fmt: skip
        uf.insert(cur, "olympiad_results", uf.OLYMPIAD_COLUMNS,
                  [r for r in oly if r[at_s1] == vpr_fx.S1], 41)  # fmt: skip
        car = list(vpr_fx.career_rows())
        at_school = uf.CAREER_COLUMNS.index("school_code")
        s12 = (vpr_fx.S1, vpr_fx.S2)
        uf.insert(cur, "career_reports", uf.CAREER_COLUMNS,
                  [r for r in car if r[at_school] not in s12], 50)  # fmt: skip
        uf.insert(cur, "career_reports", uf.CAREER_COLUMNS,
                  [r for r in car if r[at_school] in s12], 51)  # fmt: skip
        cur.execute(
            "insert into audit.runs (run_id, started_at, finished_at, landing_dir, status)"
            " values (1, '2024-07-01 11:00+00', '2024-07-01 12:30+00', '/landing', 'published')"
        )
        for load_id, source, rel, sha in LOADS:
            cur.execute(
                "insert into audit.loads (load_id, run_id, source, rel_path, file_name, sha256,"
                " status, file_mtime_ns, finished_at) values (%s, 1, %s, %s, %s, %s, 'loaded',"
                " 1719792000000000000, '2024-07-01 12:00+00')",
                (load_id, source, rel, rel.rsplit("/", 1)[1], sha),
            )
        quarantined = [
            (10, 900, "Тестовый балл вне диапазона 0–100", {"ate_code": "01", "person_key": "x1"}),
            (10, 901, "Тестовый балл вне диапазона 0–100", {"ate_code": "01", "person_key": "x2"}),
            (10, 902, "Код ОО не найден в реестре", {"ate_code": "02", "person_key": "x3"}),
        ]
        for load_id, row, reason, data in quarantined:
            cur.execute(
                "insert into audit.quarantine (load_id, source_row, reason, row_data)"
                " values (%s, %s, %s, %s)",
                (load_id, row, reason, json.dumps(data)),
            )
        cur.execute(
            "insert into audit.row_replacements (source, event, old_load_id, old_source_row,"
            " new_load_id, new_source_row, old_values, new_values, changed_columns)"
            " values ('ege', 'replaced', 10, 950, 11, 3, %s, %s, array['test_score'])",
            (
                json.dumps({"ate_code": "01", "person_key": "e09", "test_score": 58}),
                json.dumps({"ate_code": "01", "person_key": "e09", "test_score": 60}),
            ),
        )
        for load_id, ok in ((10, True), (10, True), (10, False), (11, True)):
            cur.execute(
                "insert into audit.validation_results (load_id, source, suite_name,"
                " expectation_type, column_name, severity, success)"
                " values (%s, 'ege', 'ege.accepted', %s, 'test_score', %s, %s)",
                (
                    load_id,
                    "expect_column_values_to_be_between" if ok else "expect_table_row_count",
                    "critical" if ok else "warning",
                    ok,
                ),
            )


@pytest.fixture(scope="module")
def warehouse(pg_server, tmp_path_factory):
    from orchestration import dbt_runner

    dsn = create_database(pg_server, "t_lineage")
    state = tmp_path_factory.mktemp("lineage_state")
    with warehouse_env(dsn, state):
        conn = psycopg2.connect(dsn)
        with conn:
            _load(conn)
        conn.close()
        dbt_runner.build(dsn)
    return dsn, state


def _fetch(dsn, sql, params=None):
    conn = psycopg2.connect(dsn)
    try:
        with conn.cursor(cursor_factory=psycopg2.extras.RealDictCursor) as cur:
            cur.execute(sql, params)
            return [dict(r) for r in cur.fetchall()]
    finally:
        conn.close()


KEY = (
    "indicator_code, year, territory_level, territory_code, exam, subject_code,"
    " participant_category, grade, breakdown_key"
)
KEY_NAMES = KEY.replace(" ", "").split(",")


def test_loads_add_up_to_the_denominator_of_every_row(warehouse):
    dsn, _ = warehouse
    rows = _fetch(dsn, f"select {KEY}, numerator, denominator from marts.indicator_values")
    sources: dict[tuple, list[int]] = {}
    for s in _fetch(dsn, f"select {KEY}, rows_counted from marts.indicator_row_sources"):
        sources.setdefault(tuple(s[c] for c in KEY_NAMES), []).append(s["rows_counted"])
    for r in rows:
        found = sources.get(tuple(r[c] for c in KEY_NAMES))
        r["n_loads"], r["counted"] = (len(found), sum(found)) if found else (None, None)
    codes = {r["indicator_code"] for r in rows}
    assert codes >= (
        {f"GIA-{i:02d}" for i in range(1, 17)}
        | {f"VPR-0{i}" for i in range(1, 5)}
        | {f"OLY-0{i}" for i in range(1, 5)}
        | {f"CAR-0{i}" for i in range(1, 9)}
        | {f"DR-0{i}" for i in range(1, 4)}
    )
    tails = _gia16_tail_results(dsn)
    checked, bad = 0, []
    for r in rows:
        if r["indicator_code"] == "GIA-16":  # a ratio of means: its unit is a tail result
            checked += 1
            if r["counted"] != tails[(r["year"], r["territory_level"], r["territory_code"])]:
                bad.append(r)
            continue
        expected = r["denominator"] if r["denominator"] is not None else r["numerator"]
        if expected == 0:  # a published zero count has no contributing unit
            assert r["n_loads"] is None, r
            continue
        checked += 1
        if r["counted"] is None or Decimal(r["counted"]) != Decimal(expected):
            bad.append(r)
    assert not bad, bad[:5]
    assert checked > 500
    # several loads do contribute to one row (region rows of GIA-01 maths, VPR region rows)
    multi = _fetch(
        dsn,
        f"select {KEY} from marts.indicator_row_sources group by {KEY} having count(*) > 1",
    )
    assert {r["indicator_code"] for r in multi} >= {
        "GIA-01", "GIA-02", "VPR-01", "VPR-04", "OLY-01", "CAR-01", "CAR-07", "DR-01", "DR-02",
    }  # fmt: skip


def _gia16_tail_results(dsn) -> dict[tuple, int]:
    """GIA-16's counted unit, recomputed here from the school means: per territory, the results
    of the schools (≥ 10 results) among the k = ceil(10 %) best or the k worst means."""
    schools = _fetch(
        dsn,
        "select year, school_code, ate_code, n_results, mean_score"
        " from intermediate.int_gia_school_means_aggregated where n_results >= 10",
    )
    territories: dict[tuple, list[dict]] = {}
    for s in schools:
        territories.setdefault((s["year"], "region", "00"), []).append(s)
        if s["ate_code"] is not None:
            territories.setdefault((s["year"], "municipality", s["ate_code"]), []).append(s)
    out = {}
    for key, members in territories.items():
        k = -(-len(members) // 10)
        best = sorted(members, key=lambda s: (-s["mean_score"], s["school_code"]))[:k]
        worst = sorted(members, key=lambda s: (s["mean_score"], s["school_code"]))[:k]
        tail = {s["school_code"]: s["n_results"] for s in best + worst}
        out[key] = sum(tail.values())
    return out


def _loads_of(dsn, code, year, level, territory, **dims) -> dict[int, int]:
    where = " and ".join(
        [f"{c} is not distinct from %s" for c in ("exam", "subject_code", "participant_category",
                                                  "grade", "breakdown_key")]
    )  # fmt: skip
    params = [dims.get(c) for c in ("exam", "subject_code", "participant_category", "grade",
                                    "breakdown_key")]  # fmt: skip
    found = _fetch(
        dsn,
        "select load_id, rows_counted from marts.indicator_row_sources where indicator_code = %s"
        f" and year = %s and territory_level = %s and territory_code = %s and {where}",
        [code, year, level, territory, *params],
    )
    return {r["load_id"]: r["rows_counted"] for r in found}


def test_hand_checked_lineage_of_the_new_families(warehouse):
    dsn, _ = warehouse
    # OLY-01 2024, region, all subjects: 6 (test_indicators_vpr_oly_car): p01 Математика and
    # p01 Физика at S1 (file 41), p03 Химия, p04 Математика (S2), p05 (S5), p20 (no school)
    assert _loads_of(dsn, "OLY-01", 2024, "region", "00") == {40: 4, 41: 2}
    # OLY-04 2024, region, НТО: p16, p08 at S1 (41), p05 at S5 (40)
    assert _loads_of(dsn, "OLY-04", 2024, "region", "00", breakdown_key="НТО") == {40: 1, 41: 2}
    # a published zero has no lineage: OLY-01 at S6 (participant only)
    assert _loads_of(dsn, "OLY-01", 2024, "school", "020002") == {}
    # CAR-01 2024, region: students 6–11 = 850; S1 200 + S2 300 in file 51, S3 100 + S4 50 +
    # S5 120 + S6 80 in file 50
    assert _loads_of(dsn, "CAR-01", 2024, "region", "00") == {50: 350, 51: 500}
    # CAR-03: grads 9 + 11: S1 60, S2 80 (51); S3 30, S4 10, S5 45, S6 20 (50)
    assert _loads_of(dsn, "CAR-03", 2024, "municipality", "01") == {50: 40, 51: 140}
    # CAR-07 (a count of schools), region, основной: S2 (51), S5 and S6 (50)
    assert _loads_of(dsn, "CAR-07", 2024, "region", "00", breakdown_key="основной") == {
        50: 2,
        51: 1,
    }
    # DR-01 / DR-02 2023, region, Russian, work 1: 9 participants, S1's e03 and e06 in file 61
    for code in ("DR-01", "DR-02"):
        assert _loads_of(dsn, code, 2023, "region", "00", subject_code=1, breakdown_key="ДР1") == {
            60: 7,
            61: 2,
        }
    # DR-03 2023, region, Russian, work 1: linked students below at the ЕГЭ: e14 (S2), e22 (S4)
    assert _loads_of(dsn, "DR-03", 2023, "region", "00", subject_code=1, breakdown_key="ДР1") == {
        60: 2
    }
    # every GIA-16 row has lineage, from the ЕГЭ files
    gia16 = _fetch(dsn, "select distinct load_id from marts.indicator_row_sources"
                        " where indicator_code = 'GIA-16'")  # fmt: skip
    assert gia16 and {r["load_id"] for r in gia16} <= {10, 11, 12}


def test_the_mart_holds_no_personal_data_and_bi_may_read_it(warehouse):
    dsn, _ = warehouse
    cols = _fetch(
        dsn,
        "select column_name from information_schema.columns"
        " where table_schema = 'marts' and table_name = 'indicator_row_sources'",
    )
    names = {c["column_name"] for c in cols}
    assert names == {*KEY_NAMES, "load_id", "rows_counted"}
    assert not {n for n in names if "person" in n or "snils" in n or "name" in n}
    grant = _fetch(
        dsn,
        "select count(*) as n from information_schema.role_table_grants where table_schema ="
        " 'marts' and table_name = 'indicator_row_sources' and privilege_type = 'SELECT'"
        " and grantee = 'edu_dwh_bi_reader'",
    )
    assert grant[0]["n"] == 1


def _explain(warehouse, capsys, *args):
    from orchestration import cli

    dsn, state = warehouse
    with warehouse_env(dsn, state):
        code = cli.main(["explain", *args])
    out = capsys.readouterr()
    return code, out.out, out.err


GIA01_ARGS = (
    "GIA-01", "--year", "2023", "--territory", "01", "--subject", "2", "--exam", "ЕГЭ",
    "--category", "ВТГ",
)  # fmt: skip


def test_explain_card_of_gia01_municipality_maths_graduates(warehouse, capsys, tmp_path):
    html = tmp_path / "card.html"
    code, out, err = _explain(warehouse, capsys, *GIA01_ARGS, "--html", str(html))
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == "GIA-01 «Доля результатов ниже минимального порога»"
    assert lines[1] == "Год: 2023; территория: муниципалитет 01 «Город Первый»"
    assert (
        "Разрез: экзамен ЕГЭ, предмет 2 «Математика (профильная; ОГЭ: математика)», категория ВТГ"
        in lines
    )
    assert "Формула: результаты ниже минимального порога / все результаты × 100 %" in lines
    assert "Числитель: 2; знаменатель: 11; значение: 18,181818 %" in lines
    assert (
        "  предмет 2: минимальный балл 27 (действует в 2023 г., из семени min_scores за 2023 г.)"
        in lines
    )
    assert "Файлы-источники: 2; учтено единиц: 11 (знаменатель 11)" in lines
    text = "\n".join(lines)
    first = text.index("• fis_gia/ege/ege_2023.csv (загрузка №10)")
    second = text.index("• fis_gia/ege/ege_2023_math.csv (загрузка №11)")
    part10, part11 = text[first:second], text[second:]
    assert "источник: ФИС ГИА, ЕГЭ/ГВЭ-11; sha256: aaaaaaaaaaaa…" in part10
    assert "учтено в строке: 6" in part10
    # two quarantined rows in municipality 01; the one of municipality 02 is not counted
    assert "отклонено строк по территории: 2 (Тестовый балл вне диапазона 0–100 — 2)" in part10
    assert "исправлено позднее файлом fis_gia/ege/ege_2023_math.csv строк: 1" in part10
    assert "проверки Great Expectations: 2 из 3 пройдены" in part10
    assert "не пройдена — warning: ege.accepted · expect_table_row_count (test_score)" in part10
    assert "учтено в строке: 5" in part11
    assert "отклонено строк по территории: 0" in part11
    assert "исправил строки файла fis_gia/ege/ege_2023.csv: 1" in part11
    assert "проверки Great Expectations: 1 из 1 пройдены" in part11
    page = html.read_text(encoding="utf-8")
    assert "Числитель: 2; знаменатель: 11; значение: 18,181818 %" in page
    assert "<script" not in page
    # no personal data: no pseudonym of the fixture (nor of the quarantined rows) is shown
    for key in [*PERSON_KEYS, "x1", "x2", "x3", "e09"]:
        assert f"{key} " not in text and f"{key}<" not in page and f'"{key}"' not in page


def test_explain_vpr_and_person_level_rows(warehouse, capsys):
    code, out, err = _explain(
        warehouse, capsys, "VPR-01", "--year", "2024", "--territory", "00", "--grade", "4",
        "--subject", "1",
    )  # fmt: skip
    assert code == 0, err
    assert "• fis_oko/vpr/vpr_2024.csv (загрузка №30)" in out
    assert "• fis_oko/vpr/vpr_2024_s1.csv (загрузка №31)" in out
    assert "    учтено в строке: 10" in out  # S1's ten grade 4 Russian works
    code, out, err = _explain(warehouse, capsys, "GIA-09", "--year", "2023", "--territory",
                              "00", "--breakdown", "11")  # fmt: skip
    assert code == 0, err
    assert "отметочные результаты" in out


def test_explain_olympiad_career_and_zero_rows(warehouse, capsys):
    code, out, err = _explain(warehouse, capsys, "CAR-01", "--year", "2024", "--territory", "00")
    assert code == 0, err
    assert "Числитель: 330; знаменатель: 850; значение: 38,823529 %" in out
    assert "Файлы-источники: 2; учтено единиц: 850 (знаменатель 850)" in out
    part50, part51 = out.split("• uploads/career/car_s12.xlsx (загрузка №51)")
    assert "• uploads/career/car_2024.xlsx (загрузка №50)" in part50
    assert "учтено в строке: 350" in part50 and "учтено в строке: 500" in part51
    assert "источник: профориентация (выгрузка ОО)" in part51
    # GIA-16: its unit is a result in a tail school's mean, not its denominator (a mean)
    code, out, err = _explain(warehouse, capsys, "GIA-16", "--year", "2023", "--territory", "00")
    assert code == 0, err
    assert "(результаты ЕГЭ по русскому языку и профильной математике, из которых сложены" in out
    # a published zero count: OLY-01 at school 020002 (a participant, no winner)
    code, out, err = _explain(warehouse, capsys, "OLY-01", "--year", "2024", "--territory",
                              "020002", "--breakdown", "Физика")  # fmt: skip
    assert code == 0, err
    assert "Файлы-источники: нет — в строке не учтено ни одной единицы (значение 0)." in out


def test_explain_errors(warehouse, capsys):
    code, out, err = _explain(warehouse, capsys, "GIA-99", "--year", "2023", "--territory", "01")
    assert code == 2 and out == ""
    assert "нет показателя GIA-99 в каталоге" in err
    code, out, err = _explain(warehouse, capsys, "GIA-01", "--year", "2019", "--territory", "01")
    assert code == 2
    assert "нет опубликованной строки GIA-01 за 2019 год по территории 01" in err
    args = ("GIA-01", "--year", "2023", "--territory", "01", "--subject", "2", "--exam", "ЕГЭ")
    code, out, err = _explain(warehouse, capsys, *args)
    assert code == 2
    assert "уточните --category" in err
    assert "муниципалитет --exam ЕГЭ --subject 2 --category ВТГ" in err


def test_audit_page_links_the_cards_of_the_rating_set_rows(warehouse, tmp_path):
    from reporting.audit_report import write_audit_report

    dsn, state = warehouse
    with warehouse_env(dsn, state):
        page = write_audit_report(out=tmp_path / "audit.html")
    html = page.read_text(encoding="utf-8")
    cards = sorted((tmp_path / "cards").glob("*.html"))
    # GIA-01 ЕГЭ subjects 1, 2, 3, 4, 6 (все), GIA-06, GIA-09 11 and 9, VPR-01 grade 4 1, 2:
    # region and municipalities 01, 02 each, where published
    names = {c.name for c in cards}
    assert "GIA-01_2023_municipality_01_ЕГЭ_2_все.html" in names
    assert "VPR-01_2024_region_00_1_4.html" in names
    assert all(f'href="cards/{name}"' in html for name in names)
    card = (tmp_path / "cards" / "GIA-01_2023_municipality_01_ЕГЭ_2_все.html").read_text()
    assert "fis_gia/ege/ege_2023_math.csv" in card
    assert 'href="../audit.html"' in card


def _cells(html: str, first: str) -> list[str]:
    """The cells of the table row whose first cell is `first` (tags inside cells dropped)."""
    import re

    for row in re.findall(r"<tr>(.*?)</tr>", html, flags=re.S):
        cells = [re.sub(r"<[^>]+>", "", c) for c in re.findall(r"<td[^>]*>(.*?)</td>", row)]
        if cells and cells[0] == first:
            return cells
    raise AssertionError(f"no row starting with {first!r}")


def test_audit_page_links_every_file_to_the_indicators_it_counted_in(warehouse, tmp_path):
    from reporting.audit_report import write_audit_report

    dsn, state = warehouse
    with warehouse_env(dsn, state):
        page = write_audit_report(run_id=1, out=tmp_path / "audit.html")
    html = page.read_text(encoding="utf-8")
    # the table of files: each file links to its page
    assert _cells(html, "51")[-1] == "8 показателей"  # career reports of S1, S2: CAR-01 … 08
    assert '<a href="files/load_51.html">8 показателей</a>' in html
    assert _cells(html, "61")[-1] == "3 показателя"  # S1's diagnostic works: DR-01 … 03
    assert '<a href="files/load_40.html">' in html and '<a href="files/load_10.html">' in html
    car = (tmp_path / "files" / "load_51.html").read_text(encoding="utf-8")
    assert "Вклад файла в показатели: uploads/career/car_s12.xlsx" in car
    # CAR-01 2024: rows region, municipality 01, schools S1 and S2
    assert _cells(car, "CAR-01")[1:] == [
        "Доля обучающихся 6–11 классов, получивших рекомендации «Билет в будущее»",
        "2024", "4", "1", "1", "2",
    ]  # fmt: skip
    assert [c for c in _cells(car, "CAR-01")][:1] == ["CAR-01"]
    # the region rows: the file's units (S1 200 + S2 300 students of grades 6–11) beside the
    # row's denominator, and the number of files of the row
    region = car.split("<h2>Строки региона</h2>")[1].split("</table>")[0]
    assert "<td>CAR-01</td><td>2024</td><td>—</td><td>500</td><td>850</td><td>2</td>" in region
    assert 'href="../audit.html"' in car
    # the ЕГЭ maths file of S2: its page links the rating-set card it contributed to
    gia = (tmp_path / "files" / "load_11.html").read_text(encoding="utf-8")
    assert 'href="../cards/GIA-01_2023_municipality_01_ЕГЭ_2_все.html"' in gia
    assert "GIA-16" in gia
    # a file of the run that counted in nothing has no link (none here: every file counted)
    assert all(f'href="files/load_{lid}.html"' in html for lid, *_ in LOADS)


def test_every_model_and_column_documented(warehouse):
    """The folder-yml rule of test_dbt_build.py, on this build (the lineage models included)."""
    from tests.dbt.test_dbt_build import _check_every_model_and_column_documented

    conn = psycopg2.connect(warehouse[0])
    try:
        _check_every_model_and_column_documented(conn)
    finally:
        conn.close()


# ---------------------------------------------------------------- the demo region


def _null_free(column: str) -> str:
    """A join key PostgreSQL can hash (`is not distinct from` makes the join quadratic)."""
    name = column.split(".")[-1]
    return (
        f"coalesce({column}, -1)"
        if name in ("subject_code", "grade", "year")
        else (f"coalesce({column}, '')")
    )


def test_demo_region_every_row_adds_up(synthetic_warehouse):
    """The Σ rule over the synthetic region built by the whole pipeline (tests/conftest.py):
    every published row with a nonzero denominator (counts: a nonzero value) has lineage, and
    its loads add up to the denominator (counts: the value; GIA-16: its tail schools'
    results); a published zero count has none."""
    dsn = synthetic_warehouse["dsn"]
    keys = " and ".join(_null_free(f"c.{c}") + " = " + _null_free(f"v.{c}") for c in KEY_NAMES)
    rows = _fetch(
        dsn,
        f"with counted as (select {KEY}, count(*) as n_loads, sum(rows_counted) as counted"
        f" from marts.indicator_row_sources group by {KEY})"
        f" select v.indicator_code, v.year, v.territory_level, v.territory_code, v.exam,"
        " v.subject_code, v.participant_category, v.grade, v.breakdown_key, v.numerator,"
        " v.denominator, c.n_loads, c.counted"
        f" from marts.indicator_values v left join counted c on {keys}",
    )
    tails = _gia16_tail_results(dsn)
    families, bad = set(), []
    for r in rows:
        code = r["indicator_code"]
        if code == "GIA-16":
            expected = tails[(r["year"], r["territory_level"], r["territory_code"])]
        else:
            expected = r["denominator"] if r["denominator"] is not None else r["numerator"]
        if expected == 0:
            if r["n_loads"] is not None:
                bad.append(r)
            continue
        if r["counted"] is None or Decimal(r["counted"]) != Decimal(expected):
            bad.append(r)
        else:
            families.add(code.split("-")[0])
    assert not bad, (len(bad), bad[:5])
    assert families == {"GIA", "VPR", "OLY", "CAR", "DR"}
    assert len(rows) > 5000
    # nothing in the lineage mart that is not a published row
    orphans = _fetch(
        dsn,
        "select count(*) as n from marts.indicator_row_sources s where not exists"
        " (select 1 from marts.indicator_values v where"
        f" {' and '.join(_null_free(f's.{c}') + ' = ' + _null_free(f'v.{c}') for c in KEY_NAMES)})",
    )
    assert orphans[0]["n"] == 0
