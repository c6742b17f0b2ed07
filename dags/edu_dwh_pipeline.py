"""edu_dwh_pipeline — landing folder → validated raw → dbt marts → published.

Thin wiring only: every task calls one function of `orchestration.pipeline`, the same ones
`edu-dwh run` calls. `load` checks every staged file (SQL row checks, Great
Expectations) and commits what passed into raw (and stops the run if a file failed a
blocking check, before dbt and publishing), `feedback` writes the schools' reports
whatever happened; dbt
builds into shadow schemas that `publish` switches in only when everything passed; if any
task fails, `close_failed_run` records the failure in audit.runs, e-mails it and fails the
DAG run; a published run that rejected files or rows is e-mailed by `notify_rejections`.

`publish` updates the asset `edu_dwh_marts` (x-edu-dwh://warehouse/marts): the DAG
`edu_dwh_after_publish` then syncs Metabase's dashboards and writes the municipality report
pack. Runs start by hand or from `edu_dwh_inbox_watch`, which triggers this DAG when new or
changed files lie in the inbox (why a watcher and no schedule here: see that DAG's doc).

Settings: the warehouse from the Airflow connection `edu_dwh_warehouse`, the pseudonym key
from the Variable `edu_dwh_pseudonym_key` (the environment as fallback), see
`orchestration.airflow_settings`; every task calls `_configured()` first.
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta

from airflow.sdk import Asset, Param, TriggerRule, dag, get_current_context, task

from orchestration.after_publish import MARTS_ASSET_NAME, MARTS_ASSET_URI
from sources import GROUP_SOURCES  # plain data: cheap to import when the DAG is parsed

DEFAULT_LANDING = os.environ.get("EDU_DWH_LANDING", "/data/landing")
MARTS = Asset(name=MARTS_ASSET_NAME, uri=MARTS_ASSET_URI)  # edu_dwh_after_publish's schedule

default_args = {
    "owner": "edu-dwh",
    "retries": int(os.environ.get("EDU_DWH_TASK_RETRIES", "2")),
    "retry_delay": timedelta(seconds=int(os.environ.get("EDU_DWH_RETRY_DELAY_S", "30"))),
}


def _landing() -> str:
    return get_current_context()["params"]["landing"]


def _configured() -> None:
    """The warehouse and key from Airflow's connection/variable (else the environment)."""
    from orchestration.airflow_settings import configure

    configure()


@dag(
    dag_id="edu_dwh_pipeline",
    schedule=None,
    start_date=datetime(2024, 1, 1),
    catchup=False,
    max_active_runs=1,
    default_args=default_args,
    tags=["edu-dwh", "fis-gia", "fis-oko", "uploads", "warehouse"],
    params={
        "landing": Param(DEFAULT_LANDING, type="string", description="landing folder"),
        "full_refresh": Param(
            False,
            type="boolean",
            description="rebuild every dbt model for every year (default: the changed years)",
        ),
    },
    doc_md=__doc__,
)
def edu_dwh_pipeline():
    @task
    def prepare() -> int:
        from orchestration.pipeline import prepare as prepare_run

        _configured()
        run_id = get_current_context()["run_id"]
        wait_s = float(os.environ.get("EDU_DWH_RUN_WAIT_S", "600"))
        return prepare_run(_landing(), owner=f"airflow {run_id}", wait_s=wait_s)

    def ingest_task(group: str):
        """One loader task per source group of the contract (sources.GROUP_SOURCES)."""

        @task(task_id=f"ingest_{group}")
        def ingest_group(dwh_run: int) -> list[str]:
            from orchestration.pipeline import ingest

            _configured()
            return ingest(_landing(), dwh_run, sources=GROUP_SOURCES[group]).notices

        return ingest_group

    @task(retries=0)  # a blocking check is not retried: the data must be fixed first
    def load(dwh_run: int) -> str:
        from airflow.sdk.exceptions import AirflowFailException

        from orchestration.pipeline import BlockingFailure
        from orchestration.pipeline import load as load_run

        _configured()
        try:
            report = load_run(dwh_run)
        except BlockingFailure as exc:
            raise AirflowFailException(str(exc)) from exc
        return f"{len(report.by_status('loaded'))} файлов загружено"

    @task(trigger_rule=TriggerRule.ALL_DONE)  # schools learn why a file was rejected, always
    def feedback(dwh_run: int) -> int:
        from orchestration.pipeline import feedback as write_feedback

        _configured()
        return len(write_feedback(dwh_run))

    @task
    def transform(dwh_run: int) -> None:
        from orchestration.pipeline import transform as dbt_build

        _configured()
        full_refresh = bool(get_current_context()["params"].get("full_refresh", False))
        dbt_build(dwh_run, full_refresh=full_refresh)

    @task(outlets=[MARTS])  # a successful publish is an asset event: edu_dwh_after_publish
    def publish(dwh_run: int) -> str:
        from orchestration.pipeline import publish as publish_run

        _configured()
        message = publish_run(dwh_run)["message"]
        get_current_context()["outlet_events"][MARTS].extra = {"dwh_run": dwh_run}
        return message

    @task
    def notify_rejections(published: str) -> bool:
        """Published, but files or rows were rejected: the operators get an e-mail."""
        from orchestration import alerts
        from orchestration.airflow_settings import setting

        _configured()
        ctx = get_current_context()
        mail = alerts.rejection_mail(ctx["ti"].xcom_pull(task_ids="prepare"), setting("docs_url"))
        return mail is not None and alerts.send(*mail, ctx)

    @task(trigger_rule=TriggerRule.ONE_FAILED, retries=0)
    def close_failed_run() -> None:
        """Some task failed: the run is closed as failed (published marts untouched; a run
        already closed — blocked, published — keeps its status), the operators get an
        e-mail, and the DAG run fails too."""
        from airflow.sdk.exceptions import AirflowFailException

        from orchestration import alerts
        from orchestration.airflow_settings import setting
        from orchestration.pipeline import fail_dag_run

        _configured()
        ctx = get_current_context()
        ti, run_id = ctx["ti"], ctx["run_id"]
        try:
            states = ti.get_task_states(dag_id=ti.dag_id, run_ids=[run_id]).get(run_id, {})
            failed = sorted(t for t, state in states.items() if state == "failed")
        except Exception:  # the names are a convenience; the run's record is what counts
            failed = []
        dwh_run = fail_dag_run(
            ti.xcom_pull(task_ids="prepare"),
            f"airflow {run_id}",
            f"задача DAG не выполнена (DAG run {run_id}), см. её журнал",
        )
        alerts.send(*alerts.failure_mail(dwh_run, run_id, failed, setting("docs_url")), ctx)
        raise AirflowFailException("запуск не опубликован: см. журнал упавшей задачи")

    dwh_run = prepare()
    loaders = [ingest_task(group)(dwh_run) for group in GROUP_SOURCES]
    loaded = load(dwh_run)
    loaders >> loaded  # checked and committed once every source of the run is staged
    told = feedback(dwh_run)
    published = publish(dwh_run)
    built = transform(dwh_run)
    loaded >> built >> published
    notify_rejections(published)
    loaded >> told
    [dwh_run, *loaders, loaded, told, built, published] >> close_failed_run()


edu_dwh_pipeline()
