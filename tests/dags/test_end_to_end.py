"""End to end through real PostgreSQL and real Airflow (`airflow dags test`).

A small synthetic region goes through the DAG; then `edu-dwh run` on the same folder must
change nothing, and a bad file must be rejected without damaging anything.
"""

from __future__ import annotations

import shutil
import sqlite3

import psycopg2
import pytest

from ingestion.config import data_docs_dir, state_dir
from orchestration.cli import main as cli_main
from orchestration.cli import run_dag
from synthetic import generate

pytestmark = pytest.mark.slow

ALL_CODES = (
    {f"GIA-{i:02d}" for i in range(1, 17)}
    | {f"VPR-{i:02d}" for i in range(1, 5)}
    | {f"OLY-{i:02d}" for i in range(1, 5)}
    | {f"CAR-{i:02d}" for i in range(1, 9)}
    | {f"DR-{i:02d}" for i in range(1, 4)}
)


def rows(dsn, sql):
    with psycopg2.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute(sql)
        return cur.fetchall()


SNAPSHOT = (
    "select indicator_code, year, territory_level, territory_code, exam, subject_code,"
    " participant_category, grade, breakdown_key, numerator, denominator, value, target_value"
    " from marts.indicator_values order by 1, 2, 3, 4, 5, 6, 7, 8, 9"
)


@pytest.fixture
def landing(tmp_path):
    out = tmp_path / "landing"
    generate(out, seed=7, scale=0.1)
    return out


def test_dag_then_cli_rerun_then_bad_files(warehouse, landing, monkeypatch):
    monkeypatch.setenv("EDU_DWH_RETRY_DELAY_S", "1")
    assert run_dag(landing) == 0

    runs = rows(warehouse, "select status from audit.runs")
    assert runs == [("published",)]
    statuses = dict(rows(warehouse, "select status, count(*) from audit.loads group by 1"))
    assert statuses.get("loaded", 0) >= 5 and "staged" not in statuses
    codes = {
        r[0] for r in rows(warehouse, "select distinct indicator_code from marts.indicator_values")
    }
    assert codes == ALL_CODES
    levels = set(rows(warehouse, "select distinct territory_level from marts.territory_ratings"))
    assert levels == {("municipality",), ("school",)}
    feedback = list((state_dir() / "reports" / "feedback").rglob("*.html"))
    assert len(feedback) == len(list((landing / "uploads").rglob("*.xlsx")))
    assert (data_docs_dir() / "index.html").exists()
    # publish updated the marts asset (what schedules edu_dwh_after_publish), naming the run
    with sqlite3.connect(state_dir() / "airflow" / "airflow.db") as meta:
        events = meta.execute(
            "select a.name, a.uri, e.extra, e.source_task_id from asset_event e"
            " join asset a on a.id = e.asset_id where e.source_dag_id = 'edu_dwh_pipeline'"
        ).fetchall()
        consumers = meta.execute(
            "select r.dag_id from dag_schedule_asset_reference r join asset a"
            " on a.id = r.asset_id where a.name = 'edu_dwh_marts'"
        ).fetchall()
    assert events == [("edu_dwh_marts", "x-edu-dwh://warehouse/marts", '{"dwh_run": 1}', "publish")]
    assert consumers == [("edu_dwh_after_publish",)]
    # BI readers see marts, never raw or audit
    grants = rows(
        warehouse,
        "select has_table_privilege('edu_dwh_bi_reader', 'marts.indicator_values', 'select'),"
        " has_table_privilege('edu_dwh_bi_reader', 'raw.gia_results', 'select'),"
        " has_schema_privilege('edu_dwh_bi_reader', 'audit', 'usage')",
    )
    assert grants == [(True, False, False)]

    before = rows(warehouse, SNAPSHOT)
    raw_before = rows(warehouse, "select count(*), sum(hashtext(person_key)) from raw.gia_results")
    assert cli_main(["run", "--landing", str(landing), "--quiet"]) == 0
    assert rows(warehouse, SNAPSHOT) == before
    assert rows(warehouse, "select count(*), sum(hashtext(person_key)) from raw.gia_results") == (
        raw_before
    )
    assert rows(warehouse, "select count(*) from audit.loads where status = 'duplicate'")[0][0] > 0

    # a bad header and a wrong encoding: rejected with a message, the rest stays intact
    ege = sorted((landing / "fis_gia/ege").glob("*.csv"))[0]
    text = ege.read_bytes()
    bad = landing / "fis_gia/ege/zz_bad_header.csv"
    bad.write_bytes(
        text.replace("Статус результата".encode("cp1251"), b"Status").replace(
            "Статус результата".encode(), b"Status"
        )
    )
    shutil.copy(ege, landing / "fis_gia/ege/zz_copy.csv")  # same bytes under another name
    rc = cli_main(["run", "--landing", str(landing), "--quiet"])
    assert rc == 3
    rejected = rows(
        warehouse, "select rel_path, message from audit.loads where status = 'rejected'"
    )
    assert [r[0] for r in rejected] == ["fis_gia/ege/zz_bad_header.csv"]
    assert "«Статус результата»" in rejected[0][1]
    assert rows(warehouse, SNAPSHOT) == before


MARTS_DIGEST = (
    "select md5(string_agg(t::text, '|' order by t::text)) from marts.indicator_values t"
    " union all select md5(string_agg(t::text, '|' order by t::text))"
    " from marts.territory_ratings t"
)


def test_dag_with_failing_dbt_test_keeps_published_marts_and_marks_run_failed(
    warehouse, tmp_path, monkeypatch
):
    """A dbt data test that fails in the DAG: the run is 'failed' with the test named,
    the DAG run fails, the published marts and their BI grants stay exactly as they were."""
    monkeypatch.setenv("EDU_DWH_TASK_RETRIES", "0")
    landing = tmp_path / "landing"
    generate(landing, seed=3, scale=0.05)
    assert cli_main(["run", "--landing", str(landing), "--quiet"]) in (0, 3)
    before = rows(warehouse, MARTS_DIGEST)
    # a share above 100 % (continued > graduates) straight into raw: CAR-04's range test fails
    # (a load id no audited load has: the next build cannot be incremental, it is full)
    with psycopg2.connect(warehouse) as conn, conn.cursor() as cur:
        cur.execute(
            "insert into raw.career_reports (load_id, source_row, school_year, year, ate_code,"
            " school_code, students_6_11, bvb_participants, bvb_recommendations,"
            " proektoria_participants, grads_9, grads_11, grads_9_continued,"
            " vocational_completed, profile_gia_choice, spo_profile, vo_profile,"
            " enterprise_events, nk) select 999999999, 9999, school_year, year, ate_code,"
            " school_code, 10, 0, 0, 0, 1, 0, 1000, 0, 0, 0, 0, 0, 'bad-row'"
            " from raw.career_reports limit 1"
        )
    monkeypatch.setenv("EDU_DWH_RETRY_DELAY_S", "1")
    assert run_dag(landing) != 0
    runs = rows(warehouse, "select status, message from audit.runs order by run_id")
    assert runs[-1][0] == "failed", runs[-1]
    assert "не пройден" in runs[-1][1] and "int_car_04" in runs[-1][1], runs[-1][1]
    assert "территории/ОО: 00" in runs[-1][1], runs[-1][1]  # the rows behind the failure
    assert not [r for r in runs if r[0] == "running"]
    assert rows(warehouse, MARTS_DIGEST) == before
    assert rows(
        warehouse,
        "select has_table_privilege('edu_dwh_bi_reader', 'marts.indicator_values', 'select')",
    ) == [(True,)]
