"""Access per municipality: row-level security on the published marts.

Roles (cluster-wide; NOLOGIN groups, no password anywhere in code):

    edu_dwh_bi_reader        holds `select` on marts and reference (dbt grants, publication)
    ├─ edu_dwh_ministry      sees every row of every mart
    └─ edu_dwh_municipal     the group of municipal roles
       └─ edu_dwh_mun_<code> one per municipality of the registry (Код АТЕ): sees the region's
                             totals, its municipality and its schools

Logins are members of one of these (a DBA creates them with a password: README, "Access for
BI users"). Anyone who may read the marts but is neither a ministry nor a municipal member
sees the region's totals only: access is closed by default.

Where: `apply(cur)` runs inside the publication's switch transaction (publication.swap),
after the shadow schemas took the public names and before the commit, so the tables dbt has
just rebuilt get RLS and their policy in the same transaction that makes them readable —
there is no instant at which a published mart is readable without its policy.
`grant_bi_access()` re-applies it (a DBA after a restore).

The mapping `marts_access.municipal_roles(role_name, municipality_code)` is filled from the
municipalities of the published build (marts.dim_territories, i.e. the registry); BI roles
cannot read it (no grant). Policies call two functions of `marts_access`:

- `sees_all()`: the current role is a member of edu_dwh_ministry;
- `visible_territories(current_user)` (SECURITY DEFINER, so it may read the mapping and
  dim_territories): the (territory_level, territory_code) pairs the role may see — its
  municipalities and their schools. It answers only for a role the session may act as.

Predicates, chosen per table from its columns (every relation of `marts`, enumerated at
publication, so a new mart is covered the day it is built):

- territory_level + territory_code: the region's rows, or a pair the role may see;
- municipality_code / ate_code (rows of schools carrying their municipality): that
  municipality is the role's;
- school_code only: the school is one of the role's schools;
- none of these: ministry only (closed; a warning names the table).

RLS is enabled but not FORCEd: the table owner (the warehouse user running dbt, the summary,
the report pack and `explain`) must keep seeing every row — the incremental build copies the
published tables into the shadow as that owner. BI roles never own tables.
`reference` (catalogue, minimum scores, subjects: no territorial rows) stays open to BI.
"""

from __future__ import annotations

import re

import psycopg2

from ingestion import db

ACCESS_SCHEMA = "marts_access"
MINISTRY_ROLE = "edu_dwh_ministry"
MUNICIPAL_ROLE = "edu_dwh_municipal"
MUNICIPAL_PREFIX = "edu_dwh_mun_"
POLICY = "edu_dwh_territory"
RLS_SCHEMAS = ("marts",)

SETUP_SQL = f"""
create schema if not exists {ACCESS_SCHEMA};
revoke all on schema {ACCESS_SCHEMA} from public;
create table if not exists {ACCESS_SCHEMA}.municipal_roles (
    role_name name primary key,
    municipality_code text not null,
    municipality_name text
);
revoke all on {ACCESS_SCHEMA}.municipal_roles from public;

create or replace function {ACCESS_SCHEMA}.sees_all() returns boolean
language sql stable set search_path = pg_catalog, pg_temp as $$
    select exists (
        select 1 from pg_roles as r
        where r.rolname = '{MINISTRY_ROLE}' and pg_has_role(current_user, r.oid, 'member')
    )
$$;

create or replace function {ACCESS_SCHEMA}.visible_territories(who name)
returns table (territory_level text, territory_code text)
language sql stable security definer set search_path = pg_catalog, pg_temp as $$
    with mine as (
        select distinct m.municipality_code
        from {ACCESS_SCHEMA}.municipal_roles as m
        inner join pg_roles as r on r.rolname = m.role_name
        where pg_has_role(session_user, who, 'member')
            and pg_has_role(who, r.oid, 'member')
    )
    select 'municipality'::text, mine.municipality_code from mine
    union all
    select 'school'::text, t.territory_code::text
    from marts.dim_territories as t
    inner join mine on t.municipality_code = mine.municipality_code
    where t.territory_level = 'school'
$$;
revoke all on function {ACCESS_SCHEMA}.sees_all() from public;
revoke all on function {ACCESS_SCHEMA}.visible_territories(name) from public;
"""

_VISIBLE = f"{ACCESS_SCHEMA}.visible_territories(current_user)"
_SEES_ALL = f"(select {ACCESS_SCHEMA}.sees_all())"


def role_name(municipality_code: str) -> str:
    """edu_dwh_mun_<code>: the code lower-cased, anything but [a-z0-9_] as `_`."""
    return MUNICIPAL_PREFIX + re.sub(r"[^a-z0-9_]", "_", municipality_code.strip().lower())


def predicate(columns: set[str]) -> tuple[str, str]:
    """(USING expression, kind) for a mart with these columns."""
    if {"territory_level", "territory_code"} <= columns:
        rows = (
            "territory_level = 'region' or (territory_level, territory_code) in"
            f" (select v.territory_level, v.territory_code from {_VISIBLE} as v)"
        )
        kind = "territory"
    elif columns & {"municipality_code", "ate_code"}:
        col = "municipality_code" if "municipality_code" in columns else "ate_code"
        rows = (
            f"{col} in (select v.territory_code from {_VISIBLE} as v"
            " where v.territory_level = 'municipality')"
        )
        kind = col
    elif "school_code" in columns:
        rows = (
            "school_code in (select v.territory_code from "
            f"{_VISIBLE} as v where v.territory_level = 'school')"
        )
        kind = "school_code"
    else:
        return _SEES_ALL, "ministry only"
    return f"{_SEES_ALL} or {rows}", kind


def _try(cur, sql: str, params=None) -> str | None:
    """Run one statement under a savepoint; the error text if PostgreSQL refused it."""
    cur.execute("savepoint row_security")
    try:
        cur.execute(sql, params)
    except psycopg2.Error as exc:
        cur.execute("rollback to savepoint row_security")
        return (exc.pgerror or str(exc)).strip().splitlines()[0]
    cur.execute("release savepoint row_security")
    return None


def _role_exists(cur, name: str) -> bool:
    cur.execute("select 1 from pg_roles where rolname = %s", (name,))
    return cur.fetchone() is not None


def _ensure_role(cur, name: str, parent: str) -> str | None:
    """NOLOGIN role `name`, member of `parent`; the error if it could not be done."""
    if not _role_exists(cur, name):
        error = _try(cur, f'create role "{name}" nologin')
        if error and not _role_exists(cur, name):
            return error
    cur.execute(
        "select 1 from pg_auth_members m join pg_roles a on a.oid = m.roleid"
        " join pg_roles b on b.oid = m.member where a.rolname = %s and b.rolname = %s",
        (parent, name),
    )
    if cur.fetchone() is None and _role_exists(cur, parent):
        return _try(cur, f'grant "{parent}" to "{name}"')
    return None


def ensure_roles(cur, municipalities: list[tuple[str, str]], grantee: str) -> list[str]:
    """The group roles and one role per municipality; returns the problems (a warehouse user
    that may not create roles: the mapping and policies still apply, a DBA creates the roles
    — any role created later works at once, the policies look roles up by name)."""
    problems = []
    # the groups are members of the BI role only, never of a fallback grantee (the warehouse
    # user itself when the BI role could not be created: membership would mean ownership)
    del grantee
    for name, parent in ((MINISTRY_ROLE, db.BI_ROLE), (MUNICIPAL_ROLE, db.BI_ROLE)):
        error = _ensure_role(cur, name, parent)
        if error:
            problems.append(f"{name}: {error}")
    for code, _ in municipalities:
        error = _ensure_role(cur, role_name(code), MUNICIPAL_ROLE)
        if error:
            problems.append(f"{role_name(code)}: {error}")
    return problems


def _municipalities(cur) -> list[tuple[str, str]]:
    cur.execute(
        "select territory_code, territory_name from marts.dim_territories"
        " where territory_level = 'municipality' order by territory_code"
    )
    return [(code, name) for code, name in cur.fetchall()]


def _relations(cur, schema: str) -> dict[str, set[str]]:
    cur.execute(
        "select c.relname, a.attname from pg_class c"
        " join pg_namespace n on n.oid = c.relnamespace"
        " join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped"
        " where n.nspname = %s and c.relkind in ('r', 'p', 'v', 'm')",
        (schema,),
    )
    out: dict[str, set[str]] = {}
    for rel, col in cur.fetchall():
        out.setdefault(rel, set()).add(col)
    return out


def _relkind(cur, schema: str, rel: str) -> str:
    cur.execute(
        "select c.relkind from pg_class c join pg_namespace n on n.oid = c.relnamespace"
        " where n.nspname = %s and c.relname = %s",
        (schema, rel),
    )
    return cur.fetchone()[0]


def apply(cur, grantee: str | None = None) -> dict[str, str]:
    """Mapping, functions, roles and the policy of every mart (in the caller's transaction);
    returns {relation: predicate kind}. Views cannot carry RLS: a view in `marts` has its
    `select` revoked from BI (it would bypass the policies of its tables) and is reported."""
    grantee = grantee or db.BI_ROLE
    cur.execute("select to_regclass('marts.dim_territories') is not null")
    if not cur.fetchone()[0]:
        return {}  # nothing published yet
    cur.execute(SETUP_SQL)
    municipalities = _municipalities(cur)
    for code, name in municipalities:
        cur.execute(
            f"insert into {ACCESS_SCHEMA}.municipal_roles as m"
            " (role_name, municipality_code, municipality_name) values (%s, %s, %s)"
            " on conflict (role_name) do update set municipality_code = excluded.municipality_code,"
            " municipality_name = excluded.municipality_name"
            " where (m.municipality_code, m.municipality_name)"
            " is distinct from (excluded.municipality_code, excluded.municipality_name)",
            (role_name(code), code, name),
        )
    problems = ensure_roles(cur, municipalities, grantee)
    if problems:
        print(
            "ВНИМАНИЕ: роли доступа BI не созданы ("
            + "; ".join(problems[:3])
            + (f"; и ещё {len(problems) - 3}" if len(problems) > 3 else "")
            + "). Политики строк применены; роли создаёт администратор БД (README,"
            " «Access for BI users»).",
            flush=True,
        )
    cur.execute(
        f"grant execute on function {ACCESS_SCHEMA}.sees_all(),"
        f" {ACCESS_SCHEMA}.visible_territories(name) to {grantee}"
    )
    cur.execute(f"grant usage on schema {ACCESS_SCHEMA} to {grantee}")
    cur.execute(f"revoke all on {ACCESS_SCHEMA}.municipal_roles from {grantee}")
    applied: dict[str, str] = {}
    for schema in RLS_SCHEMAS:
        for rel, columns in sorted(_relations(cur, schema).items()):
            table = f'{schema}."{rel}"'
            if _relkind(cur, schema, rel) in ("v", "m"):
                cur.execute(f"revoke all on {table} from {grantee}")
                print(f"ВНИМАНИЕ: {schema}.{rel} — представление, BI его не читает", flush=True)
                applied[f"{schema}.{rel}"] = "closed (view)"
                continue
            using, kind = predicate(columns)
            cur.execute(f"alter table {table} enable row level security")
            cur.execute(f"drop policy if exists {POLICY} on {table}")
            cur.execute(f"create policy {POLICY} on {table} for select to public using ({using})")
            if kind == "ministry only":
                print(
                    f"ВНИМАНИЕ: в {schema}.{rel} нет столбца территории — видна только"
                    " министерству",
                    flush=True,
                )
            applied[f"{schema}.{rel}"] = kind
    return applied


# ------------------------------------------------------------------------------ operators

LOGIN_RE = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def access_table(cur) -> list[tuple[str, str, str, bool, list[str]]]:
    """(role, Код АТЕ, municipality, role exists, its logins) of every mapped municipality,
    the ministry first (code and name '—')."""
    cur.execute("select to_regclass(%s) is not null", (f"{ACCESS_SCHEMA}.municipal_roles",))
    mapped: list[tuple[str, str, str]] = [(MINISTRY_ROLE, "—", "министерство (все строки)")]
    if cur.fetchone()[0]:
        cur.execute(
            f"select role_name, municipality_code, coalesce(municipality_name, '')"
            f" from {ACCESS_SCHEMA}.municipal_roles order by municipality_code"
        )
        mapped += cur.fetchall()
    out = []
    for role, code, name in mapped:
        cur.execute(
            "select array(select m.rolname from pg_roles m"
            " where m.rolcanlogin and pg_has_role(m.oid, r.oid, 'member')"
            " and not m.rolsuper order by 1) from pg_roles r where r.rolname = %s",
            (role,),
        )
        row = cur.fetchone()
        out.append((role, code, name, row is not None, list(row[0]) if row else []))
    return out


def create_login(cur, login: str, group: str, password: str) -> str:
    """A LOGIN member of `group` (a municipal role or the ministry's) with this password;
    an existing login gets the new password and the membership. Returns 'created'/'updated'.
    Needs a warehouse user allowed to create roles (else a DBA: README)."""
    if not LOGIN_RE.match(login):
        raise ValueError(f"имя входа «{login}»: только латиница в нижнем регистре, цифры и _")
    if not password:
        raise ValueError("пустой пароль")
    if not _role_exists(cur, group):
        raise ValueError(f"роли {group} нет: сначала опубликуйте витрины (edu-dwh run)")
    if group != MINISTRY_ROLE and not group.startswith(MUNICIPAL_PREFIX):
        raise ValueError(f"{group}: ни министерская, ни муниципальная роль")
    exists = _role_exists(cur, login)
    verb = "alter" if exists else "create"
    cur.execute(f'{verb} role "{login}" login password %s', (password,))
    cur.execute(f'grant "{group}" to "{login}"')
    return "updated" if exists else "created"
