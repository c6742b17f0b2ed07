"""Run dbt (in-process, via dbtRunner) against the configured warehouse."""

from __future__ import annotations

import os
from contextlib import contextmanager

from ingestion.config import DBT_PROJECT_DIR, get_settings, state_dir
from ingestion.db import dsn_to_params, ensure_bi_role


class DbtError(RuntimeError):
    pass


@contextmanager
def dbt_environment(dsn: str | None = None, schema_suffix: str = ""):
    """Expose the warehouse connection to dbt's profile (dbt_project/profiles.yml), the
    shadow-schema suffix (macros/generate_schema_name.sql) and the BI role dbt grants
    `select` on marts and seeds to (dbt_project.yml, `grants:`)."""
    dsn = dsn or get_settings().dsn
    params = dsn_to_params(dsn)
    env = {
        "EDU_DWH_SCHEMA_SUFFIX": schema_suffix,
        "EDU_DWH_BI_GRANTEE": ensure_bi_role(dsn),
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


def run_dbt(args: list[str], dsn: str | None = None, schema_suffix: str = "") -> None:
    """Run one dbt command, e.g. ["build"]; raise DbtError naming every failed node."""
    from dbt.cli.main import dbtRunner

    with dbt_environment(dsn, schema_suffix):
        result = dbtRunner().invoke(
            [*args, "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR)]
        )
    if not result.success:
        failed = failed_nodes(result.result)
        detail = "; ".join(failed) if failed else str(result.exception or "причина не сообщена")
        raise DbtError(f"dbt {' '.join(args)} не выполнен: {detail}")


_KIND_RU = {"model": "модель", "test": "тест", "seed": "справочник", "unit_test": "юнит-тест"}


def failed_nodes(run_result) -> list[str]:
    """'тест <name> (модель <model>): <message>' for every node that failed or errored."""
    out = []
    for res in getattr(run_result, "results", None) or []:
        status = str(getattr(res, "status", "")).lower()
        if status not in (
            "error",
            "fail",
            "runstatus.error",
            "teststatus.fail",
            "teststatus.error",
        ):
            continue
        node = getattr(res, "node", None)
        kind = _KIND_RU.get(getattr(node, "resource_type", ""), "узел")
        name = getattr(node, "name", "?")
        models = [d.split(".")[-1] for d in getattr(getattr(node, "depends_on", None), "nodes", [])]
        models = [m for m in models if m]
        where = f" (модель {', '.join(models)})" if kind == "тест" and models else ""
        message = (getattr(res, "message", "") or "").strip().splitlines()
        failures = getattr(res, "failures", None)
        what = message[0] if message else ""
        if failures:
            what = f"нарушений: {failures}"
        out.append(f"{kind} {name}{where} не пройден: {what}".strip())
    return out


def build(dsn: str | None = None, select: str | None = None, schema_suffix: str = "") -> None:
    """dbt deps-free build: seeds, models, data tests and unit tests. With a schema suffix,
    into shadow schemas (`marts<suffix>` …; see ingestion/publication.py)."""
    args = ["build"]
    if select:
        args += ["--select", select]
    run_dbt(args, dsn, schema_suffix)
