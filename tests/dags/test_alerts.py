"""Alerts by e-mail, through real Airflow (`airflow dags test`), real PostgreSQL and a real
SMTP server on localhost (aiosmtpd): a published run that rejected a file names the file
and the reason; a failed run says so. The warehouse and the key come from Airflow (a
connection and a variable given as environment), not from EDU_DWH_DSN."""

from __future__ import annotations

import psycopg2
import pytest

from orchestration.cli import run_dag
from tests.fixtures.landing import (
    BAD_HEADER_FILE,
    BAD_HEADER_REASON,
    small_landing_with_a_bad_file,
)
from tests.fixtures.pg import TEST_KEY
from tests.fixtures.smtp import body, smtp_sink

pytestmark = pytest.mark.slow

DOCS_URL = "https://dwh.example.org/docs"


def rows(dsn, sql):
    with psycopg2.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute(sql)
        return cur.fetchall()


def test_rejected_file_and_failed_run_are_mailed(warehouse, tmp_path, monkeypatch):
    landing = small_landing_with_a_bad_file(tmp_path / "landing")
    monkeypatch.delenv("EDU_DWH_DSN")
    monkeypatch.delenv("EDU_DWH_PSEUDONYM_KEY")
    monkeypatch.setenv("AIRFLOW_CONN_EDU_DWH_WAREHOUSE", warehouse)
    monkeypatch.setenv("AIRFLOW_VAR_EDU_DWH_PSEUDONYM_KEY", TEST_KEY)
    monkeypatch.setenv("EDU_DWH_ALERT_EMAILS", "ops@example.org, lead@example.org")
    monkeypatch.setenv("EDU_DWH_DOCS_URL", DOCS_URL)
    monkeypatch.setenv("EDU_DWH_TASK_RETRIES", "0")
    with smtp_sink() as sink:
        monkeypatch.setenv("AIRFLOW_CONN_EDU_DWH_SMTP", sink.conn_uri())

        assert run_dag(landing) == 0
        assert rows(warehouse, "select status from audit.runs") == [("published",)]
        assert rows(warehouse, "select count(*) > 0 from marts.indicator_values") == [(True,)]
        [mail] = sink.wait_for(1)
        subject, text = str(mail["Subject"]), body(mail)
        print(f"\n--- {subject}\n{text}")
        assert subject.startswith("edu-dwh: запуск №1 опубликован, но отклонены данные")
        assert "файлов: 1" in subject
        assert sorted(a.strip() for a in mail["To"].split(",")) == [
            "lead@example.org",
            "ops@example.org",
        ]
        assert mail["From"] == "edu-dwh@example.org"
        assert BAD_HEADER_FILE in text and BAD_HEADER_REASON in text
        [(reason,)] = rows(
            warehouse, f"select message from audit.loads where rel_path = '{BAD_HEADER_FILE}'"
        )
        assert reason in text.replace("&quot;", '"')  # the audit table's own words
        quarantined = rows(
            warehouse,
            "select rel_path from audit.loads where rows_quarantined > 0 and status = 'loaded'",
        )
        assert quarantined and all(rel in text for (rel,) in quarantined)
        assert f"{DOCS_URL}/audit.html" in text

        # a failing run: the landing folder is gone — the run is closed as failed and mailed
        assert run_dag(tmp_path / "no-such-landing") != 0
        runs = rows(warehouse, "select run_id, status, message from audit.runs order by 1")
        assert [r[1] for r in runs] == ["published", "failed"], runs
        assert "папка приёма не найдена" in runs[-1][2]
        mails = sink.wait_for(2)
        assert len(mails) == 2
        subject, text = str(mails[1]["Subject"]), body(mails[1])
        print(f"\n--- {subject}\n{text}")
        assert subject.startswith("edu-dwh: ОШИБКА — запуск №2 не опубликован")
        assert "папка приёма не найдена" in text and "ingest_" in text
        assert "Витрины не опубликованы" in text
