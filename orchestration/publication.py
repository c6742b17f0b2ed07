"""Write – audit – publish: dbt builds into shadow schemas; BI sees a new build only when
every model and every test of it passed, switched in in one transaction.

    build(run_id)    staging__build_<run>, intermediate__build_<run>, marts__build_<run>,
                     reference__build_<run> ← `dbt build` (models, seeds, data and unit tests);
                     whole, or only the changed years (orchestration/incremental.py): then
                     dbt first copies each incremental model's published table into the
                     shadow (less those years) and replaces those years in it; nothing at
                     all when no year changed since the published build (same data, same
                     dbt project: the published build is what dbt would build)
    swap(run_id)     one transaction: each public schema is renamed away, its shadow takes
                     its name, the old one is dropped, the run is marked 'published' (with
                     no build: the published schemas stay, the run is marked 'published')

Grants are part of the build and of the switch, never a later step a failure could skip:
dbt's `grants:` config (dbt_project.yml) gives the BI role `select` on every mart and seed
as it builds them, and the switch transaction itself grants `usage` on the schemas it makes
public and applies the row-level security of every mart (orchestration/row_security.py: a
municipal login sees the region, its municipality and its schools only). Until then a shadow
schema is closed to BI (no `usage`), so an unpublished or failed build can never be read by
BI users or shown by Metabase. A failed build leaves the published
schemas as they were (same tables, same rows, same grants); its shadow schemas are kept for
inspection until the next run's build starts.
"""

from __future__ import annotations

import time

from ingestion import db
from orchestration import incremental, row_security, run_control

BUILT_SCHEMAS = ("staging", "intermediate", "marts", "reference")  # what dbt writes
BI_SCHEMAS = ("marts", "reference")  # what BI users may read
CLOSED_SCHEMAS = ("raw", "audit", "staging", "intermediate")
SHADOW_MARK = "__build_"


def shadow_suffix(run_id: int) -> str:
    return f"{SHADOW_MARK}{int(run_id)}"


def _shadow_schemas(cur) -> list[str]:
    cur.execute(
        "select nspname from pg_namespace where nspname like %s order by 1",
        ("%" + SHADOW_MARK.replace("_", r"\_") + "%",),
    )
    return [r[0] for r in cur.fetchall()]


def _drop_shadows(cur) -> None:
    """Drop the shadow schemas of earlier runs (a failed build's, kept for inspection)."""
    for schema in _shadow_schemas(cur):
        cur.execute(f'drop schema "{schema}" cascade')


def prepare_shadow(run_id: int) -> str:
    """Drop shadow schemas of earlier runs, create this run's (closed to BI)."""
    suffix = shadow_suffix(run_id)
    with db.transaction() as conn, conn.cursor() as cur:
        _drop_shadows(cur)
        for schema in BUILT_SCHEMAS:
            # no `usage` for BI here: an unpublished (or failed) build stays unreadable; the
            # switch grants it in the same transaction that makes the build public
            cur.execute(f"create schema {schema}{suffix}")
    return suffix


def build(run_id: int, full_refresh: bool = False) -> incremental.BuildPlan:
    """dbt build into this run's shadow schemas, whole or only the changed years
    (orchestration/incremental.py); raises DbtError naming what failed."""
    from orchestration.dbt_runner import build as dbt_build

    with db.transaction() as conn, conn.cursor() as cur:
        plan = incremental.plan(cur, full_refresh=full_refresh)
        incremental.record(cur, run_id, plan)
    print(plan.describe(), flush=True)
    if plan.unchanged:  # the published build is what dbt would build: nothing to run
        with db.transaction() as conn, conn.cursor() as cur:
            _drop_shadows(cur)
        return plan
    suffix = prepare_shadow(run_id)
    dbt_build(schema_suffix=suffix, extra_args=plan.dbt_args())
    return plan


def swap(run_id: int, message: str) -> None:
    """Switch BI to this run's build and mark the run published — one transaction."""
    suffix = shadow_suffix(run_id)
    grantee = db.ensure_bi_role()
    t0 = time.monotonic()
    with db.transaction() as conn, conn.cursor() as cur:
        cur.execute("set local lock_timeout = '10min'")
        # nothing changed since the published build (build() ran no dbt): it stays, its
        # grants and row policies re-applied, and the run is closed as published
        switched = not incremental.built_nothing(cur, run_id)
        if switched:
            _switch_schemas(cur, run_id, suffix)
        _grant(cur, grantee)
        # the rebuilt marts get their row policies before the commit makes them readable
        row_security.apply(cur, grantee)
        incremental.mark_published(cur, run_id)
        run_control.finish_run(run_id, "published", message, cur=cur)
    if switched:
        print(f"Витрины опубликованы (переключение за {time.monotonic() - t0:.1f} с)", flush=True)
    else:
        print("Витрины не изменились: остаётся опубликованная сборка", flush=True)


def _switch_schemas(cur, run_id: int, suffix: str) -> None:
    """Each public schema renamed away, its shadow given its name, the old one dropped."""
    for schema in BUILT_SCHEMAS:
        cur.execute("select 1 from pg_namespace where nspname = %s", (schema + suffix,))
        if not cur.fetchone():
            raise RuntimeError(
                f"сборка запуска №{run_id} не найдена (схема {schema}{suffix}): публиковать нечего"
            )
    retired = []
    for schema in BUILT_SCHEMAS:
        cur.execute("select 1 from pg_namespace where nspname = %s", (schema,))
        if cur.fetchone():
            cur.execute(f"alter schema {schema} rename to {schema}__retired_{int(run_id)}")
            retired.append(f"{schema}__retired_{int(run_id)}")
        cur.execute(f"alter schema {schema}{suffix} rename to {schema}")
    for schema in retired:
        cur.execute(f"drop schema {schema} cascade")


def _grant(cur, grantee: str) -> None:
    """BI reads marts and reference, nothing else (also repairs grants of older builds)."""
    for schema in BI_SCHEMAS:
        cur.execute(f"grant usage on schema {schema} to {grantee}")
        cur.execute(f"grant select on all tables in schema {schema} to {grantee}")
    for schema in CLOSED_SCHEMAS:
        cur.execute(f"create schema if not exists {schema}")
        if grantee == db.BI_ROLE:
            cur.execute(f"revoke all on schema {schema} from {grantee}")
            cur.execute(f"revoke all on all tables in schema {schema} from {grantee}")


def grant_bi_access() -> None:
    """Re-apply the BI grants on the published schemas (for a DBA, or after a restore)."""
    grantee = db.ensure_bi_role()
    with db.transaction() as conn, conn.cursor() as cur:
        _grant(cur, grantee)
        row_security.apply(cur, grantee)
