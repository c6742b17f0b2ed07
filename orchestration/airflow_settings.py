"""Where a DAG task finds its settings: Airflow's Connections and Variables first (so any
secrets backend works, and `AIRFLOW_CONN_…` / `AIRFLOW_VAR_…` environment variables too),
the environment of `ingestion.config` (`EDU_DWH_DSN`, `EDU_DWH_PSEUDONYM_KEY`, …) as the
fallback — the CLI (`edu-dwh run`) uses that environment only.

| what | Airflow | fallback |
|---|---|---|
| the warehouse | Connection `edu_dwh_warehouse` (postgres) | `EDU_DWH_DSN` |
| the pseudonym key | Variable `edu_dwh_pseudonym_key` | `EDU_DWH_PSEUDONYM_KEY` |
| alert recipients | Variable `edu_dwh_alert_emails` (comma-separated) | `EDU_DWH_ALERT_EMAILS` |
| alert sender | Variable `edu_dwh_alert_from` | `EDU_DWH_ALERT_FROM`, else the SMTP conn's |
| audit page base URL | Variable `edu_dwh_docs_url` | `EDU_DWH_DOCS_URL`, else the file path |
| SMTP | Connection `edu_dwh_smtp` (smtp) | `EDU_DWH_SMTP_CONN_ID` names another one |

Only tasks call `configure()` (imported lazily, inside the task): Connections and Variables
are read through `airflow.sdk`, i.e. through the task's supervisor.
"""

from __future__ import annotations

import os
from urllib.parse import quote, urlencode

WAREHOUSE_CONN_ID = "edu_dwh_warehouse"
SMTP_CONN_ID = "edu_dwh_smtp"
PSEUDONYM_KEY_VARIABLE = "edu_dwh_pseudonym_key"

# libpq connection parameters an Airflow postgres connection may carry in its extra
# (anything else there — e.g. the postgres hook's `cursor` — is not for libpq)
_LIBPQ_EXTRAS = {
    "host", "hostaddr", "sslmode", "sslrootcert", "sslcert", "sslkey", "sslcrl",
    "sslpassword", "connect_timeout", "application_name", "options", "keepalives",
    "keepalives_idle", "keepalives_interval", "keepalives_count", "target_session_attrs",
    "gssencmode", "channel_binding", "passfile",
}  # fmt: skip


def dsn_from_connection(conn) -> str:
    """`postgresql://user:password@host:port/db?libpq-params` from an Airflow connection
    (URI or JSON form); a unix-socket folder may come as the extra `host`."""
    login = quote(conn.login or "", safe="")
    password = quote(conn.password or "", safe="")
    auth = f"{login}:{password}@" if password else (f"{login}@" if login else "")
    host = conn.host or ""
    if host.startswith("/"):  # a socket folder cannot stand in the authority part
        extra = {"host": host, **conn.extra_dejson}
        host = ""
    else:
        extra = dict(conn.extra_dejson)
    netloc = auth + host + (f":{conn.port}" if conn.port and host else "")
    if conn.port and not host:
        extra.setdefault("port", conn.port)
    query = {k: v for k, v in extra.items() if k in _LIBPQ_EXTRAS | {"port"} and v is not None}
    dsn = f"postgresql://{netloc}/{quote(conn.schema or '', safe='')}"
    return dsn + (f"?{urlencode(query)}" if query else "")


def connection(conn_id: str):
    """The Airflow connection, or None when it is not defined."""
    from airflow.sdk import Connection
    from airflow.sdk.exceptions import AirflowNotFoundException

    try:
        return Connection.get(conn_id)
    except AirflowNotFoundException:
        return None


def variable(key: str) -> str | None:
    """The Airflow Variable's value, or None when it is not set."""
    from airflow.sdk import Variable

    value = Variable.get(key, default=None)
    return None if value is None or str(value).strip() == "" else str(value).strip()


def setting(name: str) -> str | None:
    """Variable `edu_dwh_<name>`, else the environment's `EDU_DWH_<NAME>`."""
    value = variable(f"edu_dwh_{name}")
    if value is None:
        value = os.environ.get(f"EDU_DWH_{name.upper()}", "").strip() or None
    return value


def configure() -> str:
    """Point `ingestion.config` at the warehouse and key from Airflow (in this task's
    process), when Airflow has them. Returns where each came from (for the task log; no
    secret in it)."""
    from ingestion import config

    told = []
    conn = connection(WAREHOUSE_CONN_ID)
    if conn is not None:
        os.environ["EDU_DWH_DSN"] = dsn_from_connection(conn)
        told.append(f"хранилище: соединение Airflow «{WAREHOUSE_CONN_ID}»")
    elif os.environ.get("EDU_DWH_DSN", "").strip():
        told.append("хранилище: переменная окружения EDU_DWH_DSN")
    key = variable(PSEUDONYM_KEY_VARIABLE)
    if key is not None:
        os.environ["EDU_DWH_PSEUDONYM_KEY"] = key
        told.append(f"ключ псевдонимизации: переменная Airflow «{PSEUDONYM_KEY_VARIABLE}»")
    elif os.environ.get("EDU_DWH_PSEUDONYM_KEY"):
        told.append("ключ псевдонимизации: переменная окружения EDU_DWH_PSEUDONYM_KEY")
    config.get_settings.cache_clear()
    message = "Настройки: " + ("; ".join(told) if told else "по умолчанию (локальные)")
    print(message, flush=True)
    return message
