"""edu_dwh_after_publish — what follows a publication, scheduled on the marts asset.

`edu_dwh_pipeline`'s `publish` task updates the asset `edu_dwh_marts`
(`x-edu-dwh://warehouse/marts`) when it switches BI to a new build; this DAG then runs,
whoever started the pipeline (the inbox watcher or a person). `edu-dwh run` outside
Airflow emits no asset event: there `edu-dwh report` and `python -m metabase.provision`
are run by hand.

- `sync_dashboards` — Metabase's questions and dashboards from metabase/*.yml
  (metabase/provision.py), only when Metabase is configured: the Airflow connection
  `edu_dwh_metabase` (host = URL, login, password) or METABASE_URL / MB_USER / MB_PASSWORD;
  otherwise a log line and nothing else;
- `report_pack` — the municipality report pack of the latest year
  (<state>/reports/municipal/<year>/).

Both read the published marts only; a failure here unpublishes nothing and is retried
separately. The auditors' page and Data Docs are written by `publish` itself.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from airflow.sdk import Asset, dag, task

from orchestration.after_publish import MARTS_ASSET_NAME, MARTS_ASSET_URI

MARTS = Asset(name=MARTS_ASSET_NAME, uri=MARTS_ASSET_URI)


@dag(
    dag_id="edu_dwh_after_publish",
    schedule=[MARTS],
    start_date=datetime(2024, 1, 1),
    catchup=False,
    max_active_runs=1,
    default_args={"owner": "edu-dwh", "retries": 2, "retry_delay": timedelta(minutes=1)},
    tags=["edu-dwh", "reports", "metabase"],
    doc_md=__doc__,
)
def edu_dwh_after_publish():
    @task
    def sync_dashboards() -> str:
        from orchestration.after_publish import metabase_target
        from orchestration.after_publish import sync_dashboards as sync

        return sync(metabase_target())

    @task
    def report_pack() -> int:
        from orchestration.after_publish import report_pack as write_pack
        from orchestration.airflow_settings import configure

        configure()  # the warehouse from the Airflow connection (else the environment)
        return len(write_pack())

    sync_dashboards()
    report_pack()


edu_dwh_after_publish()
