"""edu_dwh_pipeline — landing folder → validated raw → dbt marts → published.

Thin wiring only: every task calls one function of `ingestion.pipeline`, the same ones
`edu-dwh run` calls. A failed blocking check stops the run before dbt and publishing.
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta

from airflow.sdk import Param, dag, get_current_context, task

DEFAULT_LANDING = os.environ.get("EDU_DWH_LANDING", "/data/landing")

default_args = {
    "owner": "edu-dwh",
    "retries": 2,
    "retry_delay": timedelta(seconds=int(os.environ.get("EDU_DWH_RETRY_DELAY_S", "30"))),
}


def _landing() -> str:
    return get_current_context()["params"]["landing"]


@dag(
    dag_id="edu_dwh_pipeline",
    schedule=None,
    start_date=datetime(2024, 1, 1),
    catchup=False,
    max_active_runs=1,
    default_args=default_args,
    tags=["edu-dwh", "fis-gia", "fis-oko", "uploads", "warehouse"],
    params={"landing": Param(DEFAULT_LANDING, type="string", description="landing folder")},
    doc_md=__doc__,
)
def edu_dwh_pipeline():
    @task
    def prepare() -> int:
        from ingestion.pipeline import prepare as prepare_run

        return prepare_run(_landing())

    @task
    def ingest_reference(dwh_run: int) -> list[str]:
        from ingestion.pipeline import REFERENCE_SOURCES, ingest

        return ingest(_landing(), dwh_run, sources=REFERENCE_SOURCES).notices

    @task
    def ingest_fis_gia(dwh_run: int) -> list[str]:
        from ingestion.pipeline import GIA_SOURCES, ingest

        return ingest(_landing(), dwh_run, sources=GIA_SOURCES).notices

    @task
    def ingest_fis_oko(dwh_run: int) -> list[str]:
        from ingestion.pipeline import OKO_SOURCES, ingest

        return ingest(_landing(), dwh_run, sources=OKO_SOURCES).notices

    @task
    def ingest_uploads(dwh_run: int) -> list[str]:
        from ingestion.pipeline import UPLOAD_SOURCES, ingest

        return ingest(_landing(), dwh_run, sources=UPLOAD_SOURCES).notices

    @task(retries=0)
    def validate(dwh_run: int) -> str:
        from airflow.sdk.exceptions import AirflowFailException

        from ingestion.pipeline import BlockingFailure
        from ingestion.pipeline import validate as validate_run

        try:
            report = validate_run(dwh_run, _landing())
        except BlockingFailure as exc:  # no retry: the data must be fixed first
            raise AirflowFailException(str(exc)) from exc
        return f"{len(report.by_status('loaded'))} файлов загружено"

    @task
    def transform() -> None:
        from ingestion.pipeline import transform as dbt_build

        dbt_build()

    @task
    def publish(dwh_run: int) -> str:
        from ingestion.pipeline import publish as publish_run

        return publish_run(dwh_run)["message"]

    dwh_run = prepare()
    checked = validate(dwh_run)
    loaders = [
        ingest_reference(dwh_run),
        ingest_fis_gia(dwh_run),
        ingest_fis_oko(dwh_run),
        ingest_uploads(dwh_run),
    ]
    loaders >> checked  # dbt runs once, after every source of the run is in
    checked >> transform() >> publish(dwh_run)


edu_dwh_pipeline()
