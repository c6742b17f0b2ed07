"""School uploads and ВПР through the real pipeline (PostgreSQL, no dbt): templates round
trip, messy files, feedback reports, resent files."""

from __future__ import annotations

import psycopg2
import pytest
from openpyxl import Workbook, load_workbook

from ingestion.config import reports_dir
from orchestration import pipeline
from reporting.upload_templates import write_templates
from sources import SOURCES
from tests.fixtures.landing import write_csv, write_reference

CAREER_HEADERS = list(SOURCES["career"].headers)
OLY_HEADERS = list(SOURCES["olympiad"].headers)


def q(dsn, sql, params=()):
    with psycopg2.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall()


def run(landing):
    """ingest + validate + commit, no dbt: a whole run that closes as 'loaded'."""
    return pipeline.run_all(landing, skip_dbt=True)["run_id"]


def career_row(school="270001", ate="01", year="2023/2024", students=100, part=40, rec=30,
               level="основной"):  # fmt: skip
    return [year, ate, school, students, part, rec, 25, 20, 10, 15, 3, 12, 4, 5, 2, level]


@pytest.fixture
def landing(tmp_path):
    root = tmp_path / "landing"
    write_reference(root)
    return root


def test_filled_templates_load_with_zero_rejections(warehouse, landing, tmp_path):
    oly_t, career_t = write_templates(tmp_path / "templates")
    wb = load_workbook(oly_t)
    ws = wb["Результаты"]
    assert [c.value for c in ws[1]] == OLY_HEADERS
    rows = [
        ["2023/2024", "ВсОШ", "региональный", "Физика", 10, "01", "270001", "123-456-789 01",
         41.5, 50, "призёр"],
        ["2023/2024", "ВсОШ", "муниципальный", "Физика", 9, "01", "270002", "123-456-789 02",
         30, 40, "участник"],
        ["2023/2024", "НТО", "заключительный", "Искусственный интеллект", 6, "02", "270003",
         "123-456-789 03", None, None, "участник"],
    ]  # fmt: skip
    for r in rows:
        ws.append(r)
    (landing / "uploads/olympiad").mkdir(parents=True)
    wb.save(landing / "uploads/olympiad/m01.xlsx")
    wb = load_workbook(career_t)
    wb["Отчёт"].append(career_row())
    (landing / "uploads/career").mkdir(parents=True)
    wb.save(landing / "uploads/career/270001.xlsx")
    run(landing)
    assert q(warehouse, "select count(*) from audit.quarantine") == [(0,)]
    assert q(warehouse, "select count(*) from raw.olympiad_results") == [(3,)]
    assert q(
        warehouse,
        "select year, school_year, event, score, max_score from raw.olympiad_results"
        " order by source_row",
    )[0] == (2024, "2023/2024", "ВсОШ", 41.5, 50)
    assert q(
        warehouse,
        "select year, school_code, bvb_recommendations, model_level from raw.career_reports",
    ) == [(2024, "270001", 30, "основной")]
    reports = sorted((reports_dir() / "feedback").rglob("*.html"))
    assert len(reports) == 2
    assert all("Замечаний нет" in p.read_text(encoding="utf-8") for p in reports)


def _messy_career(path):
    wb = Workbook()
    ws = wb.active
    ws.title = "Лист1"  # renamed sheet
    ws.append(["Отчёт о профориентационной работе"])  # title row above the header
    ws.append([])
    ws.append(CAREER_HEADERS)
    ws.append(career_row(school="270001"))
    ws.append([])  # blank row between data rows
    row = career_row(school="270002")
    row[3] = "120"  # number typed as text
    ws.append(row)
    ws.append(career_row(school="270003", ate="02", part=10, rec=12))  # rec > participants
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)


def test_messy_career_upload_feedback_and_good_rows_load(warehouse, landing):
    _messy_career(landing / "uploads/career/m01.xlsx")
    run(landing)
    assert q(warehouse, "select school_code, students_6_11 from raw.career_reports order by 1") == [
        ("270001", 100),
        ("270002", 120),
    ]
    assert q(warehouse, "select source_row, reason from audit.quarantine") == [
        (
            7,
            "«Получили рекомендации «Билет в будущее»» больше, чем «Участников «Билет в будущее»»",
        )
    ]
    notes = q(warehouse, "select source_row, note from audit.corrections")
    assert [n[0] for n in notes] == [6] and "120" in notes[0][1]
    report = next((reports_dir() / "feedback" / "career").glob("*.xlsx"))
    cells = [
        str(c) for row in load_workbook(report).active.iter_rows(values_only=True) for c in row
    ]
    assert any("больше, чем «Участников" in c for c in cells)
    assert "7" in cells or 7 in [c for c in cells]


def test_resent_career_report_corrects_previous_for_school_and_year(warehouse, landing):
    path = landing / "uploads/career/a.xlsx"
    wb = Workbook()
    wb.active.title = "Отчёт"
    wb.active.append(CAREER_HEADERS)
    wb.active.append(career_row(students=100))
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    run(landing)
    path.unlink()
    wb = Workbook()
    wb.active.title = "Отчёт"
    wb.active.append(CAREER_HEADERS)
    wb.active.append(career_row(students=111))
    wb.save(landing / "uploads/career/a_corrected.xlsx")
    run(landing)
    # the corrected report wins the natural key (year, school); the first one is kept, marked
    assert q(
        warehouse, "select students_6_11 from raw.career_reports where replaced_by is null"
    ) == [(111,)]
    assert q(
        warehouse,
        "select (old_values ->> 'students_6_11')::int, (new_values ->> 'students_6_11')::int"
        " from audit.row_replacements",
    ) == [(100, 111)]


def test_olympiad_row_without_snils_rejected(warehouse, landing):
    wb = Workbook()
    wb.active.title = "Результаты"
    wb.active.append(OLY_HEADERS)
    wb.active.append(["2023/2024", "ВсОШ", "школьный", "Химия", 8, "01", "270001",
                      "111-111-111 11", 10, 20, "участник"])  # fmt: skip
    wb.active.append(["2023/2024", "ВсОШ", "школьный", "Химия", 8, "01", "270001", None, 12, 20,
                      "участник"])  # fmt: skip
    (landing / "uploads/olympiad").mkdir(parents=True)
    wb.save(landing / "uploads/olympiad/m01.xlsx")
    run(landing)
    assert q(warehouse, "select count(*) from raw.olympiad_results") == [(1,)]
    assert q(warehouse, "select source_row, reason from audit.quarantine") == [
        (3, "«СНИЛС»: не заполнен — участника нельзя учесть (ученик считается по СНИЛС)")
    ]


def test_vpr_csv_and_xlsx_with_no_answer_marks(warehouse, landing):
    header = ["Год", "Код АТЕ", "Код ОО", "Класс", "Литера", "Код ученика", "Код предмета",
              "Первичный балл", "Отметка", "Отметка по журналу", "З1", "З2"]  # fmt: skip
    write_csv(
        landing / "fis_oko/vpr/vpr_2024.csv",
        header,
        [[2024, "01", "270001", 4, "А", "10001", 1, 3, 3, 4, 1, 2]],
        encoding="cp1251",
    )
    wb = Workbook()
    wb.active.append(header)
    wb.active.append([2024, "02", "270003", 4, "Б", "20001", 2, 1, 2, "", "X", 1])
    wb.active.append([2024, "02", "270003", 4, "Б", "20002", 2, 2, 3, 3, "Х", 2])
    wb.save(landing / "fis_oko/vpr/vpr_2024_m02.xlsx")
    run(landing)
    got = q(
        warehouse,
        "select student_code, journal_mark, task_scores from raw.vpr_results order by 1",
    )
    assert got == [
        ("10001", 4, {"З1": 1, "З2": 2}),
        ("20001", None, {"З1": None, "З2": 1}),
        ("20002", 3, {"З1": None, "З2": 2}),
    ]
    assert q(warehouse, "select count(*) from audit.quarantine") == [(0,)]


def test_vpr_primary_score_above_known_maximum_quarantined(warehouse, landing):
    with psycopg2.connect(warehouse) as conn, conn.cursor() as cur:
        cur.execute("create schema reference")
        cur.execute(
            "create table reference.vpr_max_scores"
            " (year int, subject_code int, grade int, max_primary_score int)"
        )
        cur.execute("insert into reference.vpr_max_scores values (2024, 1, 4, 38)")
    header = ["Год", "Код АТЕ", "Код ОО", "Класс", "Литера", "Код ученика", "Код предмета",
              "Первичный балл", "Отметка", "Отметка по журналу"]  # fmt: skip
    write_csv(
        landing / "fis_oko/vpr/vpr.csv",
        header,
        [
            [2024, "01", "270001", 4, "А", "1", 1, 38, 5, 5],
            [2024, "01", "270001", 4, "А", "2", 1, 39, 5, 5],
            [2024, "01", "270001", 5, "А", "3", 1, 39, 5, 5],  # maximum unknown: accepted
        ],
    )
    run(landing)
    assert q(warehouse, "select student_code from raw.vpr_results order by 1") == [("1",), ("3",)]
    assert q(warehouse, "select source_row, reason from audit.quarantine") == [
        (2, "«Первичный балл» 39 больше максимального для предмета и класса")
    ]
