"""`close_failed_run`'s record keeping on real PostgreSQL: a DAG run whose `prepare` opened a
warehouse run and then failed (so no run id reached XCom) still has that run closed, and
only that one; a run already closed keeps its status."""

from __future__ import annotations

import psycopg2

from orchestration import pipeline
from orchestration.alerts import failure_mail, rejection_mail


def runs(dsn):
    with psycopg2.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute("select run_id, status, message from audit.runs order by run_id")
        return cur.fetchall()


def test_prepare_failed_after_opening_its_run(warehouse, tmp_path):
    (tmp_path / "landing").mkdir()
    assert pipeline.fail_dag_run(None, "airflow manual__a", "x") is None  # no schema yet
    opened = pipeline.prepare(tmp_path / "landing", owner="airflow manual__a")
    # another DAG run's id that starts the same: not this one's run
    assert pipeline.fail_dag_run(None, "airflow manual__", "не та") is None
    closed = pipeline.fail_dag_run(None, "airflow manual__a", "задача prepare не выполнена")
    assert closed == opened
    assert runs(warehouse) == [(opened, "failed", "задача prepare не выполнена")]
    # nothing running any more: nothing to close, and the failure mail says no run was opened
    assert pipeline.fail_dag_run(None, "airflow manual__a", "x") is None
    subject, html = failure_mail(None, "manual__b", ["prepare"])
    assert subject == "edu-dwh: ОШИБКА — запуск не начат (DAG run manual__b)"
    assert "prepare" in html
    subject, html = failure_mail(opened, "manual__a", ["prepare"], "https://x.example/docs/")
    assert subject == f"edu-dwh: ОШИБКА — запуск №{opened} не опубликован (DAG run manual__a)"
    assert "задача prepare не выполнена" in html
    assert 'href="https://x.example/docs/audit.html"' in html
    assert rejection_mail(opened) is None  # nothing was rejected


def test_a_closed_run_keeps_its_status(warehouse, tmp_path):
    (tmp_path / "landing").mkdir()
    opened = pipeline.prepare(tmp_path / "landing", owner="airflow manual__c")
    pipeline.run_control.finish_run(opened, "blocked", "a.csv: блокирующая проверка")
    assert pipeline.fail_dag_run(opened, "airflow manual__c", "задача load") == opened
    assert runs(warehouse) == [(opened, "blocked", "a.csv: блокирующая проверка")]
