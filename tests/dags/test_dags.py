"""DagBag checks: the DAG files import cleanly, are acyclic, carry tags and retries."""

from __future__ import annotations

import os

import pytest

from ingestion.config import REPO_ROOT

MARTS_URI = "x-edu-dwh://warehouse/marts"


@pytest.fixture(scope="module")
def dagbag(tmp_path_factory):
    home = tmp_path_factory.mktemp("airflow_home")
    os.environ.setdefault("AIRFLOW_HOME", str(home))
    os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(REPO_ROOT / "dags"))


def test_no_import_errors(dagbag):
    assert dagbag.import_errors == {}
    assert {"edu_dwh_pipeline", "edu_dwh_inbox_watch", "edu_dwh_after_publish"} <= set(
        dagbag.dag_ids
    )


def test_tags_retries_and_order(dagbag):
    dag = dagbag.dags["edu_dwh_pipeline"]
    assert {"edu-dwh", "fis-gia"} <= set(dag.tags)
    assert dag.max_active_runs == 1 and dag.catchup is False
    for task in dag.tasks:
        # a blocking validation failure is not retried; closing a failed run is one step
        if task.task_id not in ("load", "close_failed_run"):
            assert task.retries >= 2, task.task_id
    load = dag.get_task("load")
    assert load.retries == 0
    loaders = {
        "ingest_reference", "ingest_gia", "ingest_oko", "ingest_uploads", "ingest_regional"
    }  # fmt: skip
    assert load.upstream_task_ids == loaders | {"prepare"}
    assert dag.get_task("transform").upstream_task_ids == {"prepare", "load"}
    told = dag.get_task("feedback")
    assert told.upstream_task_ids == {"prepare", "load"} and told.trigger_rule == "all_done"
    assert dag.get_task("publish").upstream_task_ids >= {"transform"}
    # a publication is an asset event; what follows it is another DAG's (below)
    assert "report_pack" not in dag.task_ids
    (marts,) = dag.get_task("publish").outlets
    assert (marts.name, marts.uri) == ("edu_dwh_marts", MARTS_URI)
    closer = dag.get_task("close_failed_run")
    assert closer.trigger_rule == "one_failed"
    # every task that can fail closes the run (and mails); report_pack is in edu_dwh_after_publish
    assert closer.upstream_task_ids == (
        loaders | {"prepare", "load", "feedback", "transform", "publish"}
    )
    # a published run that rejected files or rows is mailed after publishing
    assert dag.get_task("notify_rejections").upstream_task_ids == {"publish"}
    # topological sort succeeds only for an acyclic graph
    assert len(dag.topological_sort()) == len(dag.tasks)


def test_after_publish_is_scheduled_on_the_marts_asset(dagbag):
    from airflow.sdk import Asset

    dag = dagbag.dags["edu_dwh_after_publish"]
    assert list(dag.timetable.asset_condition.objects) == [
        Asset(name="edu_dwh_marts", uri=MARTS_URI)
    ]
    assert set(dag.task_ids) == {"sync_dashboards", "report_pack"}
    assert dag.max_active_runs == 1 and dag.catchup is False
    for task in dag.tasks:
        assert task.upstream_task_ids == set() and task.retries >= 2


def test_inbox_watch_triggers_the_pipeline_after_the_check(dagbag):
    dag = dagbag.dags["edu_dwh_inbox_watch"]
    assert dag.timetable.expression == "*/15 * * * *"
    assert dag.max_active_runs == 1 and dag.catchup is False
    start = dag.get_task("start_pipeline")
    assert start.upstream_task_ids == {"check_inbox"}
    assert start.trigger_dag_id == "edu_dwh_pipeline"
    assert start.conf == {"landing": "{{ params.landing }}"}
    # waits for the run it started: the next check cannot hand the same files to a second run
    assert start.wait_for_completion and start.deferrable and start.retries == 0


def test_dag_files_are_thin():
    """DAG files wire tasks; no heavy imports at module level."""
    for path in (REPO_ROOT / "dags").glob("*.py"):
        head = [
            line for line in path.read_text().splitlines() if line.startswith(("import ", "from "))
        ]
        for line in head:
            assert not any(m in line for m in ("pandas", "dbt", "great_expectations", "psycopg2"))
