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
    assert env["EDU_DWH_DSN"].startswith("postgresql://") and "EDU_DWH_PSEUDONYM_KEY" in env
    assert "${" in env["EDU_DWH_PSEUDONYM_KEY"]  # from .env, never a literal secret
    assert services["metabase"]["image"].startswith("metabase/metabase:v0.")


def test_airflow_image_installs_the_package_and_dags():
    dockerfile = (REPO_ROOT / "docker/airflow.Dockerfile").read_text()
    for part in ("requirements.txt", "ingestion", "expectations", "dbt_project", "dags"):
        assert part in dockerfile
