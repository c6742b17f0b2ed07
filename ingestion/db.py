"""PostgreSQL access: connections, the audit DDL (raw tables: `sources.raw_ddl`), roles."""

from __future__ import annotations

from contextlib import contextmanager
from urllib.parse import parse_qs, unquote, urlparse

import psycopg2
import psycopg2.extensions

from ingestion.config import get_settings
from sources import raw_ddl

AUDIT_DDL = """
create schema if not exists raw;
create schema if not exists audit;

create table if not exists audit.runs (
    run_id bigserial primary key,
    started_at timestamptz not null default now(),
    finished_at timestamptz,
    landing_dir text,
    status text not null default 'running',
    message text
);
alter table audit.runs add column if not exists owner text;
alter table audit.runs add column if not exists heartbeat_at timestamptz;
alter table audit.runs add column if not exists step text;
alter table audit.runs add column if not exists last_error text;
-- older warehouses may hold runs left 'running' by a killed process: close them first
update audit.runs set status = 'interrupted', finished_at = coalesce(finished_at, now()),
    message = concat_ws('; ', message, 'запуск прерван до завершения')
where status = 'running' and run_id < (select max(run_id) from audit.runs where status = 'running');
-- one run owns the warehouse at a time (ingestion/run_control.py)
create unique index if not exists runs_one_running on audit.runs ((true)) where status = 'running';

create table if not exists audit.loads (
    load_id bigserial primary key,
    run_id bigint references audit.runs(run_id),
    source text not null,
    rel_path text not null,
    file_name text not null,
    sha256 text not null,
    size_bytes bigint,
    encoding text,
    scope jsonb,
    status text not null,
    message text,
    rows_read integer not null default 0,
    rows_loaded integer not null default 0,
    rows_quarantined integer not null default 0,
    started_at timestamptz not null default now(),
    finished_at timestamptz,
    superseded_by bigint
);
-- precedence: which delivery wins a natural key (higher = later); a file delivered again
-- after its withdrawal keeps the precedence it had (ingestion/deliveries.py)
alter table audit.loads add column if not exists precedence bigint;
alter table audit.loads add column if not exists file_mtime_ns bigint;
alter table audit.loads add column if not exists withdrawn_at timestamptz;
-- a critical file-level check failed: the run that delivered the file may not publish
alter table audit.loads add column if not exists blocking boolean not null default false;
create index if not exists loads_sha_idx on audit.loads (sha256);
create index if not exists loads_source_idx on audit.loads (source, status);
create index if not exists loads_identity_idx on audit.loads (source, rel_path);

-- rows of each loaded file by its source's baseline slice (year, slice values as text; no
-- year: one row per load): the row-count expectation's comparison (ingestion/baseline.py)
create table if not exists audit.load_slice_counts (
    load_id bigint not null,
    year integer,
    slice text[] not null,
    rows bigint not null
);
create unique index if not exists load_slice_counts_key
    on audit.load_slice_counts (load_id, year, slice) nulls not distinct;

-- every replacement and withdrawal of a whole file
create table if not exists audit.load_events (
    event_id bigserial primary key,
    run_id bigint,
    load_id bigint not null references audit.loads(load_id),
    event text not null,          -- new_version | withdrawn | redelivered | same_content
    by_load_id bigint references audit.loads(load_id),
    rows_removed integer not null default 0,
    actor text,
    reason text,
    happened_at timestamptz not null default now()
);
create index if not exists load_events_load_idx on audit.load_events (load_id);

-- every row of one file displaced by the row with the same natural key from a later
-- delivery (event 'replaced'), and every displaced row that became current again because
-- the file that displaced it was replaced or withdrawn (event 'restored')
create table if not exists audit.row_replacements (
    id bigserial primary key,
    run_id bigint,
    source text not null,
    event text not null,
    old_load_id bigint not null,
    old_source_row integer not null,
    new_load_id bigint,
    new_source_row integer,
    old_values jsonb,
    new_values jsonb,
    changed_columns text[],
    happened_at timestamptz not null default now()
);
create index if not exists row_replacements_new_idx on audit.row_replacements (new_load_id);
create index if not exists row_replacements_old_idx on audit.row_replacements (old_load_id);

create table if not exists audit.quarantine (
    load_id bigint not null references audit.loads(load_id),
    source_row integer not null,
    reason text not null,
    row_data jsonb
);
create index if not exists quarantine_load_idx on audit.quarantine (load_id);

create table if not exists audit.corrections (
    load_id bigint not null references audit.loads(load_id),
    source_row integer not null,
    note text not null
);

create table if not exists audit.validation_results (
    id bigserial primary key,
    run_id bigint,
    load_id bigint,
    source text,
    suite_name text not null,
    expectation_type text not null,
    column_name text,
    kwargs jsonb,
    severity text not null,
    success boolean not null,
    element_count bigint,
    unexpected_count bigint,
    observed jsonb,
    validated_at timestamptz not null default now()
);

-- every dbt build into shadow schemas (orchestration/incremental.py): full or the years
-- rebuilt, the fingerprint of the dbt project and the audit watermarks it was planned at;
-- `published` once its marts were switched in. The next incremental build starts from the
-- last published one.
create table if not exists audit.dbt_builds (
    run_id bigint primary key,
    full_build boolean not null,
    changed_years integer[],
    reason text not null,
    fingerprint text not null,
    load_watermark bigint not null,
    event_watermark bigint not null,
    replacement_watermark bigint not null,
    built_at timestamptz not null default now(),
    published boolean not null default false
);

create or replace view audit.file_messages as
select l.load_id, l.run_id, l.source, l.rel_path, l.status, l.message,
       l.rows_read, l.rows_loaded, l.rows_quarantined, l.finished_at
from audit.loads l;
"""


def dsn_to_params(dsn: str) -> dict[str, str]:
    """Split a postgresql:// URI into host/port/user/password/dbname (for dbt's profile)."""
    url = urlparse(dsn)
    query = {k: v[0] for k, v in parse_qs(url.query).items()}
    return {
        "host": query.get("host") or url.hostname or "localhost",
        "port": str(url.port or query.get("port") or 5432),
        "user": unquote(url.username or query.get("user") or "postgres"),
        "password": unquote(url.password or query.get("password") or ""),
        "dbname": (url.path or "/postgres").lstrip("/") or "postgres",
    }


def sqlalchemy_url(dsn: str) -> str:
    """The same DSN as a SQLAlchemy URL with the psycopg2 driver (for Great Expectations)."""
    if dsn.startswith("postgresql+"):
        return dsn
    return "postgresql+psycopg2://" + dsn.split("://", 1)[1]


BI_ROLE = "edu_dwh_bi_reader"


def ensure_bi_role(dsn: str | None = None) -> str:
    """The role BI users are granted: created (NOLOGIN) if missing. A warehouse user that may
    not create roles gets a warning, and grants go to itself until a DBA creates the role."""
    with transaction(dsn) as conn, conn.cursor() as cur:
        cur.execute("select 1 from pg_roles where rolname = %s", (BI_ROLE,))
        if cur.fetchone():
            return BI_ROLE
        cur.execute("savepoint bi_role")
        try:
            cur.execute(f"create role {BI_ROLE} nologin")
            return BI_ROLE
        except psycopg2.Error as exc:
            cur.execute("rollback to savepoint bi_role")
            cur.execute("select 1 from pg_roles where rolname = %s", (BI_ROLE,))
            if cur.fetchone():  # created concurrently
                return BI_ROLE
            print(
                f"ВНИМАНИЕ: роль {BI_ROLE} не создана ({(exc.pgerror or str(exc)).strip()});"
                " права на витрины не выданы BI. Создайте роль администратором БД (README).",
                flush=True,
            )
            cur.execute("select current_user")
            return cur.fetchone()[0]


def connect(dsn: str | None = None) -> psycopg2.extensions.connection:
    return psycopg2.connect(dsn or get_settings().dsn)


@contextmanager
def transaction(dsn: str | None = None):
    """A connection whose work is committed on success and rolled back on error."""
    conn = connect(dsn)
    try:
        with conn:
            yield conn
    finally:
        conn.close()


def ensure_schema(conn) -> None:
    with conn.cursor() as cur:
        cur.execute(AUDIT_DDL)
        cur.execute(raw_ddl())
