"""Run dbt (in-process, via dbtRunner) against the configured warehouse."""

from __future__ import annotations

import os
from contextlib import contextmanager

from ingestion.config import DBT_PROJECT_DIR, get_settings, state_dir
from ingestion.db import dsn_to_params


class DbtError(RuntimeError):
    pass


@contextmanager
def dbt_environment(dsn: str | None = None):
    """Expose the warehouse connection to dbt's profile (dbt_project/profiles.yml)."""
    params = dsn_to_params(dsn or get_settings().dsn)
    env = {
        "EDU_DWH_PG_HOST": params["host"],
        "EDU_DWH_PG_PORT": params["port"],
        "EDU_DWH_PG_USER": params["user"],
        "EDU_DWH_PG_PASSWORD": params["password"],
        "EDU_DWH_PG_DBNAME": params["dbname"],
        "DBT_PROFILES_DIR": str(DBT_PROJECT_DIR),
        "DBT_LOG_PATH": str(state_dir() / "dbt_logs"),
        "DBT_TARGET_PATH": str(state_dir() / "dbt_target"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def run_dbt(args: list[str], dsn: str | None = None) -> None:
    """Run one dbt command, e.g. ["build"]; raise DbtError if it fails."""
    from dbt.cli.main import dbtRunner

    with dbt_environment(dsn):
        result = dbtRunner().invoke(
            [*args, "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR)]
        )
    if not result.success:
        detail = result.exception or ""
        raise DbtError(f"dbt {' '.join(args)} не выполнен: {detail}".strip())


def build(dsn: str | None = None, select: str | None = None) -> None:
    """dbt deps-free build: seeds, models, data tests and unit tests."""
    args = ["build"]
    if select:
        args += ["--select", select]
    run_dbt(args, dsn)
