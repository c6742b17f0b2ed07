"""What follows a publication: the DAG `edu_dwh_after_publish` (dags/edu_dwh_after_publish.py)
runs these whenever `publish` updates the marts asset.

- `sync_dashboards`: Metabase's questions and dashboards brought in line with metabase/*.yml
  (metabase/provision.py) — only when Metabase is configured; otherwise one log line and
  nothing else (a warehouse without BI is a valid deployment);
- `report_pack`: the municipality report pack of the latest year (orchestration/report_pack.py).

The auditors' page (reporting/audit_report.py) and the GX Data Docs are written by `publish`
itself (and by a failed run's close), so they are not repeated here.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

# The published marts as an Airflow asset. A scheme of our own ("x-" prefix: Airflow leaves
# such URIs as they are and validates nothing; "postgres://" would need host, port and the
# database in the URI, i.e. deployment details in the DAG's identity).
MARTS_ASSET_NAME = "edu_dwh_marts"
MARTS_ASSET_URI = "x-edu-dwh://warehouse/marts"
METABASE_CONN_ID = "edu_dwh_metabase"


@dataclass(frozen=True)
class MetabaseTarget:
    url: str
    user: str
    password: str
    database_name: str
    api_key: str | None = None  # METABASE_API_KEY: sent as X-API-KEY, no login needed


def metabase_target() -> MetabaseTarget | None:
    """Metabase from the Airflow connection `edu_dwh_metabase` (host, login, password;
    schema = the warehouse's name in Metabase) when it has a host, else from the
    environment (metabase_from_env); METABASE_API_KEY from the environment either way."""
    from metabase.provision import DEFAULT_DATABASE_NAME
    from orchestration.airflow_settings import connection

    conn = connection(METABASE_CONN_ID)
    if conn is None or not conn.host:
        return metabase_from_env()
    return MetabaseTarget(
        url=conn.host if "://" in conn.host else f"http://{conn.host}:{conn.port or 3000}",
        user=conn.login or "",
        password=conn.password or "",
        database_name=conn.schema or DEFAULT_DATABASE_NAME,
        api_key=os.environ.get("METABASE_API_KEY") or None,
    )


def metabase_from_env() -> MetabaseTarget | None:
    """METABASE_URL (or MB_URL) with METABASE_API_KEY, or MB_USER / MB_PASSWORD
    (METABASE_USER / METABASE_PASSWORD), and MB_DATABASE_NAME; None when no URL is set."""
    from metabase.provision import DEFAULT_DATABASE_NAME

    env = os.environ
    url = env.get("METABASE_URL") or env.get("MB_URL")
    if not url:
        return None
    return MetabaseTarget(
        url=url,
        user=env.get("METABASE_USER") or env.get("MB_USER") or "",
        password=env.get("METABASE_PASSWORD") or env.get("MB_PASSWORD") or "",
        database_name=env.get("MB_DATABASE_NAME", DEFAULT_DATABASE_NAME),
        api_key=env.get("METABASE_API_KEY") or None,
    )


def sync_dashboards(target: MetabaseTarget | None) -> str:
    """Provision Metabase from metabase/*.yml; without a target, say so and do nothing.
    Returns one line in Russian (raises on a Metabase error: the task fails visibly)."""
    if target is None:
        line = (
            "Metabase не настроен (нет METABASE_URL и подключения"
            f" {METABASE_CONN_ID}): синхронизация дашбордов пропущена."
        )
        print(line, flush=True)
        return line
    if not target.api_key and not (target.user and target.password):
        raise ValueError(
            f"Metabase {target.url}: не заданы ключ API (METABASE_API_KEY) или пользователь и"
            f" пароль (MB_USER / MB_PASSWORD или логин и пароль подключения {METABASE_CONN_ID})"
        )
    from metabase.client import MetabaseClient
    from metabase.provision import provision

    client = MetabaseClient(target.url, api_key=target.api_key)
    if not target.api_key:
        client.login(target.user, target.password)
    report = provision(client, database_name=target.database_name)
    line = f"Дашборды Metabase ({target.url}) синхронизированы. {report.summary()}"
    print(line, flush=True)
    return line


def report_pack() -> list[Path]:
    """The municipality report pack of the latest published year."""
    from orchestration.report_pack import write_municipal_pack

    written = write_municipal_pack()
    if written:
        where = written[0].parent
        print(f"Пакет отчётов для муниципалитетов ({len(written)}): {where}", flush=True)
    else:
        print("Витрины не опубликованы: пакет отчётов для муниципалитетов не собран.", flush=True)
    return written
