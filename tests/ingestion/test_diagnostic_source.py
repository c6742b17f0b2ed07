"""regional/diagnostic/*.csv through a real PostgreSQL: the same reading rules as the ФИС
exports (encodings, header, row checks, pseudonymisation with the same key, so a student's
ДР rows link to their ЕГЭ rows), the source's own row rules, and corrections."""

from __future__ import annotations

import psycopg2
import pytest

from orchestration import pipeline
from tests.fixtures.landing import ege_row, write_csv, write_ege, write_reference

DR_HEADER = [
    "Учебный год", "Номер ДР", "Дата", "Код АТЕ", "Код ОО", "Фамилия", "Имя", "Отчество",
    "СНИЛС", "Серия документа", "Номер документа", "Код предмета", "Первичный балл",
    "Тестовый балл", "Отметка", "Статус",
]  # fmt: skip


def dr_row(
    snils="111-222-333 44", work=1, date="15.10.2022", subject=1, primary=10, test=30, mark="",
    status="выполнял", school="270001", ate="01", school_year="2022/2023", surname="Иванова",
):  # fmt: skip
    return [
        school_year, work, date, ate, school, surname, "Анна", "Петровна", snils, "", "",
        subject, primary, test, mark, status,
    ]  # fmt: skip


def query(dsn, sql, params=()):
    with psycopg2.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall()


@pytest.fixture
def landing(tmp_path):
    root = tmp_path / "landing"
    write_reference(root)
    return root


def test_diagnostic_rows_checked_quarantined_and_linked_to_ege(warehouse, landing):
    header = DR_HEADER[::-1]  # column order may vary
    rows = [
        dr_row(),  # 1 good
        dr_row(snils="111-222-333 45", subject=22, test="", mark=3),  # 2 good, base maths
        dr_row(snils="111-222-333 46", primary="", test="", status="отсутствовал"),  # 3 absent
        dr_row(snils="111-222-333 47", test=""),  # 4 wrote, no test score
        dr_row(snils="111-222-333 48", subject=22, test=40, mark=3),  # 5 base maths test score
        dr_row(snils="111-222-333 49", status="отсутствовал"),  # 6 absent with scores
        dr_row(snils="111-222-333 50", date="15.10.2023"),  # 7 outside 2022/2023
        dr_row(snils="111-222-333 51", school_year="2022/2024"),  # 8 not a school year
        dr_row(snils="111-222-333 52", work=0),  # 9 work number below 1
        dr_row(snils="111-222-333 53", status="болел"),  # 10 unknown status
        dr_row(),  # 11 the same student, work and subject again
        dr_row(snils="111-222-333 54", primary="", test=50),  # 12 good: primary score optional
    ]
    write_csv(
        landing / "regional/diagnostic/dr1.csv",
        header,
        [r[::-1] for r in rows],
        encoding="cp1251",
    )
    write_ege(landing / "fis_gia/ege/ege.csv", [ege_row(snils="111 222 333 44", test=70)])
    pipeline.run_all(landing, skip_dbt=True)

    loaded = query(
        warehouse,
        "select source_row, year, work_number, subject_code, test_score, mark, status"
        " from raw.diagnostic_results order by source_row",
    )
    assert loaded == [
        (1, 2023, 1, 1, 30, None, "выполнял"),
        (2, 2023, 1, 22, None, 3, "выполнял"),
        (3, 2023, 1, 1, None, None, "отсутствовал"),
        (12, 2023, 1, 1, 50, None, "выполнял"),
    ]
    reasons = dict(
        query(
            warehouse,
            "select q.source_row, q.reason from audit.quarantine q join audit.loads l"
            " using (load_id) where l.source = 'diagnostic'",
        )
    )
    assert reasons[4] == "«Тестовый балл»: не заполнен у участника, выполнявшего работу"
    assert reasons[5] == "«Тестовый балл»: должен быть пустым для базовой математики"
    assert reasons[6] == "«Статус» «отсутствовал», но баллы или отметка заполнены"
    assert reasons[7] == "«Дата» не относится к учебному году «Учебный год»"
    assert reasons[8].startswith("«Учебный год»: ожидается вид 2023/2024")
    assert reasons[9].startswith("«Номер ДР»")
    assert reasons[10].startswith("«Статус»: недопустимое значение «болел»")
    assert reasons[11] == "повтор: та же запись уже есть в строке 1"
    assert set(reasons) == set(range(4, 12))
    # the same key as the ФИС export: the student's ДР row and ЕГЭ row share person_key
    linked = query(
        warehouse,
        "select count(*) from raw.diagnostic_results d join raw.gia_results g"
        " using (person_key) where d.source_row = 1",
    )
    assert linked == [(1,)]
    # no personal data stored: no name, no СНИЛС in any text column of the raw table
    hits = query(
        warehouse,
        "select count(*) from raw.diagnostic_results d"
        " where d::text ~ 'Иванова|111-222-333|11122233344'",
    )
    assert hits == [(0,)]


def test_diagnostic_correction_from_a_later_file_wins(warehouse, landing):
    write_csv(landing / "regional/diagnostic/a.csv", DR_HEADER, [dr_row(test=20)])
    pipeline.run_all(landing, skip_dbt=True)
    # another file with the same student, school year, work and subject: a correction
    write_csv(landing / "regional/diagnostic/b.csv", DR_HEADER, [dr_row(test=35)])
    pipeline.run_all(landing, skip_dbt=True)
    current = query(
        warehouse, "select test_score from raw.diagnostic_results where replaced_by is null"
    )
    assert current == [(35,)]
    replaced = query(
        warehouse, "select test_score from raw.diagnostic_results where replaced_by is not null"
    )
    assert replaced == [(20,)]
