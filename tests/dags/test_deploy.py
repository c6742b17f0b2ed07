"""The production-like stack description stays consistent (no Docker engine here)."""

from __future__ import annotations

import yaml

from ingestion.config import REPO_ROOT


def test_compose_services_pinned_and_wired():
    compose = yaml.safe_load((REPO_ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert {
        "postgres", "airflow-init", "airflow-apiserver", "airflow-scheduler",
        "airflow-dag-processor", "airflow-triggerer", "metabase",
    } <= set(services)  # fmt: skip
    for name, svc in services.items():
        image = svc.get("image", "")
        assert image and not image.endswith(":latest") and ":" in image, name
    env = services["airflow-scheduler"]["environment"]
    # the warehouse and the key reach the DAG as an Airflow connection and variable
    assert env["AIRFLOW_CONN_EDU_DWH_WAREHOUSE"].startswith("postgresql://edu_dwh:${")
    assert env["AIRFLOW_VAR_EDU_DWH_PSEUDONYM_KEY"] == "${EDU_DWH_PSEUDONYM_KEY:?set in .env}"
    assert "EDU_DWH_DSN" not in env and "EDU_DWH_PSEUDONYM_KEY" not in env
    assert services["metabase"]["image"].startswith("metabase/metabase:v0.")


def test_airflow_image_installs_the_package_and_dags():
    dockerfile = (REPO_ROOT / "docker/airflow.Dockerfile").read_text()
    for part in ("requirements.txt", "ingestion", "expectations", "dbt_project", "dags"):
        assert part in dockerfile
