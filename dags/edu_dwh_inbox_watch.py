"""edu_dwh_inbox_watch — files arrive on their own: a look at the inbox every 15 minutes,
and `edu_dwh_pipeline` is started only when something new or changed lies there.

`check_inbox` (orchestration/inbox.py) compares the inbox with what the warehouse has
already recorded (`audit.loads`: path, size, modification time, SHA-256) and waits for
files that are still being written (modified less than `EDU_DWH_INBOX_SETTLE_S`, default
60 s, ago, or with a temporary name such as `*.part`). Nothing new: one Russian line in the
log and the task ends **skipped** (so does `start_pipeline`) — no staging, no Great
Expectations, no dbt. Something new: `start_pipeline` triggers `edu_dwh_pipeline` with this
DAG's `landing` and waits (deferred, in the triggerer) until that run ends, whatever its
outcome — the pipeline reports its own failures; with `max_active_runs=1` the next check
starts only then, so files a run is loading are never handed to a second one.

Why a watcher DAG rather than a schedule on `edu_dwh_pipeline` with a short-circuit first
task: the pipeline's history stays a list of real loads (not 96 skipped runs a day), its
failure handling (`close_failed_run`, alerts) never sees a no-op, a run by hand keeps
working exactly as before, and watching can be switched off (pause this DAG, or
`EDU_DWH_INBOX_SCHEDULE=none`) without touching the pipeline.

Schedule: `EDU_DWH_INBOX_SCHEDULE` (cron, default `*/15 * * * *`; `none` = only by hand).
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta

from airflow.providers.standard.operators.trigger_dagrun import TriggerDagRunOperator
from airflow.sdk import Param, dag, get_current_context, task

DEFAULT_LANDING = os.environ.get("EDU_DWH_LANDING", "/data/landing")
_schedule = os.environ.get("EDU_DWH_INBOX_SCHEDULE", "*/15 * * * *").strip()
SCHEDULE = None if _schedule.lower() in ("", "none", "off") else _schedule


@dag(
    dag_id="edu_dwh_inbox_watch",
    schedule=SCHEDULE,
    start_date=datetime(2024, 1, 1),
    catchup=False,
    max_active_runs=1,
    default_args={"owner": "edu-dwh", "retries": 1, "retry_delay": timedelta(minutes=1)},
    tags=["edu-dwh", "inbox"],
    params={"landing": Param(DEFAULT_LANDING, type="string", description="inbox folder")},
    doc_md=__doc__,
)
def edu_dwh_inbox_watch():
    @task
    def check_inbox() -> str:
        from airflow.sdk.exceptions import AirflowSkipException

        from orchestration.airflow_settings import configure
        from orchestration.inbox import check_inbox as look

        configure()  # the warehouse from the Airflow connection (else the environment)
        found = look(get_current_context()["params"]["landing"])
        line = found.line()
        print(line, flush=True)
        if not found.due:
            raise AirflowSkipException(line)
        return line

    start_pipeline = TriggerDagRunOperator(
        task_id="start_pipeline",
        trigger_dag_id="edu_dwh_pipeline",
        conf={"landing": "{{ params.landing }}"},
        wait_for_completion=True,
        deferrable=True,
        poke_interval=60,
        allowed_states=["success", "failed"],  # the pipeline reports its own failures
        failed_states=[],
        retries=0,  # a second trigger could start a second run
    )
    check_inbox() >> start_pipeline


edu_dwh_inbox_watch()
