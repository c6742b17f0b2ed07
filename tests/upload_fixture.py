"""Helpers for the hand-worked indicator tests of the non-ГИА sources (ВПР, olympiads, career)
and of the ratings: a fresh database on the session PostgreSQL, raw rows inserted directly
(as the loader would have written them: load_id, source_row first, extra NULL), one dbt
build, and small assertion helpers for marts.indicator_values / marts.territory_ratings.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence

import psycopg2
import psycopg2.extras

from tests.pg import create_database, warehouse_env

VPR_COLUMNS = (
    "year", "ate_code", "school_code", "grade", "class_letter", "student_code",
    "subject_code", "primary_score", "mark", "journal_mark",
)  # fmt: skip

OLYMPIAD_COLUMNS = (
    "school_year", "year", "event", "stage", "subject", "grade", "ate_code", "school_code",
    "person_key", "score", "max_score", "status",
)  # fmt: skip

CAREER_COLUMNS = (
    "school_year", "year", "ate_code", "school_code", "students_6_11", "bvb_participants",
    "bvb_recommendations", "proektoria_participants", "grads_9", "grads_11",
    "grads_9_continued", "vocational_completed", "profile_gia_choice", "spo_profile",
    "vo_profile", "enterprise_events", "model_level",
)  # fmt: skip


def school_year(year: int) -> str:
    """2024 → '2023/2024' (the upload's `Учебный год`; `year` is its second year)."""
    return f"{year - 1}/{year}"


def insert(cur, table: str, columns: Sequence[str], rows: Iterable[Sequence], load_id: int):
    """Insert rows into raw.<table> with the given load_id and source_row 1, 2, …"""
    cols = ", ".join(columns)
    marks = ", ".join(["%s"] * len(columns))
    cur.executemany(
        f"insert into raw.{table} (load_id, source_row, {cols}) values (%s, %s, {marks})",
        [(load_id, i, *r) for i, r in enumerate(rows, start=1)],
    )


def load_reference(cur, municipalities, schools, targets=()) -> None:
    insert(cur, "municipalities", ("ate_code", "name", "type"), municipalities, 1)
    insert(
        cur,
        "schools",
        ("school_code", "ate_code", "name", "locality", "subordination", "is_shnor", "is_shsu"),
        schools,
        2,
    )
    insert(
        cur,
        "targets",
        ("indicator_code", "year", "level", "territory_code", "subject_code", "target_value"),
        targets,
        3,
    )


def build_warehouse(pg_server, tmp_path_factory, prefix: str, load: Callable) -> str:
    """Create a fresh database, create the raw schema, call load(cursor), commit, run the
    dbt build once. Returns the DSN. The environment is restored afterwards."""
    from ingestion import dbt_runner
    from ingestion.db import ensure_schema

    dsn = create_database(pg_server, f"t_{prefix}")
    with warehouse_env(dsn, tmp_path_factory.mktemp(f"{prefix}_state")):
        conn = psycopg2.connect(dsn)
        try:
            ensure_schema(conn)
            conn.commit()
            with conn.cursor() as cur:
                load(cur)
            conn.commit()
        finally:
            conn.close()
        dbt_runner.build(dsn)
    return dsn


def fetch(dsn: str, sql: str) -> list[dict]:
    conn = psycopg2.connect(dsn)
    try:
        with conn.cursor(cursor_factory=psycopg2.extras.RealDictCursor) as cur:
            cur.execute(sql)
            return [dict(r) for r in cur.fetchall()]
    finally:
        conn.close()


# ------------------------------------------------------------------ row look-up

ANY = object()
DIM_NAMES = {
    "exam": "exam",
    "subject": "subject_code",
    "cat": "participant_category",
    "grade": "grade",
    "key": "breakdown_key",
}


def num(x):
    return None if x is None else float(x)


def find(rows, code, terr, year, **dims):
    """Rows of indicator `code` (ANY = any) for territory (level, code) in `year` whose given
    dims equal the given values (None = NULL); dims not given are not filtered."""
    level, tcode = terr
    out = []
    for r in rows:
        if (r["year"], r["territory_level"], r["territory_code"]) != (year, level, tcode):
            continue
        if code is not ANY and r["indicator_code"] != code:
            continue
        if all(r[DIM_NAMES[k]] == v for k, v in dims.items() if v is not ANY):
            out.append(r)
    return out


def one(rows, code, terr, year, **dims):
    found = find(rows, code, terr, year, **dims)
    if len(found) != 1:
        seen = [
            tuple(r[c] for c in ("subject_code", "grade", "breakdown_key"))
            for r in find(rows, code, terr, year)
        ]
        raise AssertionError(
            f"{code} {year} {terr} {dims}: expected one row, got {len(found)}; "
            f"rows of that territory (subject, grade, key): {seen}"
        )
    return found[0]


def share(rows, code, terr, n, d, year, **dims):
    """A share row: numerator n, denominator d, value 100·n/d (6 decimals)."""
    r = one(rows, code, terr, year, **dims)
    got = (num(r["numerator"]), num(r["denominator"]), num(r["value"]))
    ok = got[0] == n and got[1] == d and got[2] is not None
    assert ok and math.isclose(got[2], 100 * n / d, abs_tol=1e-6), (
        f"{code} {year} {terr} {dims}: expected {n}/{d} = {100 * n / d:.6f}, got {got}"
    )
    return r


def count(rows, code, terr, n, year, **dims):
    """A count row: value = numerator = n, denominator NULL."""
    r = one(rows, code, terr, year, **dims)
    got = (num(r["numerator"]), r["denominator"], num(r["value"]))
    assert got == (n, None, n), f"{code} {year} {terr} {dims}: expected count {n}, got {got}"
    return r


def absent(rows, code, terr, year, **dims):
    found = find(rows, code, terr, year, **dims)
    assert not found, f"{code} {year} {terr} {dims}: expected no row, got {found}"
