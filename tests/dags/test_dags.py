"""DagBag checks: the DAG files import cleanly, are acyclic, carry tags and retries."""

from __future__ import annotations

import os

import pytest

from ingestion.config import REPO_ROOT


@pytest.fixture(scope="module")
def dagbag(tmp_path_factory):
    home = tmp_path_factory.mktemp("airflow_home")
    os.environ.setdefault("AIRFLOW_HOME", str(home))
    os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(REPO_ROOT / "dags"))


def test_no_import_errors(dagbag):
    assert dagbag.import_errors == {}
    assert "edu_dwh_pipeline" in dagbag.dag_ids


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
    # the municipality report pack follows publishing (the published marts are its input)
    assert dag.get_task("report_pack").upstream_task_ids == {"publish"}
    closer = dag.get_task("close_failed_run")
    assert closer.trigger_rule == "one_failed"
    # every task that can fail closes the run (and mails): ingest, feedback, report_pack too
    assert closer.upstream_task_ids == (
        loaders | {"prepare", "load", "feedback", "transform", "publish", "report_pack"}
    )
    # a published run that rejected files or rows is mailed after publishing
    assert dag.get_task("notify_rejections").upstream_task_ids == {"publish"}
    # topological sort succeeds only for an acyclic graph
    assert len(dag.topological_sort()) == len(dag.tasks)


def test_dag_files_are_thin():
    """DAG files wire tasks; no heavy imports at module level."""
    for path in (REPO_ROOT / "dags").glob("*.py"):
        head = [
            line for line in path.read_text().splitlines() if line.startswith(("import ", "from "))
        ]
        for line in head:
            assert not any(m in line for m in ("pandas", "dbt", "great_expectations", "psycopg2"))
