"""Great Expectations suites on real stage tables (embedded PostgreSQL, nothing mocked)."""

from __future__ import annotations

import ast
import datetime as dt
import logging
import re
from pathlib import Path

import psycopg2
import pytest

import sources as contract
from expectations import context, docs, runner
from expectations.suites import SPECIFIC, build_suite, stage_columns
from ingestion import config, loader
from ingestion.db import ensure_schema
from sources import raw_columns
from tests.fixtures.gia import GIA_COLUMNS as GIA_TYPED_COLUMNS
from tests.fixtures.pg import copy_rows

SNILS = re.compile(r"\d{3}-\d{3}-\d{3} \d{2}")

GIA_COLUMNS = ["load_id", "source_row", *GIA_TYPED_COLUMNS, "_reject_reason"]


@pytest.fixture(autouse=True)
def _fresh_gx_cache():
    runner.reset_cache()
    yield
    runner.reset_cache()


def _exec(dsn, statement, params=None):
    conn = psycopg2.connect(dsn)
    try:
        with conn, conn.cursor() as cur:
            cur.execute(statement, params)
            return cur.fetchall() if cur.description else None
    finally:
        conn.close()


def _add_load(cur, source, status="loaded") -> int:
    cur.execute(
        "insert into audit.loads (source, rel_path, file_name, sha256, status)"
        " values (%s, %s, %s, %s, %s) returning load_id",
        (source, f"{source}.csv", f"{source}.csv", f"sha-{source}-{status}", status),
    )
    return cur.fetchone()[0]


@pytest.fixture
def dwh(warehouse):
    """The warehouse with the schema and a small registry: АТЕ 01, 02; ОО 0101 (01), 0201 (02)."""
    conn = psycopg2.connect(warehouse)
    with conn, conn.cursor() as cur:
        ensure_schema(conn)
        mun = _add_load(cur, "municipalities")
        copy_rows(
            cur,
            "raw.municipalities",
            ["load_id", "source_row", "ate_code", "name", "type"],
            [
                (mun, 1, "01", "Город А", "городской округ"),
                (mun, 2, "02", "Район Б", "муниципальный район"),
            ],
        )
        sch = _add_load(cur, "schools")
        copy_rows(
            cur,
            "raw.schools",
            ["load_id", "source_row", "school_code", "ate_code", "name", "locality"],
            [(sch, 1, "0101", "01", "Школа 1", "город"), (sch, 2, "0201", "02", "Школа 2", "село")],
        )
    conn.close()
    return warehouse


def _gia_row(load_id, n, *, level=11, year=2024, stage="основной", form="ЕГЭ", ate="01",
             school="0101", category="ВТГ", person=None, subject=1, primary=20, test=70,
             mark=None, status="действителен", reject=None, date=None):  # fmt: skip
    return (
        load_id,
        n,
        level,
        year,
        stage,
        date or dt.date(year, 6, 1),
        form,
        ate,
        school,
        category,
        person or f"pk{n:04d}" + "ab" * 30,
        subject,
        None,
        primary,
        test,
        mark,
        status,
        reject,
    )


def _create_stage(dsn, load_id, rows, raw_table="gia_results", columns=GIA_COLUMNS) -> str:
    """A stage table as ingestion.loader.stage_file makes it."""
    name = loader.stage_table(load_id)
    conn = psycopg2.connect(dsn)
    with conn, conn.cursor() as cur:
        for statement in loader.stage_ddl(name, f"raw.{raw_table}"):
            cur.execute(statement)
        copy_rows(cur, name, columns, rows)
    conn.close()
    return name


def _new_load(dsn, source, status="staged") -> int:
    conn = psycopg2.connect(dsn)
    with conn, conn.cursor() as cur:
        load_id = _add_load(cur, source, status)
    conn.close()
    return load_id


def test_stage_columns_follow_raw_ddl():
    cols = stage_columns("gia_results")
    assert cols[:2] == ["load_id", "source_row"]
    assert cols[-5:] == ["extra", "nk", "replaced_by", "_reject_reason", "_note"]
    assert cols == [*GIA_COLUMNS[:-1], "extra", "nk", "replaced_by", "_reject_reason", "_note"]


def test_every_contract_source_has_a_suite():
    assert set(SPECIFIC) == set(contract.SOURCES)


def test_every_expectation_has_severity_and_russian_message():
    for source in SPECIFIC:
        suite = build_suite(source)
        assert suite.expectations, source
        for exp in suite.expectations:
            assert exp.meta["severity"] in ("critical", "warning"), (source, exp.expectation_type)
            assert re.search("[а-яА-ЯёЁ]", exp.meta["message_ru"]), (source, exp)
        types = {exp.expectation_type for exp in suite.expectations}
        assert "expect_table_columns_to_match_set" in types
        assert "expect_table_row_count_to_be_between" in types


def _kwargs(suite) -> list[dict]:
    return [exp.configuration.kwargs for exp in suite.expectations]


def test_generic_expectations_follow_the_contract():
    """Not-null, in-set and between come from the columns of sources.SOURCES, nothing else."""
    for source, spec in contract.SOURCES.items():
        suite = build_suite(source)
        by_type: dict[str, list[dict]] = {}
        for exp, kwargs in zip(suite.expectations, _kwargs(suite), strict=True):
            by_type.setdefault(exp.expectation_type, []).append(kwargs)
        stored = [c for c in spec.columns if c.name]
        not_null = {k["column"] for k in by_type["expect_column_values_to_not_be_null"]}
        assert {c.name for c in stored if c.required} <= not_null, source
        in_set = {k["column"]: k["value_set"] for k in by_type["expect_column_values_to_be_in_set"]}
        expected = {c.name: list(c.allowed) for c in stored if c.allowed}
        expected.update({c.name: [c.value] for c in spec.constants})
        assert in_set == expected, source
        between = {
            k["column"]: (k.get("min_value"), k.get("max_value"))
            for k in by_type.get("expect_column_values_to_be_between", [])
            if k["column"] in spec.column_by_name
        }
        assert between == {
            c.name: (c.lo, c.hi) for c in stored if c.lo is not None or c.hi is not None
        }, source
        key = by_type.get("expect_compound_columns_to_be_unique") or [
            {"column_list": [k["column"]]} for k in by_type["expect_column_values_to_be_unique"]
        ]
        assert [k["column_list"] for k in key] == [list(spec.natural_key)], source
        (columns,) = by_type["expect_table_columns_to_match_set"]
        assert columns["column_set"] == stage_columns(spec.raw_table), source
        queries = [
            k["unexpected_rows_query"] for k in by_type.get("unexpected_rows_expectation", [])
        ]
        for ref in spec.references:
            assert any(f"b.{ref.column} is not null and r." in q for q in queries), source


def test_no_value_set_is_declared_in_expectations():
    """Value sets live in sources/ only: no literal collection of Russian words or of numbers
    in expectations/, and no suite embeds registry codes (they are queried)."""
    for path in Path(docs.__file__).parent.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Tuple | ast.List | ast.Set) and len(node.elts) >= 2:
                values = [e.value for e in node.elts if isinstance(e, ast.Constant)]
                russian = any(isinstance(v, str) and re.search("[а-яё]", v, re.I) for v in values)
                numbers = len(values) == len(node.elts) and all(
                    isinstance(v, int) and not isinstance(v, bool) for v in values
                )
                assert not (russian or numbers), f"{path.name}:{node.lineno}"
    for source in SPECIFIC:
        for kwargs in _kwargs(build_suite(source)):
            assert "0101" not in str(kwargs), source


def test_ege_stage_critical_failures_on_accepted_rows_only(dwh):
    run_id = _exec(dwh, "insert into audit.runs default values returning run_id")[0][0]
    load_id = _new_load(dwh, "ege")
    rows = [
        _gia_row(load_id, 1),
        _gia_row(load_id, 2, school="9999"),  # unknown school, accepted
        _gia_row(load_id, 3, test=120),  # out of range, accepted
        _gia_row(load_id, 4, school=None, category="ВПЛ"),  # ВПЛ without school: fine
        _gia_row(load_id, 5, subject=22, test=None, mark=5),
        # rejected by ingestion: must not count, although it breaks several expectations
        _gia_row(
            load_id,
            6,
            school="8888",
            test=150,
            status="непонятно",
            reject="Недопустимый статус результата",
        ),
    ]
    stage = _create_stage(dwh, load_id, rows)

    outcome = runner.validate_stage(dwh, "ege", stage, load_id, run_id)

    assert outcome.success is False
    assert outcome.failures == [
        "«Тестовый балл»: значение вне диапазона 0–100: 1 строк(и)",
        "«Код ОО»: код отсутствует в реестре ОО: 1 строк(и)",
    ]
    assert outcome.warnings == []
    assert outcome.statistics["rows_accepted"] == 5
    assert outcome.statistics["rows_rejected"] == 1
    assert outcome.statistics["previous_rows"] is None

    results = _exec(
        dwh,
        "select suite_name, expectation_type, column_name, severity, success, element_count,"
        " unexpected_count, observed, kwargs, run_id"
        " from audit.validation_results where load_id = %s",
        (load_id,),
    )
    suite_size = len(build_suite("ege").expectations)
    by_suite = {}
    for row in results:
        by_suite.setdefault(row[0], []).append(row)
    assert {name: len(items) for name, items in by_suite.items()} == {
        "ege.accepted": suite_size,
        "ege.all_rows": suite_size,
    }
    assert all(row[9] == run_id for row in results)
    accepted = {(r[1], r[2]): r for r in by_suite["ege.accepted"]}
    everything = {(r[1], r[2]): r for r in by_suite["ege.all_rows"]}
    score = accepted[("expect_column_values_to_be_between", "test_score")]
    assert (score[3], score[4], score[5], score[6]) == ("critical", False, 5, 1)
    assert score[7]["partial_unexpected_list"] == [120]
    assert score[8] == {"column": "test_score", "min_value": 0, "max_value": 100}
    # the file as delivered: the rejected row is visible there, and only there
    assert everything[("expect_column_values_to_be_between", "test_score")][6] == 2
    assert everything[("expect_column_values_to_be_in_set", "status")][4] is False
    assert accepted[("expect_column_values_to_be_in_set", "status")][4] is True
    for row in results:
        assert not SNILS.search(str(row[7])) and not SNILS.search(str(row[8]))

    index = runner.build_data_docs()
    assert index == runner.data_docs_index() == config.data_docs_dir() / "index.html"
    assert index.is_file()
    pages = list(config.data_docs_dir().rglob("*.html"))
    assert len(pages) > 1
    texts = [page.read_text(encoding="utf-8") for page in pages]
    assert any("код отсутствует в реестре ОО" in text for text in texts)
    for page, text in zip(pages, texts, strict=True):
        assert not SNILS.search(text), page

    # the cached context still validates after the docs build (same process, same DSN)
    again = runner.validate_stage(dwh, "ege", stage, load_id, run_id)
    assert again.failures == outcome.failures
    assert len([wh for wh in context.cached_warehouses() if wh.dsn == dwh]) == 1


def test_clean_stage_passes_and_row_count_is_a_warning(dwh):
    # last year's loaded results for the same slice (основной, ЕГЭ, АТЕ 01, предмет 1): 10 rows
    prev = _new_load(dwh, "ege", status="loaded")
    conn = psycopg2.connect(dwh)
    with conn, conn.cursor() as cur:
        copy_rows(
            cur,
            "raw.gia_results",
            GIA_COLUMNS[:-1],
            [_gia_row(prev, n, year=2023)[:-1] for n in range(1, 11)]
            # other slices of last year do not count
            + [_gia_row(prev, n, year=2023, subject=3)[:-1] for n in range(11, 16)]
            + [_gia_row(prev, n, year=2022)[:-1] for n in range(16, 40)],
        )
    conn.close()

    load_id = _new_load(dwh, "ege")
    rows = [
        _gia_row(load_id, 1),
        _gia_row(load_id, 2, person="other" + "cd" * 30),
        _gia_row(load_id, 3, form="ГВЭ", test=None, mark=4, ate="02", school="0201"),
    ]
    stage = _create_stage(dwh, load_id, rows)

    outcome = runner.validate_stage(dwh, "ege", stage, load_id, None, validate_all_rows=False)

    assert outcome.success is True
    assert outcome.failures == []
    assert outcome.statistics["previous_rows"] == 10
    assert outcome.warnings == [
        "Число строк вне правдоподобного диапазона 5–20 (тот же срез прошлого года: 10 строк):"
        " 3 строк(и)"
    ]
    suites = _exec(
        dwh,
        "select distinct suite_name from audit.validation_results where load_id = %s",
        (load_id,),
    )
    assert suites == [("ege.accepted",)]


def test_gx_never_fetches_the_rows_of_a_file(dwh):
    """Validation is SQL on the stage: no query returns the file's rows to this process (the
    memory of a run must not grow with the file, issue 8 #5). GX reads a query asset's
    columns from the result of its query; context._columns_without_rows makes that query
    return none."""
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    load_id = _new_load(dwh, "ege")
    rows = [_gia_row(load_id, n) for n in range(1, 301)]
    stage = _create_stage(dwh, load_id, rows)
    fetched: list[tuple[int, str]] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        fetched.append((cursor.rowcount, statement))

    event.listen(Engine, "after_cursor_execute", record)
    try:
        outcome = runner.validate_stage(dwh, "ege", stage, load_id, None, validate_all_rows=False)
    finally:
        event.remove(Engine, "after_cursor_execute", record)

    assert outcome.success is True  # the column set matched: names still read right
    assert outcome.failures == []
    columns = [st for _, st in fetched if "as edu_dwh_columns limit 0" in st]
    assert columns, "GX no longer reads the columns through column_reflection_fallback"
    assert max(n for n, _ in fetched) < 300, [st[:200] for n, st in fetched if n >= 300]


def test_oge_rules_differ_from_ege(dwh):
    load_id = _new_load(dwh, "oge")
    rows = [
        _gia_row(load_id, 1, level=9, form="ОГЭ", test=None, mark=5),
        _gia_row(load_id, 2, level=9, form="ОГЭ", test=None, mark=4, subject=22),
        _gia_row(load_id, 3, level=9, form="ЕГЭ", test=None, mark=4, category="ВПЛ"),
        _gia_row(load_id, 4, level=9, form="ОГЭ", test=None, mark=None),
        _gia_row(load_id, 5, level=9, form="ОГЭ", test=None, mark=3, ate="01", school="0201"),
    ]
    stage = _create_stage(dwh, load_id, rows)

    outcome = runner.validate_stage(dwh, "oge", stage, load_id, None)

    assert outcome.success is False
    assert outcome.failures == [
        "«Форма»: недопустимое значение: 1 строк(и)",
        "«Категория участника»: недопустимое значение: 1 строк(и)",
        "«Код предмета»: недопустимое значение: 1 строк(и)",
    ]
    # a valid result without a mark (row 4) is a row rule of sources/gia.py, not a GX check
    assert outcome.warnings == [
        "Код ОО не относится к указанному коду АТЕ (по справочнику ОО): 1 строк(и)",
    ]
    # nothing was rejected by ingestion: the all-rows batch would repeat the accepted one
    suites = _exec(
        dwh,
        "select distinct suite_name from audit.validation_results where load_id = %s",
        (load_id,),
    )
    assert suites == [("oge.accepted",)]


def test_duplicate_sitting_and_schema_mismatch(dwh):
    load_id = _new_load(dwh, "ege")
    rows = [_gia_row(load_id, 1), _gia_row(load_id, 2, person=_gia_row(load_id, 1)[10])]
    stage = _create_stage(dwh, load_id, rows)
    _exec(dwh, f"alter table {stage} drop column subject_name")
    _exec(dwh, f"alter table {stage} add column fio text")

    outcome = runner.validate_stage(dwh, "ege", stage, load_id, None, validate_all_rows=False)

    assert outcome.success is False
    assert outcome.failures == [
        "Состав столбцов промежуточной таблицы не соответствует контракту:"
        " нет столбцов subject_name; лишние столбцы fio",
        "Повторяющиеся записи с одним ключом"
        " (участник, Год, Форма, Код предмета, Этап, Дата экзамена): 2 строк(и)",
    ]


def test_reference_files(dwh):
    mun_cols = ["load_id", "source_row", "ate_code", "name", "type", "_reject_reason"]
    load_id = _new_load(dwh, "municipalities")
    stage = _create_stage(
        dwh,
        load_id,
        [
            (load_id, 2, "01", "Город А", "городской округ", None),
            (load_id, 3, "01", "Город А2", "городской округ", None),
            (load_id, 4, "03", "Посёлок", "посёлок", None),
            (load_id, 5, "04", "Бракованная", "???", "Недопустимый тип"),
        ],
        raw_table="municipalities",
        columns=mun_cols,
    )
    outcome = runner.validate_stage(dwh, "municipalities", stage, load_id, None)
    assert outcome.failures == [
        "«Тип»: недопустимое значение: 1 строк(и)",
        "Повторяющиеся записи с одним ключом (Код АТЕ): 2 строк(и)",
    ]
    # currently loaded version has 2 rows -> 3 accepted rows are within 1..4
    assert outcome.statistics["previous_rows"] == 2
    assert outcome.warnings == []

    tgt_cols = [*raw_columns("targets")[:-1], "_reject_reason"]
    load_id = _new_load(dwh, "targets")
    stage = _create_stage(
        dwh,
        load_id,
        [
            (load_id, 1, "GIA-01", 2025, "регион", "00", 1, 95, None),
            (load_id, 2, "GIA-01", 2025, "муниципалитет", "01", None, 90, None),
            (load_id, 3, "GIA-1", 2025, "регион", "01", None, 90, None),
            (load_id, 4, "VPR-02", 2025, "школа", "0101", None, 90, None),
            (load_id, 5, "VPR-03", 2025, "ОО", "0101", 99, 90, None),
        ],
        raw_table="targets",
        columns=tgt_cols,
    )
    outcome = runner.validate_stage(dwh, "targets", stage, load_id, None)
    # the code format and territory 00 of the region are row rules (sources/targets.py):
    # rows 3 and 4 would have been quarantined by ingestion; GX checks the contract's columns
    assert outcome.failures == [
        "«Уровень»: недопустимое значение: 1 строк(и)",
        "«Предмет»: недопустимое значение: 1 строк(и)",
    ]

    sch_cols = [*raw_columns("schools")[:-1], "_reject_reason"]
    load_id = _new_load(dwh, "schools")
    stage = _create_stage(
        dwh,
        load_id,
        [
            (load_id, 1, "0101", "01", "Школа 1", "город", "муниципальная", True, False, None),
            (load_id, 2, "0102", "01", "Школа 2", "село", "частная", False, None, None),
        ],
        raw_table="schools",
        columns=sch_cols,
    )
    outcome = runner.validate_stage(dwh, "schools", stage, load_id, None)
    assert outcome.failures == ["«ШСУ»: не заполнено: 1 строк(и)"]


def test_data_docs_build_without_validations(warehouse):
    index = runner.build_data_docs()
    assert index.is_file() and index.parent == config.data_docs_dir()


def test_unknown_source_warns_but_does_not_block(dwh):
    outcome = runner.validate_stage(dwh, "niko", "raw._stage_1", 1, None)
    assert outcome.success is True
    assert outcome.warnings == ["Для источника «niko» нет набора проверок Great Expectations"]
    with pytest.raises(ValueError, match="Нет набора проверок"):
        build_suite("niko")


def test_vpr_olympiad_career(dwh):
    vpr_cols = [
        "load_id", "source_row", "year", "ate_code", "school_code", "grade", "class_letter",
        "student_code", "subject_code", "primary_score", "mark", "journal_mark", "task_scores",
        "_reject_reason",
    ]  # fmt: skip
    load_id = _new_load(dwh, "vpr")
    stage = _create_stage(
        dwh,
        load_id,
        [
            (load_id, 1, 2024, "01", "0101", 5, "А", "S1", 1, 20, 4, 4, '{"З1": 2}', None),
            (load_id, 2, 2024, "01", "0101", 5, "А", "S1", 1, 21, 4, None, None, None),  # repeat
            (load_id, 3, 2024, "01", "0101", 5, "Б", "S2", 40, 10, 3, 3, None, None),
            (load_id, 4, 2024, "01", "0101", 12, "Б", "S3", 1, 10, 3, 3, None, None),
        ],
        raw_table="vpr_results",
        columns=vpr_cols,
    )
    outcome = runner.validate_stage(dwh, "vpr", stage, load_id, None, validate_all_rows=False)
    assert outcome.failures == [
        "«Класс»: значение вне диапазона 4–11: 1 строк(и)",
        "Повторяющиеся записи с одним ключом"
        " (Год, Код ОО, Код ученика, Код предмета, Класс): 2 строк(и)",
    ]
    # «окружающий мир only in grade 4» (row 3) is a row rule of sources/vpr.py
    assert outcome.warnings == []

    oly_cols = [
        "load_id", "source_row", "school_year", "year", "event", "stage", "subject", "grade",
        "ate_code", "school_code", "person_key", "score", "max_score", "status", "_reject_reason",
    ]  # fmt: skip
    load_id = _new_load(dwh, "olympiad")
    stage = _create_stage(
        dwh,
        load_id,
        [
            (
                load_id,
                1,
                "2023/2024",
                2024,
                "ВсОШ",
                "школьный",
                "Математика",
                7,
                "01",
                "0101",
                "pk1",
                30,
                50,
                "призёр",
                None,
            ),
            (
                load_id,
                2,
                "2023/2024",
                2024,
                "Олимпиада Эйлера",
                "школьный",
                "Робототехника",
                9,
                "01",
                None,
                "pk2",
                None,
                None,
                "участник",
                None,
            ),
            (
                load_id,
                3,
                "2023/2024",
                2024,
                "ВсОШ",
                "региональный",
                "Физика",
                9,
                "01",
                "0201",
                "pk3",
                60,
                50,
                "победитель",
                None,
            ),
        ],  # fmt: skip
        raw_table="olympiad_results",
        columns=oly_cols,
    )
    outcome = runner.validate_stage(dwh, "olympiad", stage, load_id, None, validate_all_rows=False)
    assert outcome.failures == ["«Мероприятие»: недопустимое значение: 1 строк(и)"]
    # the stage per event and «score ≤ maximum» (row 3) are row rules of sources/olympiad.py
    assert outcome.warnings == [
        "Код ОО не относится к указанному коду АТЕ (по справочнику ОО): 1 строк(и)"
    ]

    counts = [
        "students_6_11", "bvb_participants", "bvb_recommendations", "proektoria_participants",
        "grads_9", "grads_11", "grads_9_continued", "vocational_completed",
        "profile_gia_choice", "spo_profile", "vo_profile", "enterprise_events",
    ]  # fmt: skip
    car_cols = ["load_id", "source_row", "school_year", "year", "ate_code", "school_code",
                *counts, "model_level", "_reject_reason"]  # fmt: skip
    load_id = _new_load(dwh, "career")
    good = [300, 100, 80, 120, 50, 30, 40, 5, 20, 10, 12, 3]
    stage = _create_stage(
        dwh,
        load_id,
        [
            (load_id, 1, "2023/2024", 2024, "01", "0101", *good, "базовый", None),
            (load_id, 2, "2022/2023", 2023, "02", "0201", *good[:2], 150, *good[3:], None, None),
            (load_id, 3, "2023/2024", 2024, "01", "0201", *good, "высший", None),
        ],
        raw_table="career_reports",
        columns=car_cols,
    )
    outcome = runner.validate_stage(dwh, "career", stage, load_id, None, validate_all_rows=False)
    assert outcome.failures == [
        "«Уровень единой модели профориентации»: недопустимое значение: 1 строк(и)"
    ]
    # more recommendations than participants (row 2) is a row rule of sources/career.py
    assert outcome.warnings == [
        "Код ОО не относится к указанному коду АТЕ (по справочнику ОО): 1 строк(и)",
    ]


def test_registry_is_queried_not_embedded(dwh):
    """A school added to the registry after the suite was saved counts at the next file."""
    rows = lambda load_id: [_gia_row(load_id, 1, school="0102")]  # noqa: E731
    load_id = _new_load(dwh, "ege")
    first = runner.validate_stage(
        dwh, "ege", _create_stage(dwh, load_id, rows(load_id)), load_id, None
    )
    assert first.failures == ["«Код ОО»: код отсутствует в реестре ОО: 1 строк(и)"]
    sch = _new_load(dwh, "schools", status="loaded")
    _exec(
        dwh,
        "insert into raw.schools (load_id, source_row, school_code, ate_code, name)"
        " values (%s, 1, '0102', '02', 'Школа 3')",
        (sch,),
    )
    load_id = _new_load(dwh, "ege")
    second = runner.validate_stage(
        dwh, "ege", _create_stage(dwh, load_id, rows(load_id)), load_id, None
    )
    assert second.success is True
    # the registry puts school 0102 in municipality 02, the row says 01
    assert second.warnings == [
        "Код ОО не относится к указанному коду АТЕ (по справочнику ОО): 1 строк(и)"
    ]


def test_gx_store_and_docs_per_warehouse(dwh, pg_server, caplog):
    other = dwh.replace("/t_", "/other_")
    assert context.warehouse_key(dwh) != context.warehouse_key(other)
    with_password = dwh.replace("postgres:@", "postgres:secret@")
    assert context.warehouse_key(with_password) == context.warehouse_key(dwh)
    assert "secret" not in context.warehouse_label(with_password)
    root = context.gx_root(dwh)
    assert root.parent == config.state_dir() / "gx" and root.name.startswith("wh-")

    caplog.set_level(logging.DEBUG)
    load_id = _new_load(dwh, "ege")
    stage = _create_stage(dwh, load_id, [_gia_row(load_id, 1)])
    assert runner.validate_stage(dwh, "ege", stage, load_id, None).success is True
    gx_lines = [r for r in caplog.records if r.name.startswith("great_expectations")]
    assert [r for r in gx_lines if r.levelno < logging.WARNING] == []
    # the result is in this warehouse's store, and its Data Docs in its own site
    assert list((root / "validations").rglob("*.json"))
    index = runner.build_data_docs()
    assert index == config.data_docs_dir() / "index.html"
    site = docs.site_index(dwh)
    assert site.is_file() and site.parent.name == root.name
    assert f'href="{root.name}/index.html"' in index.read_text(encoding="utf-8")
    assert list(site.parent.rglob(f"*load_{load_id}_ege_accepted*")) or any(
        f"load_{load_id}_ege_accepted" in p.read_text(encoding="utf-8")
        for p in site.parent.rglob("*.html")
    )


def _audit_rows(dsn, load_id) -> list[tuple]:
    return _exec(
        dsn,
        "select suite_name, expectation_type, column_name, kwargs, severity, success,"
        " element_count, unexpected_count, observed from audit.validation_results"
        " where load_id = %s order by id",
        (load_id,),
    )


def test_files_of_one_source_validated_together_get_their_own_verdicts(dwh):
    """One GX pass over seven ЕГЭ files of a run: the file that fails a critical expectation
    is named with its own counts, the file with a warning gets it, the others pass, and every
    file's audit rows are exactly those it gets when validated alone (the same person in
    several files is no repeat)."""
    files = [
        lambda lid: [_gia_row(lid, 1), _gia_row(lid, 2, subject=2)],
        lambda lid: [_gia_row(lid, 1), _gia_row(lid, 2, school=None, category="ВПЛ")],
        lambda lid: [_gia_row(lid, 1), _gia_row(lid, 2, test=120), _gia_row(lid, 3, school="9999")],
        lambda lid: [_gia_row(lid, n, subject=n) for n in range(1, 6)],
        lambda lid: [
            _gia_row(lid, 1),
            _gia_row(lid, 2, school="8888", status="непонятно", reject="Недопустимый статус"),
        ],
        lambda lid: [_gia_row(lid, 1, ate="02", school="0201", test=None, mark=4, form="ГВЭ")],
        lambda lid: [_gia_row(lid, 1, ate="02", school="0101")],  # a warning only
    ]
    run_id = _exec(dwh, "insert into audit.runs default values returning run_id")[0][0]
    together = []
    for rows in files:
        load_id = _new_load(dwh, "ege")
        together.append((load_id, _create_stage(dwh, load_id, rows(load_id))))
    validation = runner.validate_source(dwh, "ege", together, run_id)
    outcomes = [validation.finish(load_id) for load_id, _ in together]

    assert [o.success for o in outcomes] == [True, True, False, True, True, True, True]
    assert outcomes[6].warnings == [
        "Код ОО не относится к указанному коду АТЕ (по справочнику ОО): 1 строк(и)"
    ]
    assert all(o.warnings == [] for o in outcomes[:6])
    assert outcomes[2].failures == [
        "«Тестовый балл»: значение вне диапазона 0–100: 1 строк(и)",
        "«Код ОО»: код отсутствует в реестре ОО: 1 строк(и)",
    ]
    assert all(o.failures == [] for k, o in enumerate(outcomes) if k != 2)

    alone = []
    for rows in files:
        load_id = _new_load(dwh, "ege")
        stage = _create_stage(dwh, load_id, rows(load_id))
        alone.append((load_id, runner.validate_stage(dwh, "ege", stage, load_id, run_id)))
    for (joint_id, _), outcome, (single_id, single) in zip(together, outcomes, alone, strict=True):
        assert (outcome.success, outcome.failures, outcome.warnings) == (
            single.success,
            single.failures,
            single.warnings,
        )
        assert _audit_rows(dwh, joint_id) == _audit_rows(dwh, single_id)
    suites = {r[0] for load_id, _ in together for r in _audit_rows(dwh, load_id)}
    assert suites == {"ege.accepted", "ege.all_rows"}  # the file with a rejected row has both
