"""The source contract (../shared/spec/sources.md) as data: one module per source.

    sources/spec.py            the vocabulary: kinds, Column, Reference, SqlCheck, SourceSpec
    sources/municipalities.py  reference/municipalities.csv
    sources/schools.py         reference/schools.csv
    sources/targets.py         reference/targets.csv
    sources/gia.py             fis_gia/ege/*.csv and fis_gia/oge/*.csv (one format, two levels)
    sources/vpr.py             fis_oko/vpr/*.csv|xlsx
    sources/olympiad.py        uploads/olympiad/*.xlsx
    sources/career.py          uploads/career/*.xlsx
    sources/diagnostic.py      regional/diagnostic/*.csv (regional diagnostic works, ДР)
    sources/subjects.py        subject codes

Everything that reads, checks, stores or validates a file takes its rules from here. What
is derived here: the raw tables (`raw_tables`, `raw_columns`, `raw_ddl`) and the DAG's
groups (`GROUP_SOURCES`).
"""

from __future__ import annotations

from functools import cache

from sources import career, diagnostic, gia, municipalities, olympiad, schools, targets, vpr
from sources.spec import (  # noqa: F401  (the vocabulary, re-exported)
    DATE,
    FLAG,
    GROUPS,
    INT,
    MAX_YEAR,
    MIN_YEAR,
    NUMBER,
    PERSONAL,
    SCHOOL_YEAR,
    TASKS,
    TEXT,
    Column,
    SourceSpec,
)

# Order matters: reference data first (the registry checks of the others read it).
SOURCES: dict[str, SourceSpec] = {
    spec.name: spec
    for spec in (
        municipalities.SPEC,
        schools.SPEC,
        targets.SPEC,
        gia.EGE,
        gia.OGE,
        vpr.SPEC,
        olympiad.SPEC,
        career.SPEC,
        diagnostic.SPEC,
    )
}
SOURCE_ORDER: tuple[str, ...] = tuple(SOURCES)

# The DAG's task groups, in load order.
GROUP_SOURCES: dict[str, tuple[str, ...]] = {
    group: tuple(name for name, spec in SOURCES.items() if spec.group == group) for group in GROUPS
}

# Columns every raw table has besides the typed ones: `load_id` (→ audit.loads) and
# `source_row` first, `extra` after them, then the row's natural key `nk` (md5 of the key's
# values) and `replaced_by` (the load whose row with the same key displaced it; NULL =
# current, staging reads current rows only).
LEAD_COLUMNS = (("load_id", "bigint not null"), ("source_row", "integer not null"))
TRAIL_COLUMNS = (("extra", "jsonb"),)
KEY_COLUMNS = ("nk", "replaced_by")


@cache  # the contract is fixed for the process; read per chunk and per SQL statement
def raw_tables() -> dict[str, tuple[tuple[str, str], ...]]:
    """Bare raw table name → its typed (column, SQL type) pairs: the union of the columns of
    every source stored in it, in source order (ЕГЭ and ОГЭ share raw.gia_results).
    Do not mutate the result (it is shared)."""
    tables: dict[str, dict[str, str]] = {}
    for spec in SOURCES.values():
        columns = tables.setdefault(spec.raw_table.split(".", 1)[1], {})
        for name, sql_type in spec.raw_columns:
            columns.setdefault(name, sql_type)
    return {table: tuple(columns.items()) for table, columns in tables.items()}


def raw_columns(table: str) -> list[str]:
    """Columns of a raw table, in order: load_id, source_row, its typed columns, extra.

    `table` may be schema-qualified (`raw.gia_results`) or bare (`gia_results`)."""
    typed = raw_tables()[table.split(".", 1)[-1]]
    return [n for n, _ in LEAD_COLUMNS] + [n for n, _ in typed] + [n for n, _ in TRAIL_COLUMNS]


def raw_ddl() -> str:
    """Create (or upgrade) every raw table."""
    parts = []
    for table, typed in raw_tables().items():
        columns = ", ".join(f"{n} {t}" for n, t in (*LEAD_COLUMNS, *typed, *TRAIL_COLUMNS))
        parts.append(
            f"create table if not exists raw.{table} ({columns});"
            f"alter table raw.{table} add column if not exists nk text;"
            f"alter table raw.{table} add column if not exists replaced_by bigint;"
            f"create index if not exists {table}_load_idx on raw.{table} (load_id);"
            f"create index if not exists {table}_nk_idx on raw.{table} (nk);"
            f"create index if not exists {table}_nk_missing_idx on raw.{table} (load_id)"
            f" where nk is null;"
        )
    return "\n".join(parts)
