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
        failed = failed_nodes(result.result, dsn or get_settings().dsn)
        detail = "; ".join(failed) if failed else str(result.exception or "причина не сообщена")
        raise DbtError(f"dbt {' '.join(args)} не выполнен: {detail}")


_KIND_RU = {"model": "модель", "test": "тест", "seed": "справочник", "unit_test": "юнит-тест"}


def failed_nodes(run_result, dsn: str | None = None) -> list[str]:
    """'тест <name> (модель <model>) не пройден: <message> — ОО …; файлы …' for every node
    that failed or errored (the schools and files behind a failing test's rows where the
    rows carry them)."""
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
        behind = _behind_failing_rows(dsn, getattr(node, "compiled_code", None)) if dsn else ""
        out.append(f"{kind} {name}{where} не пройден: {what}{behind}".strip())
    return out


_ROW_KEYS = ("school_code", "territory_code", "ate_code", "load_id")


def _behind_failing_rows(dsn: str, compiled: str | None) -> str:
    """' — ОО: …; файлы: …' from the first failing rows of a data test (its compiled SQL,
    run read-only against the build it tested), or '' when the rows carry neither."""
    if not compiled:
        return ""
    import psycopg2

    try:
        with psycopg2.connect(dsn) as conn, conn.cursor() as cur:
            cur.execute("set transaction read only")
            cur.execute("set local statement_timeout = '30s'")
            cur.execute(f"select * from ({compiled}) failing limit 50")
            names = [d.name for d in cur.description]
            rows = cur.fetchall()
            found: dict[str, set] = {}
            for key in _ROW_KEYS:
                if key in names:
                    i = names.index(key)
                    found[key] = {r[i] for r in rows if r[i] is not None}
            files: list[str] = []
            if found.get("load_id"):
                cur.execute(
                    "select rel_path from audit.loads where load_id = any(%s) order by 1",
                    (sorted(found["load_id"]),),
                )
                files = [r[0] for r in cur.fetchall()]
        conn.close()
    except Exception:  # a detail only: the failure itself is reported anyway
        return ""
    parts = []
    schools = found.get("school_code") or found.get("territory_code") or set()
    if schools:
        parts.append("территории/ОО: " + ", ".join(sorted(map(str, schools))[:10]))
    if files:
        parts.append("файлы: " + ", ".join(files[:10]))
    return (" — " + "; ".join(parts)) if parts else ""


def build(
    dsn: str | None = None,
    select: str | None = None,
    schema_suffix: str = "",
    extra_args: list[str] | tuple[str, ...] = (),
) -> None:
    """dbt deps-free build: seeds, models, data tests and unit tests. With a schema suffix,
    into shadow schemas (`marts<suffix>` …; see orchestration/publication.py); `extra_args`
    e.g. an incremental build's vars (orchestration/incremental.py)."""
    args = ["build", *extra_args]
    if select:
        args += ["--select", select]
    run_dbt(args, dsn, schema_suffix)
