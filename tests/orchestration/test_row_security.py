"""Access per municipality (orchestration/row_security.py) on marts published by the real
pipeline: a tiny synthetic region → ingestion → dbt build → publication.

Logins are real LOGIN roles connecting with a password, members of a municipal role, of the
ministry's role, or of the bare BI role; every mart the dbt project builds is read as each
and compared with what its owner (the warehouse user, whom RLS does not restrict) counts
with independent SQL.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import psycopg2
import pytest

from ingestion import db
from orchestration import publication, row_security
from tests.fixtures.pg import create_database, warehouse_env

MARTS_DIR = Path(__file__).resolve().parents[2] / "dbt_project" / "models" / "marts"
# the independent answer: which rows of a mart belong to municipality %(code)s or the region
SCHOOLS_OF = (
    "select territory_code from marts.dim_territories"
    " where territory_level = 'school' and municipality_code = %(code)s"
)
OWN_ROWS = {
    "territory": (
        "territory_level = 'region'"
        " or (territory_level = 'municipality' and territory_code = %(code)s)"
        f" or (territory_level = 'school' and territory_code in ({SCHOOLS_OF}))"
    ),
    "municipality_code": "municipality_code = %(code)s",
    "ate_code": "ate_code = %(code)s",
}
pytestmark = pytest.mark.slow


def mart_models() -> set[str]:
    """Every relation the dbt project builds into `marts` (one model per .sql file)."""
    return {p.stem for p in MARTS_DIR.rglob("*.sql")}


@pytest.fixture(scope="module")
def published(pg_server, tmp_path_factory):
    from orchestration.pipeline import run_all
    from synthetic import generate

    dsn = create_database(pg_server, "t_rls")
    base = tmp_path_factory.mktemp("rls")
    with warehouse_env(dsn, base / "state"):
        generate(base / "landing", seed=5, scale=0.05)
        run_all(base / "landing")
        yield dsn, base / "landing"


def owner(dsn: str, sql: str, params=None) -> list[tuple]:
    """As the warehouse user (owner of the marts: RLS does not restrict it); autocommit."""
    conn = psycopg2.connect(dsn)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute(sql, params)
            return cur.fetchall() if cur.description else []
    finally:
        conn.close()


@pytest.fixture(scope="module")
def logins(published):
    """Two municipal logins (the two municipalities with most schools), a ministry login and
    a login having the bare BI role; dropped afterwards."""
    dsn, _ = published
    codes = [
        code
        for code, _ in owner(
            dsn,
            "select municipality_code, count(*) from marts.dim_territories"
            " where territory_level = 'school' group by 1 order by 2 desc, 1 limit 2",
        )
    ]
    suffix = uuid.uuid4().hex[:8]
    made = {
        "mun_a": (f"mb_mun_a_{suffix}", row_security.role_name(codes[0])),
        "mun_b": (f"mb_mun_b_{suffix}", row_security.role_name(codes[1])),
        "ministry": (f"mb_ministry_{suffix}", row_security.MINISTRY_ROLE),
        "plain": (f"mb_plain_{suffix}", db.BI_ROLE),
    }
    for login, group in made.values():
        owner(dsn, f"create role {login} login password 'pw-{login}' in role {group}")
    yield {k: login for k, (login, _) in made.items()} | {"codes": codes}
    for login, _ in made.values():
        owner(dsn, f"drop role {login}")


def as_login(dsn: str, login: str, sql: str, params=None) -> list[tuple]:
    conn = psycopg2.connect(dsn, user=login, password=f"pw-{login}")
    try:
        with conn.cursor() as cur:
            cur.execute("select current_user, session_user")
            assert cur.fetchone() == (login, login)
            cur.execute(sql, params)
            return cur.fetchall()
    finally:
        conn.close()


def kinds(dsn: str) -> dict[str, str]:
    """Each mart's predicate kind, as publication applied it (the policy text tells)."""
    rows = owner(
        dsn,
        "select c.relname, c.relrowsecurity, c.relforcerowsecurity, p.qual"
        " from pg_class c join pg_namespace n on n.oid = c.relnamespace"
        " left join pg_policies p on p.schemaname = n.nspname and p.tablename = c.relname"
        "   and p.policyname = %s"
        " where n.nspname = 'marts' and c.relkind in ('r', 'p', 'v', 'm')",
        (row_security.POLICY,),
    )
    out = {}
    for rel, enabled, forced, qual in rows:
        assert enabled and not forced, rel  # owner (the pipeline) keeps every row
        assert qual and "sees_all" in qual, rel
        if "'region'" in qual:
            out[rel] = "territory"
        elif "municipality_code" in qual:
            out[rel] = "municipality_code"
        elif "ate_code" in qual:
            out[rel] = "ate_code"
        else:
            out[rel] = "ministry only"
    return out


def test_every_mart_of_the_dbt_project_has_a_territorial_policy(published):
    dsn, _ = published
    found = kinds(dsn)
    assert set(found) == mart_models()
    assert "ministry only" not in found.values(), found
    assert found["indicator_values"] == "territory"
    assert found["fct_school_upload_coverage"] == "municipality_code"
    assert found["fct_vpr_objectivity_flags"] == "ate_code"
    # the mapping comes from the registry: one role per municipality, each existing
    mapping = owner(dsn, "select role_name, municipality_code from marts_access.municipal_roles")
    registry = owner(
        dsn,
        "select territory_code from marts.dim_territories where territory_level = 'municipality'",
    )
    assert {c for _, c in mapping} == {c for (c,) in registry}
    for role, code in mapping:
        assert role == row_security.role_name(code)
        assert owner(dsn, "select rolcanlogin from pg_roles where rolname = %s", (role,)) == [
            (False,)
        ]


@pytest.mark.parametrize("who", ["mun_a", "mun_b"])
def test_municipal_login_sees_region_its_municipality_and_its_schools(published, logins, who):
    dsn, _ = published
    login = logins[who]
    code = logins["codes"][0 if who == "mun_a" else 1]
    other = logins["codes"][1 if who == "mun_a" else 0]
    schools = {s for (s,) in owner(dsn, SCHOOLS_OF, {"code": code})}
    assert schools
    seen_rows = 0
    for rel, kind in kinds(dsn).items():
        table = f"marts.{rel}"
        where = OWN_ROWS[kind]
        expected = owner(dsn, f"select count(*) from {table} where {where}", {"code": code})
        total = owner(dsn, f"select count(*) from {table}")[0][0]
        got = as_login(dsn, login, f"select count(*) from {table}")
        assert got == expected, (table, got, expected, total)
        seen_rows += got[0][0]
        if kind == "territory":
            levels = dict(
                as_login(
                    dsn,
                    login,
                    f"select territory_level, array_agg(distinct territory_code) from {table}"
                    " group by 1",
                )
            )
            assert set(levels.get("municipality", [])) <= {code}, table
            assert set(levels.get("school", [])) <= schools, table
            assert set(levels.get("region", [])) <= {"00"}, table
            region = owner(dsn, f"select count(*) from {table} where territory_level = 'region'")[
                0
            ][0]
            seen_region = as_login(
                dsn, login, f"select count(*) from {table} where territory_level = 'region'"
            )[0][0]
            assert seen_region == region, table  # the region's totals, all of them
        else:
            col = kind
            assert set(
                c for (c,) in as_login(dsn, login, f"select distinct {col} from {table}")
            ) <= {code}
            assert as_login(
                dsn, login, f"select count(*) from {table} where {col} = %s", (other,)
            ) == [(0,)]
    assert seen_rows > 0
    # the main marts: something of its own and the region's totals
    # (ratings rank municipalities and schools: no region row, its own place only)
    expect = {
        "indicator_values": {"region", "municipality", "school"},
        "gia_early_warning": {"region", "municipality"},
        "territory_ratings": {"municipality", "school"},
    }
    for rel, wanted in expect.items():
        levels = {
            lvl
            for (lvl,) in as_login(dsn, login, f"select distinct territory_level from marts.{rel}")
        }
        assert wanted <= levels, rel
    assert as_login(
        dsn,
        login,
        "select count(*) from marts.indicator_values where territory_level = 'municipality'"
        " and territory_code = %s",
        (other,),
    ) == [(0,)]


def test_ministry_login_sees_everything_and_plain_bi_only_the_region(published, logins):
    dsn, _ = published
    for rel in kinds(dsn):
        total = owner(dsn, f"select count(*) from marts.{rel}")
        assert as_login(dsn, logins["ministry"], f"select count(*) from marts.{rel}") == total
    # BI role alone (neither ministry nor municipal): closed by default, the region only
    assert as_login(
        dsn,
        logins["plain"],
        "select distinct territory_level from marts.indicator_values",
    ) == [("region",)]
    assert as_login(
        dsn, logins["plain"], "select count(*) from marts.fct_school_upload_coverage"
    ) == [(0,)]
    # reference (catalogue, minimum scores: no territorial rows) is the same for everyone
    n = owner(dsn, "select count(*) from reference.subjects")
    assert as_login(dsn, logins["mun_a"], "select count(*) from reference.subjects") == n


@pytest.mark.parametrize(
    "sql",
    [
        "select count(*) from raw.municipalities",
        "select count(*) from audit.loads",
        "select count(*) from staging.stg_reference__municipalities",
        "select count(*) from intermediate.int_territories",
        "select count(*) from marts_access.municipal_roles",
    ],
)
def test_municipal_login_cannot_read_raw_staging_audit_or_the_mapping(published, logins, sql):
    dsn, _ = published
    if "intermediate." in sql:
        rel = owner(
            dsn,
            "select tablename from pg_tables where schemaname = 'intermediate' order by 1 limit 1",
        )[0][0]
        sql = f"select count(*) from intermediate.{rel}"
    with pytest.raises(psycopg2.errors.InsufficientPrivilege):
        as_login(dsn, logins["mun_a"], sql)


def test_municipal_login_cannot_ask_for_another_role(published, logins):
    dsn, _ = published
    other = row_security.role_name(logins["codes"][1])
    mine = row_security.role_name(logins["codes"][0])
    fn = "select count(*) from marts_access.visible_territories(%s)"
    assert as_login(dsn, logins["mun_a"], fn, (other,)) == [(0,)]
    assert as_login(dsn, logins["mun_a"], fn, (mine,))[0][0] > 1


def test_republication_reapplies_the_policies(published, logins):
    """A new build (new tables) is published with its policies in the switch transaction;
    so is a DBA's re-application after a restore."""
    dsn, landing = published
    from orchestration.pipeline import run_all

    tables = (
        "select relname, oid::bigint from pg_class"
        " where relnamespace = 'marts'::regnamespace and relkind = 'r'"
    )
    before = dict(owner(dsn, tables))
    run_all(landing, full_refresh=True)
    after = dict(owner(dsn, tables))
    assert set(after) == set(before) and not set(after.values()) & set(before.values())
    found = kinds(dsn)
    assert set(found) == mart_models() and "ministry only" not in found.values()
    code = logins["codes"][0]
    assert as_login(
        dsn,
        logins["mun_a"],
        "select count(distinct territory_code) from marts.indicator_values"
        " where territory_level = 'municipality'",
    ) == [(1,)]
    assert as_login(dsn, logins["mun_a"], "select count(*) from marts.indicator_values") == owner(
        dsn,
        f"select count(*) from marts.indicator_values where {OWN_ROWS['territory']}",
        {"code": code},
    )
    owner(dsn, "alter table marts.indicator_values disable row level security")
    publication.grant_bi_access()
    assert kinds(dsn)["indicator_values"] == "territory"


def test_access_command_creates_a_login_and_lists_it(published, logins, monkeypatch, capsys):
    from orchestration.cli import main as cli_main

    dsn, _ = published
    code = logins["codes"][1]
    login = f"mb_cli_{uuid.uuid4().hex[:8]}"
    monkeypatch.setenv("EDU_DWH_LOGIN_PASSWORD", f"pw-{login}")
    try:
        assert cli_main(["access", "login", login, "--municipality", code]) == 0
        assert (
            f"Вход {login} создан, роль {row_security.role_name(code)}" in capsys.readouterr().out
        )
        assert as_login(
            dsn,
            login,
            "select distinct territory_code from marts.indicator_values"
            " where territory_level = 'municipality'",
        ) == [(code,)]
        assert cli_main(["access"]) == 0
        listed = capsys.readouterr().out
        assert f"{row_security.role_name(code)} | {code} |" in listed and login in listed
        assert cli_main(["access", "login", "Bad-Name", "--ministry"]) == 2
        assert cli_main(["access", "login", login]) == 2  # neither municipality nor ministry
    finally:
        owner(dsn, f"drop role if exists {login}")
