"""The DAGs around the pipeline, through real Airflow (`airflow dags test`) and a real,
published warehouse: what follows a publication (edu_dwh_after_publish) writes the
municipality report pack; the inbox watcher (edu_dwh_inbox_watch) finds nothing new in the
folder that was just published and ends skipped, cheaply, without starting anything."""

from __future__ import annotations

import re
import time
from pathlib import Path

import psycopg2
import pytest

from ingestion.config import state_dir
from orchestration.cli import main as cli_main
from orchestration.cli import run_dag
from synthetic import generate

pytestmark = pytest.mark.slow


def dag_log(dag_id: str) -> str:
    return (state_dir() / "airflow" / f"{dag_id}.dags_test.log").read_text(encoding="utf-8")


def test_after_publish_writes_the_pack_and_the_watcher_finds_nothing_new(
    warehouse, tmp_path, monkeypatch
):
    for name in ("METABASE_URL", "MB_URL"):
        monkeypatch.delenv(name, raising=False)
    landing = tmp_path / "landing"
    generate(landing, seed=5, scale=0.05)
    assert cli_main(["run", "--landing", str(landing), "--quiet"]) in (0, 3)
    with psycopg2.connect(warehouse) as conn, conn.cursor() as cur:
        cur.execute("select max(year) from marts.indicator_values")
        (year,) = cur.fetchone()
    pack = state_dir() / "reports" / "municipal" / str(year)
    assert not pack.exists()  # `edu-dwh run` is not Airflow: no asset event, no pack

    assert run_dag(landing, "edu_dwh_after_publish") == 0
    notes = sorted(p.name for p in pack.glob("*.html"))
    assert len(notes) > 1 and all(Path(pack / n).stat().st_size > 10_000 for n in notes)
    log = dag_log("edu_dwh_after_publish")
    assert "синхронизация дашбордов пропущена" in log  # no Metabase configured: skipped
    assert re.search(r"task_id=report_pack.*state=success|Пакет отчётов", log)

    # the folder just published holds nothing new: the watcher's check ends skipped
    t0 = time.monotonic()
    assert run_dag(landing, "edu_dwh_inbox_watch") == 0
    took = time.monotonic() - t0
    log = dag_log("edu_dwh_inbox_watch")
    assert "новых или изменённых файлов нет" in log
    assert re.search(r"Skipping task\..*reason='Папка приёма .*: новых или изменённых", log)
    assert "new_state=skipped" in log and "state=success" in log  # skipped, not failed
    with psycopg2.connect(warehouse) as conn, conn.cursor() as cur:
        cur.execute("select count(*) from audit.runs")
        assert cur.fetchone()[0] == 1  # no run was started
    print(f"inbox watcher, nothing new: {took:.1f} s for `airflow dags test` (incl. db migrate)")
