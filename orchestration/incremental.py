"""Which dbt build a run needs: a full one, or only the years whose raw rows changed since
the last published build (issue 8 #4). The dbt side is dbt_project/macros/incremental_years.sql:
incremental models delete and re-insert the years of var `changed_years` (extended forward
by the years a model reads back, e.g. ratings' prev_place); everything else is built whole.

The years come from the audit trail written after the last published build (watermarks kept
in audit.dbt_builds): loads committed since (their `scope` years: what the accepted rows
cover), loads replaced by a new version since (the old version's years), row corrections
since (old and new row's year). Whenever that is not certain, the build is full, and says
why: no published build yet, the dbt project changed (models, macros, seeds — its
fingerprint differs), a registry/reference source changed (municipalities, schools,
targets), raw rows of a load the audit does not know, a file was withdrawn or delivered
again, a source without a year, a load without a scope, or `--full-refresh`.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

from ingestion.config import DBT_PROJECT_DIR
from sources import SOURCES

# what the fingerprint leaves out: dbt's own output, lint stand-ins
_NOT_PROJECT = {"target", "logs", "dbt_packages", "sqlfluff_libs", "__pycache__"}
# schemas an incremental build copies its tables from (publication.BUILT_SCHEMAS)
_PUBLISHED = ("intermediate", "marts")


@dataclass
class BuildPlan:
    full: bool
    reason: str
    fingerprint: str
    watermarks: tuple[int, int, int]  # max load_id, load event id, row replacement id
    years: list[int] = field(default_factory=list)

    @property
    def unchanged(self) -> bool:
        """No year to rebuild and no reason for a full build: nothing changed since the
        published build (no dbt run needed)."""
        return not self.full and not self.years

    def dbt_args(self) -> list[str]:
        if self.full:
            return ["--full-refresh"]
        # unit tests check the models' SQL against fixed inputs: the SQL is the one the last
        # full build tested (same fingerprint), so they are not run again
        return [
            "--vars",
            json.dumps({"changed_years": self.years}),
            "--exclude-resource-type",
            "unit_test",
        ]

    def describe(self) -> str:
        if self.full:
            return f"Сборка dbt: полная — {self.reason}"
        if not self.years:
            return (
                "Сборка dbt не нужна — новых данных с последней публикации нет:"
                " опубликованные витрины остаются прежними"
            )
        years = ", ".join(map(str, self.years))
        return f"Сборка dbt: инкрементная — пересобираются годы {years} ({self.reason})"


def project_fingerprint() -> str:
    """sha256 of every file of the dbt project (models, macros, seeds, tests, settings)."""
    digest = hashlib.sha256()
    for path in sorted(DBT_PROJECT_DIR.rglob("*")):
        rel = path.relative_to(DBT_PROJECT_DIR)
        if not path.is_file() or _NOT_PROJECT & set(rel.parts):
            continue
        digest.update(str(rel).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def _watermarks(cur) -> tuple[int, int, int]:
    cur.execute(
        "select (select coalesce(max(load_id), 0) from audit.loads),"
        " (select coalesce(max(event_id), 0) from audit.load_events),"
        " (select coalesce(max(id), 0) from audit.row_replacements)"
    )
    return tuple(int(v) for v in cur.fetchone())


class _Full(Exception):
    """The changed years are not known for sure: build everything (the reason)."""


def _require_yearly(source: str) -> None:
    spec = SOURCES.get(source)
    if spec is None or spec.group == "reference":
        raise _Full(f"изменились данные справочника или неизвестного источника «{source}»")
    if "year" not in spec.scope or "year" not in spec.natural_key:
        raise _Full(f"у источника «{source}» нет года в ключе строк")


def _years_of_load(load_id: int, source: str, scope) -> set[int]:
    _require_yearly(source)
    if not isinstance(scope, dict) or "year" not in scope:
        raise _Full(f"неизвестно, какие годы содержит файл №{load_id}")
    return {int(y) for y in scope["year"]}


def _changed_years(cur, load_wm: int, event_wm: int, replacement_wm: int) -> set[int]:
    years: set[int] = set()
    cur.execute(
        "select e.event, e.load_id, l.source, l.scope from audit.load_events e"
        " join audit.loads l using (load_id)"
        " where e.event_id > %s and e.event <> 'same_content' order by e.event_id",
        (event_wm,),
    )
    for event, load_id, source, scope in cur.fetchall():
        if event != "new_version":
            raise _Full(f"файл №{load_id} отозван или возвращён после отзыва")
        years |= _years_of_load(load_id, source, scope)  # the replaced version's rows
    cur.execute(
        "select load_id, source, scope from audit.loads where load_id > %s"
        " and status in ('loaded', 'superseded', 'withdrawn') order by load_id",
        (load_wm,),
    )
    for load_id, source, scope in cur.fetchall():
        years |= _years_of_load(load_id, source, scope)
    cur.execute(
        "select source, old_values ->> 'year', new_values ->> 'year'"
        " from audit.row_replacements where id > %s",
        (replacement_wm,),
    )
    for source, old_year, new_year in cur.fetchall():
        _require_yearly(source)
        for year in (old_year, new_year):
            if year is not None:
                years.add(int(year))
        if old_year is None:
            raise _Full(f"неизвестен год исправленной строки источника «{source}»")
    return years


def plan(cur, full_refresh: bool = False) -> BuildPlan:
    """The build this run needs (see the module's docstring)."""
    fingerprint = project_fingerprint()
    marks = _watermarks(cur)

    def full(reason: str) -> BuildPlan:
        return BuildPlan(True, reason, fingerprint, marks)

    if full_refresh:
        return full("полная пересборка по запросу (--full-refresh)")
    cur.execute(
        "select fingerprint, load_watermark, event_watermark, replacement_watermark"
        " from audit.dbt_builds where published order by run_id desc limit 1"
    )
    last = cur.fetchone()
    if last is None:
        return full("опубликованной сборки, от которой считать изменения, ещё нет")
    if last[0] != fingerprint:
        return full("модели, макросы или справочники dbt изменились с последней сборки")
    cur.execute("select count(*) from pg_namespace where nspname = any(%s)", (list(_PUBLISHED),))
    if cur.fetchone()[0] != len(_PUBLISHED):
        return full("опубликованных витрин нет")
    for table in sorted({spec.raw_table for spec in SOURCES.values()}):
        cur.execute(f"select max(load_id) from {table}")  # index on load_id: instant
        newest = cur.fetchone()[0]
        if newest is not None and newest > marks[0]:
            return full(f"в {table} есть строки, не записанные в журнал загрузок")
    try:
        years = _changed_years(cur, *last[1:])
    except _Full as why:
        return full(str(why))
    reason = "изменены загрузками после последней публикации"
    return BuildPlan(False, reason, fingerprint, marks, sorted(years))


def record(cur, run_id: int, build: BuildPlan) -> None:
    """Keep the plan of this run's build (published by publication.swap → mark_published)."""
    cur.execute(
        "insert into audit.dbt_builds (run_id, full_build, changed_years, reason, fingerprint,"
        " load_watermark, event_watermark, replacement_watermark)"
        " values (%s, %s, %s, %s, %s, %s, %s, %s)"
        " on conflict (run_id) do update set full_build = excluded.full_build,"
        " changed_years = excluded.changed_years, reason = excluded.reason,"
        " fingerprint = excluded.fingerprint, load_watermark = excluded.load_watermark,"
        " event_watermark = excluded.event_watermark,"
        " replacement_watermark = excluded.replacement_watermark, built_at = now(),"
        " published = false",
        (
            run_id,
            build.full,
            None if build.full else build.years,
            build.reason,
            build.fingerprint,
            *build.watermarks,
        ),
    )


def built_nothing(cur, run_id: int) -> bool:
    """Whether the plan of `run_id`'s build was to build nothing (BuildPlan.unchanged)."""
    cur.execute(
        "select not full_build and cardinality(changed_years) = 0"
        " from audit.dbt_builds where run_id = %s",
        (run_id,),
    )
    row = cur.fetchone()
    return bool(row and row[0])


def mark_published(cur, run_id: int) -> None:
    cur.execute("update audit.dbt_builds set published = true where run_id = %s", (run_id,))
