"""Incremental dbt builds (issue 8 #4, orchestration/incremental.py and
dbt_project/macros/incremental_years.sql) on a real PostgreSQL: a run that adds one file of
one year rebuilds that year (and the years that read it) only, and publishes exactly the
marts a full refresh of the same data publishes; uncertain changes build everything."""

from __future__ import annotations

import json
import shutil

import psycopg2
import pytest

from bench import marts_digest
from ingestion.config import state_dir
from orchestration import incremental, pipeline
from orchestration.operations import withdraw_file
from synthetic import generate

ADDED = "fis_gia/ege/ege_2023_dopolnitelny.csv"  # ЕГЭ 2023, additional period


def q(dsn, sql, params=()):
    with psycopg2.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall()


def all_digests(dsn) -> dict[str, str]:
    """md5 per relation of marts, reference and intermediate (bench.marts_digest)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(marts_digest, "SCHEMAS", ("marts", "reference", "intermediate"))
        with psycopg2.connect(dsn) as conn:
            return marts_digest.digests(conn)


def xids_by_year(dsn, relation: str) -> dict[int, set[int]]:
    """The transactions that wrote each year's rows of a published table (a build marker)."""
    out: dict[int, set[int]] = {}
    for year, xid in q(dsn, f"select distinct year, xmin::text::bigint from {relation}"):
        out.setdefault(year, set()).add(xid)
    return out


def compiled_tests() -> dict[str, str]:
    """Compiled SQL of two data tests of the last dbt build (run_results.json): the
    uniqueness test of int_gia_results_selected (incremental by year) and a not_null test
    of a staging view (not incremental)."""
    results = json.loads((state_dir() / "dbt_target" / "run_results.json").read_text())
    out = {}
    for node in results["results"]:
        uid = node["unique_id"]
        if uid.startswith("test.edu_dwh.unique_combination_int_gia_results_selected_"):
            out["unique_combination"] = node["compiled_code"]
        elif uid.startswith("test.edu_dwh.not_null_stg_fis_gia__results_"):
            out.setdefault("not_null_stg_fis_gia__results", node["compiled_code"])
    assert set(out) == {"unique_combination", "not_null_stg_fis_gia__results"}, sorted(out)
    return out


@pytest.fixture
def landing(tmp_path):
    out = tmp_path / "landing"
    generate(
        out, seed=11, scale=0.05, sources=("ege", "oge", "diagnostic"),
        ege_years=(2023, 2024), oge_years=(2021, 2022),
    )  # fmt: skip
    return out


def test_one_year_change_rebuilds_that_year_and_equals_full_refresh(
    warehouse, landing, tmp_path, capsys
):
    held = tmp_path / "held.csv"
    shutil.move(landing / ADDED, held)
    pipeline.run_all(landing)
    assert "Сборка dbt: полная" in capsys.readouterr().out  # nothing published yet

    shutil.move(held, landing / ADDED)
    pipeline.run_all(landing)
    out = capsys.readouterr().out
    assert "Сборка dbt: инкрементная — пересобираются годы 2023" in out
    incremental_marts = all_digests(warehouse)
    # the data tests of an incremental model read the years it rebuilt; others read all
    tests = compiled_tests()
    assert "year = any(array[2023]::integer[])" in tests["unique_combination"]
    assert "year = any(" not in tests["not_null_stg_fis_gia__results"]

    # only 2023 was recomputed where nothing reads an earlier year: the other years' rows
    # are the published ones copied before the models ran (one earlier transaction)
    selected = xids_by_year(warehouse, "intermediate.int_gia_results_selected")
    assert set(selected) == {2021, 2022, 2023, 2024}
    rebuilt = max(min(x) for x in selected.values())
    assert selected[2023] == {rebuilt}
    assert all(max(x) < rebuilt for y, x in selected.items() if y != 2023)
    # indicator_values reads GIA-15 (ОГЭ of year - 2): 2023 and the years after it
    values = xids_by_year(warehouse, "marts.indicator_values")
    copied = {y for y, x in values.items() if max(x) < min(values[2023])}
    assert copied == {2021, 2022}
    # the diagnostic works of 2024 are copied (they read ЕГЭ of their own year); their
    # forecast parameters read the year before: 2023 and 2024 rebuilt
    flagged = xids_by_year(warehouse, "intermediate.int_diagnostic_participants_flagged")
    assert set(flagged) == {2023, 2024}
    assert max(flagged[2024]) < min(flagged[2023])
    parameters = xids_by_year(warehouse, "intermediate.int_diagnostic_forecast_parameters")
    assert min(parameters[2024]) >= min(flagged[2023])
    for relation in ("marts.gia_early_warning", "marts.indicator_row_sources"):
        rows = xids_by_year(warehouse, relation)
        assert set(rows) >= {2023, 2024} and min(rows[2024]) >= min(flagged[2023]), relation

    pipeline.run_all(landing, full_refresh=True)
    assert "Сборка dbt: полная — полная пересборка по запросу" in capsys.readouterr().out
    assert "year = any(" not in compiled_tests()["unique_combination"]  # full: every row
    assert all_digests(warehouse) == incremental_marts

    builds = q(
        warehouse,
        "select full_build, changed_years, published from audit.dbt_builds order by run_id",
    )
    assert builds == [(True, None, True), (False, [2023], True), (True, None, True)]

    # nothing new: no dbt run and no switch; the published tables stay as they were
    before = xids_by_year(warehouse, "marts.indicator_values")
    pipeline.run_all(landing)
    out = capsys.readouterr().out
    assert "Сборка dbt не нужна — новых данных с последней публикации нет" in out
    assert "Витрины не изменились: остаётся опубликованная сборка" in out
    assert "dbt build выполнен" not in out
    assert xids_by_year(warehouse, "marts.indicator_values") == before  # not rebuilt, not copied
    assert all_digests(warehouse) == incremental_marts
    assert q(
        warehouse,
        "select b.full_build, b.changed_years, b.published, r.status from audit.dbt_builds b"
        " join audit.runs r using (run_id) order by run_id desc limit 1",
    ) == [(False, [], True, "published")]

    # a withdrawal is not followed year by year: the next build is full
    withdraw_file(ADDED, reason="тест")
    with psycopg2.connect(warehouse) as conn, conn.cursor() as cur:
        plan = incremental.plan(cur)
    assert plan.full and "отозван" in plan.reason


def test_plan_reads_the_changed_years_from_the_audit_trail(warehouse):
    """No dbt: the plan from audit rows written after the last published build."""
    from ingestion import db

    def load(cur, source, status, years):
        cur.execute(
            "insert into audit.loads (source, rel_path, file_name, sha256, scope, status)"
            " values (%s, 'f', 'f', 'x', %s, %s) returning load_id",
            (source, None if years is None else json.dumps({"year": years}), status),
        )
        return cur.fetchone()[0]

    def plan():
        with db.transaction() as conn, conn.cursor() as cur:
            return incremental.plan(cur)

    with db.transaction() as conn, conn.cursor() as cur:
        db.ensure_schema(conn)
        cur.execute("create schema marts; create schema intermediate")
        load(cur, "ege", "loaded", ["2022"])  # before the published build
        incremental.record(cur, 1, plan_full := incremental.plan(cur, full_refresh=True))
        assert plan_full.full
        incremental.mark_published(cur, 1)
    assert plan().years == []

    with db.transaction() as conn, conn.cursor() as cur:
        old = load(cur, "vpr", "superseded", ["2021"])
        load(cur, "vpr", "loaded", ["2023"])
        load(cur, "oge", "duplicate", None)  # no rows of its own: nothing
        cur.execute(
            "insert into audit.load_events (load_id, event) values (%s, 'new_version')", (old,)
        )
        cur.execute(
            "insert into audit.row_replacements (source, event, old_load_id, old_source_row,"
            " old_values, new_values) values ('ege', 'replaced', 1, 1, %s, %s)",
            (json.dumps({"year": 2020}), json.dumps({"year": 2020})),
        )
    found = plan()
    assert not found.full and found.years == [2020, 2021, 2023]

    with db.transaction() as conn, conn.cursor() as cur:
        load(cur, "schools", "loaded", None)
    found = plan()
    assert found.full and "справочника" in found.reason

    with db.transaction() as conn, conn.cursor() as cur:
        cur.execute("delete from audit.loads where source = 'schools'")
        load(cur, "career", "loaded", None)
    found = plan()
    assert found.full and "какие годы" in found.reason
