"""The vocabulary a source declaration is written in: column kinds, columns, references.

A `SourceSpec` says everything about one landing source (sources.md): where its files
arrive, its header and the type, obligation, allowed values and range of each column, its
natural key, which registry its codes must be in, the row rules beyond single columns,
what its files cover (scope), its row-count baseline and its DAG group. Everything else is
derived from it: the raw table's DDL (`sources.raw_tables`), the stage checks, the
de-duplication, the DAG's task groups and the generic expectations.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

# kinds of column values
TEXT = "text"
INT = "int"
NUMBER = "number"
DATE = "date"
FLAG = "flag"  # 1/0
PERSONAL = "personal"  # dropped / pseudonymised into person_key, never stored
SCHOOL_YEAR = "school_year"  # '2023/2024' → stored as text, year = 2024
TASKS = "tasks"  # ВПР per-task columns З1, З2, … (any number) → jsonb task_scores

# the SQL type each kind is stored as (a column may narrow it with `sql_type`)
SQL_TYPES = {
    TEXT: "text",
    INT: "integer",
    NUMBER: "numeric",
    DATE: "date",
    FLAG: "boolean",
    TASKS: "jsonb",
}

# Years a file may carry: a year after next is a typing error.
MIN_YEAR = 2000
MAX_YEAR = dt.date.today().year + 1

# DAG task groups (dags/edu_dwh_pipeline.py): reference data is loaded first, because the
# registry checks of every other group read it; `regional` = the region's own diagnostic works.
GROUPS = ("reference", "gia", "oko", "uploads", "regional")

# A row rule gets the row's parsed values (column name → series of typed values) and a
# `reject(mask, reason)` callback; every row where `mask` is true is quarantined with the
# (Russian) reason. Rules see only columns of their own source.
RowRule = Callable[[dict[str, Any], Callable[[Any, str], None]], None]


@dataclass(frozen=True)
class Column:
    header: str  # Russian header as in the file
    name: str  # column in the raw table ('' for personal columns)
    kind: str
    required: bool = False  # value must be present (for every row)
    allowed: tuple = ()  # allowed values (text) or () for any
    lo: float | None = None
    hi: float | None = None
    sql_type: str | None = None  # narrower storage type than the kind's default

    @property
    def stored_as(self) -> tuple[tuple[str, str], ...]:
        """(raw column, SQL type) pairs this file column becomes."""
        if self.kind == PERSONAL:
            return (("person_key", "text"),)
        if self.kind == SCHOOL_YEAR:
            return ((self.name, "text"), ("year", "integer"))
        return ((self.name, self.sql_type or SQL_TYPES[self.kind]),)


@dataclass(frozen=True)
class Constant:
    """A raw column with one value for every row of the source (ЕГЭ and ОГЭ share a table)."""

    name: str
    sql_type: str
    value: Any


@dataclass(frozen=True)
class Reference:
    """`column` must hold a code present in the registry source's natural key."""

    column: str
    registry: str  # name of the registry source (municipalities, schools)


@dataclass(frozen=True)
class SqlCheck:
    """A row check that needs the database (e.g. a dbt seed). `where` selects rejected rows
    of the stage table (alias `s`), `reason_sql` is the SQL text of the Russian reason; the
    check is skipped while `needs` (a relation) does not exist yet."""

    where: str
    reason_sql: str
    needs: str = ""


@dataclass(frozen=True)
class Baseline:
    """Which previously loaded rows a file's row count is compared with (a warning).

    With `year_column`: rows of the previous year in the same slice (the distinct values of
    `slice` among the file's accepted rows); without: the rows of the current version."""

    year_column: str | None = None
    slice: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return "тот же срез прошлого года" if self.year_column else "текущая версия"


@dataclass(frozen=True)
class SourceSpec:
    name: str  # ege, oge, municipalities, ...
    group: str  # DAG task group, one of GROUPS
    folder: str  # relative to the landing root
    patterns: tuple[str, ...]  # file name patterns in the folder
    raw_table: str
    columns: tuple[Column, ...]
    title_ru: str
    constants: tuple[Constant, ...] = ()
    # The row's natural key (sources.md, "Several files, re-deliveries and corrections"):
    # a second row with this key in one file is a repeat (quarantined); a row whose key was
    # already loaded from another file is a correction of that row (the later delivery wins).
    natural_key: tuple[str, ...] = ()
    # Among repeats of a key within one file the first row in this order is kept (SQL over
    # the stage table, alias `s`); by default the first row of the file.
    repeat_order: str = "s.source_row"
    sheet: str | None = None  # XLSX uploads: the template's sheet name
    references: tuple[Reference, ...] = ()
    # for a registry source: how a missing code is named in a message
    registry_label: tuple[str, str] | None = None  # (column header, «в справочнике …»)
    row_rules: tuple[RowRule, ...] = ()
    sql_checks: tuple[SqlCheck, ...] = ()
    # what a file covers, recorded in audit.loads.scope for operators; decides nothing
    scope: tuple[str, ...] = ()
    # the values that let a school find a rejected row in its file (feedback reports);
    # by default every stored column
    feedback_columns: tuple[str, ...] = ()
    baseline: Baseline = field(default_factory=Baseline)

    def __post_init__(self) -> None:
        if self.group not in GROUPS:
            raise ValueError(f"{self.name}: unknown group {self.group!r}")
        names = {n for n, _ in self.raw_columns}
        for key in (
            *self.natural_key,
            *self.scope,
            *self.feedback_columns,
            *(r.column for r in self.references),
        ):
            if key not in names:
                raise ValueError(f"{self.name}: {key!r} is not a raw column")

    @property
    def headers(self) -> tuple[str, ...]:
        return tuple(c.header for c in self.columns)

    @property
    def stored(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if c.kind != PERSONAL)

    @property
    def column_by_name(self) -> dict[str, Column]:
        return {c.name: c for c in self.columns if c.name}

    @property
    def constant_values(self) -> dict[str, Any]:
        return {c.name: c.value for c in self.constants}

    @property
    def raw_columns(self) -> tuple[tuple[str, str], ...]:
        """(column, SQL type) of this source's typed raw columns, in table order."""
        out: dict[str, str] = {c.name: c.sql_type for c in self.constants}
        for col in self.columns:
            for name, sql_type in col.stored_as:
                out.setdefault(name, sql_type)
        return tuple(out.items())
