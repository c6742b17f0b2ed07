"""Ingestion edge cases through a real PostgreSQL: encodings, headers, duplicates,
corrected files, quarantine, pseudonymisation. dbt is not run here (see test_end_to_end)."""

from __future__ import annotations

import hashlib
import hmac

import psycopg2
import pytest

from ingestion.config import quarantine_dir
from orchestration import pipeline
from tests.fixtures.landing import EGE_HEADER, ege_row, write_ege, write_reference


def load(landing):
    """ingest + validate + commit, no dbt: a whole run that closes as 'loaded'."""
    return pipeline.run_all(landing, skip_dbt=True)["run_id"]


def query(dsn, sql, params=()):
    with psycopg2.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall()


def loads(dsn):
    return query(
        dsn,
        "select rel_path, status, rows_read, rows_loaded, rows_quarantined, message"
        " from audit.loads order by load_id",
    )


@pytest.fixture
def landing(tmp_path):
    root = tmp_path / "landing"
    write_reference(root)
    return root


def test_encodings_column_order_and_decimal_comma(warehouse, landing):
    rows = [ege_row(snils="111-222-333 44", subject=1, test=70, primary="30,0")]
    write_ege(landing / "fis_gia/ege/a_cp1251.csv", rows, encoding="cp1251")
    rows_b = [ege_row(snils="222-333-444 55", subject=2, test=55)]
    write_ege(landing / "fis_gia/ege/b_utf8.csv", rows_b, header=list(reversed(EGE_HEADER)))
    rows_c = [ege_row(snils="333-444-555 66", subject=22, test=None, mark=4)]
    write_ege(landing / "fis_gia/ege/c_bom.csv", rows_c, encoding="utf-8-sig")
    load(landing)
    got = query(
        warehouse,
        "select l.encoding, r.subject_code, r.primary_score, r.test_score, r.mark"
        " from raw.gia_results r join audit.loads l using (load_id) order by l.rel_path",
    )
    assert got == [
        ("cp1251", 1, 30, 70, None),
        ("utf-8", 2, 30, 55, None),
        ("utf-8-sig", 22, 30, None, 4),
    ]
    # the Russian school names of the cp1251 registry survived decoding
    assert query(warehouse, "select name from raw.schools order by school_code")[0] == (
        "Школа № 1",
    )


def test_bad_header_rejected_with_named_columns_rest_intact(warehouse, landing):
    write_ege(landing / "fis_gia/ege/good.csv", [ege_row()])
    bad_header = [h for h in EGE_HEADER if h != "Статус результата"] + ["Статус"]
    write_ege(landing / "fis_gia/ege/bad.csv", [ege_row()], header=bad_header)
    load(landing)
    by_path = {r[0]: r for r in loads(warehouse)}
    bad = by_path["fis_gia/ege/bad.csv"]
    assert bad[1] == "rejected"
    assert "«Статус результата»" in bad[5] and "неизвестные столбцы: «Статус»" in bad[5]
    assert by_path["fis_gia/ege/good.csv"][1:4] == ("loaded", 1, 1)
    assert query(warehouse, "select count(*) from raw.gia_results") == [(1,)]
    kept = list(quarantine_dir().glob("*_bad.csv"))
    assert len(kept) == 1 and kept[0].read_bytes() == (landing / "fis_gia/ege/bad.csv").read_bytes()


def test_wrong_encodings_rejected(warehouse, landing):
    write_ege(landing / "fis_gia/ege/koi8.csv", [ege_row()], encoding="koi8_r")
    write_ege(landing / "fis_gia/ege/utf16.csv", [ege_row()], encoding="utf-16")
    load(landing)
    by_path = {r[0]: r for r in loads(warehouse)}
    koi8 = by_path["fis_gia/ege/koi8.csv"]
    assert koi8[1] == "rejected" and "кодировка" in koi8[5]
    utf16 = by_path["fis_gia/ege/utf16.csv"]
    assert utf16[1] == "rejected" and "UTF-16" in utf16[5]
    assert query(warehouse, "select count(*) from raw.gia_results") == [(0,)]


def test_row_errors_quarantined_with_reasons_good_rows_load(warehouse, landing):
    rows = [
        ege_row(snils="111-222-333 44", test=70),
        ege_row(snils="111-222-333 45", test=105),
        ege_row(snils="111-222-333 46", school="999999"),
        ege_row(snils="111-222-333 47", status="пересдача"),
        ege_row(snils="", series="", number=""),
        ege_row(snils="111-222-333 44", test=70),  # the same sitting again
    ]
    write_ege(landing / "fis_gia/ege/rows.csv", rows)
    load(landing)
    reasons = query(warehouse, "select source_row, reason from audit.quarantine order by 1")
    assert reasons == [
        (2, "«Тестовый балл»: значение «105» больше 100"),
        (3, "«Код ОО» 999999 отсутствует в реестре ОО"),
        (
            4,
            "«Статус результата»: недопустимое значение «пересдача» (допустимо: действителен,"
            " аннулирован, не явился, удалён, на апелляции)",
        ),
        (5, "нет ни СНИЛС, ни серии и номера документа — участника нельзя идентифицировать"),
        (6, "повтор: та же запись уже есть в строке 1"),
    ]
    assert loads(warehouse)[-1][1:5] == ("loaded", 6, 1, 5)


def test_same_bytes_twice_load_once_and_rerun_changes_nothing(warehouse, landing):
    write_ege(landing / "fis_gia/ege/a.csv", [ege_row(), ege_row(subject=2, test=40)])
    load(landing)
    before = query(warehouse, "select * from raw.gia_results order by source_row")
    load(landing)
    after = query(warehouse, "select * from raw.gia_results order by source_row")
    assert before == after and len(after) == 2
    statuses = [r[1] for r in loads(warehouse)]
    assert statuses.count("loaded") == 3 and statuses.count("duplicate") == 3


def test_corrected_file_replaces_predecessor(warehouse, landing):
    path = landing / "fis_gia/ege/a.csv"
    write_ege(path, [ege_row(test=20), ege_row(subject=2, test=40)])
    load(landing)
    write_ege(path, [ege_row(test=25), ege_row(subject=2, test=41)])  # corrected scores
    load(landing)
    assert query(warehouse, "select subject_code, test_score from raw.gia_results order by 1") == [
        (1, 25),
        (2, 41),
    ]
    ege = [r for r in loads(warehouse) if r[0] == "fis_gia/ege/a.csv"]
    assert [r[1] for r in ege] == ["superseded", "loaded"]


def test_renamed_correction_wins_its_row_other_files_add(warehouse, landing):
    """A differently named file with a row of the same natural key corrects that row; a
    file with other keys (September) adds. Nothing is decided by what files cover."""
    write_ege(landing / "fis_gia/ege/main.csv", [ege_row(test=20), ege_row(subject=2, test=50)])
    write_ege(
        landing / "fis_gia/ege/september.csv",
        [ege_row(stage="дополнительный", date="05.09.2023", test=30)],
    )
    load(landing)
    assert query(warehouse, "select count(*) from raw.gia_results") == [(3,)]
    (landing / "fis_gia/ege/main.csv").unlink()
    write_ege(landing / "fis_gia/ege/main_v2.csv", [ege_row(test=22)])
    load(landing)
    current = (
        "select stage, subject_code, test_score from raw.gia_results where replaced_by is null"
    )
    assert sorted(query(warehouse, current)) == [
        ("дополнительный", 1, 30),
        ("основной", 1, 22),  # main_v2's row wins
        ("основной", 2, 50),  # main.csv's other row stays
    ]
    old = query(
        warehouse,
        "select r.old_values ->> 'test_score', r.new_values ->> 'test_score', o.rel_path,"
        " n.rel_path, r.changed_columns from audit.row_replacements r"
        " join audit.loads o on o.load_id = r.old_load_id"
        " join audit.loads n on n.load_id = r.new_load_id",
    )
    assert old == [("20", "22", "fis_gia/ege/main.csv", "fis_gia/ege/main_v2.csv", ["test_score"])]


def test_no_personal_data_anywhere_and_key_is_hmac_of_snils(warehouse, landing):
    write_ege(
        landing / "fis_gia/ege/a.csv",
        [
            ege_row(snils="123-456-789 01", surname="Самойлова"),
            ege_row(snils="", series="08 12", number="345678", surname="Кузнецов", subject=2),
        ],
    )
    load(landing)
    expected = hmac.new(b"test-secret-key", b"12345678901", hashlib.sha256).hexdigest()
    doc_key = hmac.new(b"test-secret-key", b"0812345678", hashlib.sha256).hexdigest()
    keys = query(warehouse, "select person_key from raw.gia_results order by subject_code")
    assert keys == [(expected,), (doc_key,)]
    columns = query(
        warehouse,
        "select table_schema, table_name, column_name from information_schema.columns"
        " where table_schema in ('raw', 'audit', 'marts', 'staging', 'intermediate', 'reference')"
        " and data_type in ('text', 'jsonb', 'character varying')",
    )
    for schema, table, column in columns:
        hits = query(
            warehouse,
            f'select count(*) from {schema}."{table}" where "{column}"::text ~ %s',
            ("Самойлова|Кузнецов|123-456-789|12345678901|345678",),
        )
        assert hits == [(0,)], f"personal data in {schema}.{table}.{column}"


def test_stray_file_and_absent_sources(warehouse, tmp_path):
    landing = tmp_path / "only_ref"
    write_reference(landing)
    (landing / "fis_gia/ege").mkdir(parents=True)
    (landing / "fis_gia/ege/results.xlsx").write_bytes(b"PK\x03\x04 not a csv")
    run_id = pipeline.prepare(landing)
    report = pipeline.ingest(landing, run_id)
    assert any("fis_gia/oge" in n and "пропущен" in n for n in report.notices)
    stray = [r for r in report.results if r.rel_path == "fis_gia/ege/results.xlsx"]
    assert stray[0].status == "rejected" and "не соответствует контракту" in stray[0].message


def test_backslashes_and_quotes_survive_copy(warehouse, landing):
    row = ege_row()
    row["Предмет"] = 'Русский\\язык "ЕГЭ"'
    write_ege(landing / "fis_gia/ege/a.csv", [row])
    load(landing)
    assert query(warehouse, "select subject_name from raw.gia_results") == [
        ('Русский\\язык "ЕГЭ"',)
    ]


def test_original_and_correction_side_by_side_rerun_is_stable(warehouse, landing):
    """A folder holding a file and its renamed correction (written later): the correction
    wins, and running again changes nothing (unchanged files are not loaded again)."""
    write_ege(landing / "fis_gia/ege/a.csv", [ege_row(test=20)])
    write_ege(landing / "fis_gia/ege/b_corrected.csv", [ege_row(test=22)])
    current = "select test_score from raw.gia_results where replaced_by is null"
    load(landing)
    assert query(warehouse, current) == [(22,)]
    load(landing)
    assert query(warehouse, current) == [(22,)]
    last_run = query(
        warehouse,
        "select rel_path, status from audit.loads where run_id = (select max(run_id)"
        " from audit.runs) and source = 'ege'",
    )
    assert last_run == [
        ("fis_gia/ege/a.csv", "duplicate"),
        ("fis_gia/ege/b_corrected.csv", "duplicate"),
    ]


def test_blocking_validation_failure_stops_publishing(warehouse, landing, monkeypatch):
    """A critical Great Expectations failure rejects the file, keeps earlier data intact,
    marks the run blocked and makes `edu-dwh run` exit 1 before dbt."""
    from dataclasses import dataclass, field

    from orchestration.cli import main as cli_main

    write_ege(landing / "fis_gia/ege/a.csv", [ege_row(test=50)])
    load(landing)

    @dataclass
    class Failed:
        success: bool = False
        failures: list = field(default_factory=lambda: ["Тестовый балл вне диапазона: 1 строк(и)"])
        warnings: list = field(default_factory=list)

    @dataclass
    class Validation:
        source: str

        def finish(self, load_id):
            return Failed(success=self.source != "ege")

    def failing(dsn, source, stages, run_id):
        return Validation(source)

    import expectations.runner

    monkeypatch.setattr(expectations.runner, "validate_source", failing)
    write_ege(landing / "fis_gia/ege/b.csv", [ege_row(snils="999-999-999 99", test=60)])
    transformed = []
    monkeypatch.setattr(pipeline, "transform", lambda: transformed.append(True))
    assert cli_main(["run", "--landing", str(landing), "--quiet"]) == 1
    assert transformed == []
    assert query(warehouse, "select test_score from raw.gia_results") == [(50,)]
    b = [r for r in loads(warehouse) if r[0] == "fis_gia/ege/b.csv"][0]
    assert b[1] == "rejected" and "Тестовый балл вне диапазона" in b[5]
    assert query(warehouse, "select status from audit.runs order by run_id desc limit 1") == [
        ("blocked",)
    ]


def test_files_of_a_source_in_one_run_get_their_own_verdicts(warehouse, landing):
    """The run's ЕГЭ files are validated in one GX pass; the file whose school lies in
    another municipality gets that warning, the other file none, and both load."""
    write_ege(landing / "fis_gia/ege/a.csv", [ege_row(), ege_row(snils="555-666-777 88")])
    write_ege(
        landing / "fis_gia/ege/b.csv",
        [ege_row(snils="222-333-444 55", school="270003", ate="01")],
    )
    run_id = load(landing)
    ege = [(r[0], r[1]) for r in loads(warehouse) if r[0].startswith("fis_gia")]
    assert ege == [("fis_gia/ege/a.csv", "loaded"), ("fis_gia/ege/b.csv", "loaded")]
    failed = query(
        warehouse,
        "select l.rel_path, v.observed->>'message_ru' from audit.validation_results v"
        " join audit.loads l using (load_id) where v.run_id = %s and not v.success",
        (run_id,),
    )
    assert failed == [
        (
            "fis_gia/ege/b.csv",
            "Код ОО не относится к указанному коду АТЕ (по справочнику ОО): 1 строк(и)",
        )
    ]
    counts = query(
        warehouse,
        "select l.rel_path, count(*), max(v.element_count) from audit.validation_results v"
        " join audit.loads l using (load_id) where v.run_id = %s and l.source = 'ege'"
        " group by 1 order by 1",
        (run_id,),
    )
    assert [(path, elements) for path, _, elements in counts] == [
        ("fis_gia/ege/a.csv", 2),
        ("fis_gia/ege/b.csv", 1),
    ]
    assert counts[0][1] == counts[1][1]  # the whole suite for each file


def test_audit_page_lists_files_reasons_and_failed_checks(warehouse, landing):
    from reporting.audit_report import write_audit_report

    write_ege(landing / "fis_gia/ege/a.csv", [ege_row(), ege_row(snils="1", test=120)])
    write_ege(landing / "fis_gia/ege/bad.csv", [ege_row()], header=EGE_HEADER[:-1])
    run_id = load(landing)
    page = write_audit_report(run_id).read_text(encoding="utf-8")
    assert f"Проверка данных: запуск №{run_id}" in page
    assert "fis_gia/ege/a.csv" in page and "отклонён" in page
    assert "«Тестовый балл»: значение «120» больше 100" in page
    assert "«Статус результата»" in page  # the rejected file's message names the column
    assert "Иванова" not in page and "111-222-333 44" not in page


def test_numbers_beyond_storage_and_infinity_are_row_errors(warehouse, landing):
    rows = [
        ege_row(snils="111-222-333 44", primary=12345678901234567890),  # beyond integer
        ege_row(snils="111-222-333 45", primary=2147483648),  # 2^31: just beyond integer
        ege_row(snils="111-222-333 46", test="inf"),
        ege_row(snils="111-222-333 47", primary=2147483647, test=70),  # the largest integer
    ]
    write_ege(landing / "fis_gia/ege/huge.csv", rows)
    load(landing)
    reasons = query(warehouse, "select source_row, reason from audit.quarantine order by 1")
    # the first reason is the value's; the row rules then see no value (a second reason)
    assert [(row, reason.split("; ")[0]) for row, reason in reasons] == [
        (1, "«Первичный балл»: значение «12345678901234567890» вне допустимого диапазона"),
        (2, "«Первичный балл»: значение «2147483648» вне допустимого диапазона"),
        (3, "«Тестовый балл»: не число «inf»"),
    ]
    assert query(warehouse, "select primary_score from raw.gia_results") == [(2147483647,)]
    assert loads(warehouse)[-1][1:5] == ("loaded", 4, 1, 3)
