"""Validate the stage tables ``raw._stage_<load_id>`` of a source → a verdict per file.

Each file is validated as two batches of its (pseudonymised) stage table:

- ``<source>.accepted``: the rows ingestion accepted (``_reject_reason is null``). A failed
  *critical* expectation here rejects the file; failed *warnings* are reported.
- ``<source>.all_rows``: the file as delivered, rejected rows included. Informational only
  (what the quarantine removed is visible to auditors); it never decides anything, and it is
  skipped when ingestion rejected no row (it would repeat the accepted batch).

**One pass per source and run** (``validate_source``; the pipeline's load step calls it with
all the staged files of a source, ``validate_stage`` is the same for one file). GX's cost is
mostly per batch and expectation (building the metric graph, freshness checks of suites and
definitions: ~0.4–0.8 s per small file), not per row, so the files of a source are validated
together: per batch, one query asset over the ``union all`` of their stages (suite
``<source>.<batch>.files``: the same expectations, uniqueness per ``load_id``). The metrics
are SQL on the stage tables (GX's SQL datasource), whatever the file size. Per-file verdicts
and audit rows stay exactly those of a file validated alone:

- an expectation the union passes, every file passes; its per-file result (element count,
  missing values, …) is what GX reports for one file that passes it (``_passed_result``,
  counts in SQL per file);
- a union with a failed expectation (a warning included) is halved until the failure is
  found; the files it is in are validated alone (suite ``<source>.<batch>``), so their counts,
  sampled values and messages are GX's own. ``all_rows`` unions (only files with rejected
  rows, which usually break something) go to the files directly;
- the row count (``expect_table_row_count_to_be_between``, a warning) has a range per file
  (the comparable rows loaded before, including the files of this source committed earlier
  in the run), so it is evaluated per file in ``SourceValidation.finish``, right before the
  file is committed, with GX's rule (inclusive bounds) and GX's result shape;
- a stage whose columns differ from the contract's (or with no row in a batch) is validated
  alone.

GX is used through its public API: one Checkpoint per pass with one ValidationDefinition per
union or file; the suites depend on the contract only, so each is saved to the warehouse's
expectations store once per process. Results go to the warehouse's validation-results store
(Data Docs, ``expectations.docs``: one result per union, one per file validated alone);
every file's expectation results go to ``audit.validation_results``
(``expectations.results``).

Timing (``pipeline.load`` on one generated landing, scale 0.3, 136 files; 2 cores shared
with other jobs, load average ~12 during both runs): GX 210 s before (one Checkpoint per
file) → 59 s: ВПР 38 files 43 → 5.9 s, olympiads 38 files 40 → 5.4 s, career 38 files
69 → 4.6 s, ЕГЭ 12 files 14 → 7.4 s, ОГЭ 7 files of 5–14k rows 34 → 25 s (SQL-bound now);
the first call (GX import and context) ~10 s either way. The load step 228 → 72 s; its CPU
time in the pipeline's process 45 → 6.8 s. Every file's audit rows and load status were
identical.
"""

from __future__ import annotations

import logging
import math
import re
import time
from dataclasses import dataclass, field
from typing import Any

from psycopg2 import sql

from expectations.context import (  # noqa: F401  (public names used by orchestration/tests)
    Warehouse,
    gx_root,
    quiet_gx,
    reset_cache,
    warehouse,
)
from expectations.docs import build_data_docs, data_docs_index  # noqa: F401
from expectations.results import (  # noqa: F401
    ACCEPTED,
    ALL_ROWS,
    DatabaseLost,
    ValidationOutcome,
    audit_row,
    judge,
    raise_if_database_lost,
    write_audit,
)
from ingestion import baseline
from ingestion.db import connect
from sources import SOURCES
from sources.spec import SourceSpec

log = logging.getLogger(__name__)

# BASIC: counts + up to 20 unexpected values; SUMMARY's value counts cost extra queries.
RESULT_FORMAT = {"result_format": "BASIC", "partial_unexpected_count": 20}

_STAGE_NAME = re.compile(r"^(?:([A-Za-z_][A-Za-z0-9_]*)\.)?([A-Za-z_][A-Za-z0-9_]*)$")


def _split_stage_table(stage_table: str) -> tuple[str, str]:
    match = _STAGE_NAME.match(stage_table.strip())
    if not match:
        raise ValueError(f"invalid stage table name {stage_table!r}")
    return match.group(1) or "raw", match.group(2)


# --- database side ------------------------------------------------------------------------------


def previous_rows(conn, spec: SourceSpec, stage: sql.Composable, load_id: int) -> int | None:
    """Comparable rows of the source loaded before (``spec.baseline``); None if there are none.
    From the per-load counts by baseline slice (``ingestion.baseline``; counting a load that
    has none yet is committed here)."""
    with conn.cursor() as cur:
        count = baseline.previous_rows(cur, spec, stage, load_id)
    conn.commit()
    return count


def row_count_parameters(spec: SourceSpec, previous: int | None) -> dict[str, Any]:
    """Expectation parameters of the row-count expectation for a file (no baseline: any count)."""
    if not previous:
        return {"min_rows": 0, "max_rows": None, "previous_rows": None, "baseline_label": ""}
    from expectations.suites import ROW_COUNT_MAX_RATIO, ROW_COUNT_MIN_RATIO

    return {
        "min_rows": math.ceil(previous * ROW_COUNT_MIN_RATIO),
        "max_rows": math.floor(previous * ROW_COUNT_MAX_RATIO),
        "previous_rows": previous,
        "baseline_label": spec.baseline.label,
    }


def _stage_counts(conn, stage: sql.Composable) -> tuple[int, int]:
    with conn.cursor() as cur:
        cur.execute(
            sql.SQL(
                "select count(*) filter (where _reject_reason is null),"
                " count(*) filter (where _reject_reason is not null) from {}"
            ).format(stage)
        )
        accepted, rejected = cur.fetchone()
    return accepted, rejected


# --- validation: one pass per source ------------------------------------------------------------

_ROW_COUNT = "expect_table_row_count_to_be_between"
_COLUMNS_MATCH = "expect_table_columns_to_match_set"
_UNEXPECTED_ROWS = "unexpected_rows_expectation"
_NOT_NULL = "expect_column_values_to_not_be_null"
_UNIQUE = "expect_column_values_to_be_unique"
_COMPOUND_UNIQUE = "expect_compound_columns_to_be_unique"
# Column map expectations whose per-file result a passed pass over several files determines.
_COLUMN_MAP = frozenset(
    {
        _NOT_NULL,
        _UNIQUE,
        "expect_column_values_to_be_in_set",
        "expect_column_values_to_be_between",
        "expect_column_values_to_match_regex",
    }
)
# At most this many files in one union (the batch query names each stage table).
MAX_FILES_PER_PASS = 100


@dataclass
class FileResult:
    """One expectation's result for one file, taken from a passed pass over several files:
    the fields ``results.judge``/``audit_row`` read of GX's ExpectationValidationResult, with
    the values GX gives for that file alone (``_passed_result``)."""

    expectation_config: Any
    success: bool
    result: dict[str, Any]
    exception_info: dict[str, Any] | None = None


@dataclass
class _SuiteName:
    suite_name: str


@dataclass
class _Plan:
    """A source's suite by how it is evaluated. ``full``: every expectation configuration in
    suite order (what the audit rows follow); ``per_file``: per batch, the saved suite GX runs
    on one file (everything but the row count, whose range is per file: ``_row_count_item``);
    ``files``: the same expectations for several files in one batch (a union of their stages),
    uniqueness per ``load_id``; ``positions``: the place in ``full`` of each of those."""

    full: list[Any]
    per_file: dict[str, Any]
    files: dict[str, Any]
    positions: list[int]


def _per_file_variant(exp) -> bool:
    return exp.expectation_type != _ROW_COUNT


def _files_variant(exp):
    """The expectation over a union of several files' stages: uniqueness within each file
    (``load_id`` first); the rest is per row, so unchanged. A pass over the union implies a
    pass for every file (the union variant is never weaker); a failure is narrowed down."""
    import great_expectations.expectations as E

    if exp.expectation_type in (_UNIQUE, _COMPOUND_UNIQUE):
        key = [exp.column] if exp.expectation_type == _UNIQUE else list(exp.column_list)
        return E.ExpectCompoundColumnsToBeUnique(
            column_list=["load_id", *key],
            meta=exp.meta,
            severity=exp.severity,
            description=exp.description,
            catch_exceptions=True,
        )
    return exp


def _plan(wh: Warehouse, source: str, batches: list[str]) -> _Plan:
    import great_expectations as gx

    from expectations.suites import expectations_of

    full = [e.configuration for e in expectations_of(source)]
    positions = [i for i, e in enumerate(expectations_of(source)) if _per_file_variant(e)]
    per_file, files = {}, {}
    for batch in batches:
        for store, name, make in (
            (per_file, f"{source}.{batch}", lambda e: e),
            (files, f"{source}.{batch}.files", _files_variant),
        ):
            suite = wh.saved_suites.get(name)
            if suite is None:
                chosen = [make(e) for e in expectations_of(source) if _per_file_variant(e)]
                suite = gx.ExpectationSuite(name=name, expectations=chosen, meta={"source": source})
                suite = wh.saved_suites[name] = wh.context.suites.add_or_update(suite)
            store[batch] = suite
    return _Plan(full=full, per_file=per_file, files=files, positions=positions)


@dataclass
class _File:
    load_id: int
    schema: str
    table: str
    rows: dict[str, int]  # batch -> rows in it
    queries: dict[str, str]  # batch -> the (docs-safe) batch query
    layout: tuple | None  # ordered (column, type) of the stage; None if it does not exist
    items: dict[str, list] = field(default_factory=dict)  # batch -> results in `full` order
    results: list[Any] = field(default_factory=list)  # GX results of this file alone
    seconds: float = 0.0


def _layouts(conn, tables: list[tuple[str, str]]) -> dict[tuple[str, str], tuple]:
    with conn.cursor() as cur:
        cur.execute(
            "select table_schema, table_name, array_agg(column_name || ':' || data_type"
            " order by ordinal_position) from information_schema.columns"
            " where (table_schema, table_name) in (select * from unnest(%s::text[], %s::text[]))"
            " group by 1, 2",
            ([s for s, _ in tables], [t for _, t in tables]),
        )
        return {(s, t): tuple(cols) for s, t, cols in cur.fetchall()}


class SourceValidation:
    """The Great Expectations verdicts of the staged files of one source in one run.

    ``validate_source`` runs GX once over all of them; ``finish(load_id)``, called file by
    file in the order they are committed, adds the row count (its range depends on the
    comparable rows loaded before, i.e. on the files of this source committed earlier in the
    run), writes the file's rows to ``audit.validation_results`` and returns its verdict."""

    def __init__(self, dsn, source, run_id, files: dict[int, _File], plan, seconds, warning=None):
        self.dsn, self.source, self.run_id = dsn, source, run_id
        self.files, self.plan, self.seconds, self.warning = files, plan, seconds, warning

    def finish(self, load_id: int) -> ValidationOutcome:
        started = time.perf_counter()
        if self.warning is not None:
            return ValidationOutcome(
                success=True, warnings=[self.warning], statistics={"seconds": {"total": 0.0}}
            )
        file, spec, plan = self.files[load_id], SOURCES[self.source], self.plan
        conn = connect(self.dsn)
        try:
            stage = sql.Identifier(file.schema, file.table)
            baseline = previous_rows(conn, spec, stage, load_id) if file.layout else None
        finally:
            conn.close()
        parameters = row_count_parameters(spec, baseline)
        # accepted rows first, as one file's Checkpoint lists them
        file.items = {b: file.items[b] for b in (ACCEPTED, ALL_ROWS) if b in file.items}
        for batch, items in file.items.items():
            for i, cfg in enumerate(plan.full):
                if items[i] is None:  # the row count of this file (observed = its rows)
                    items[i] = _row_count_item(cfg, file.rows[batch], parameters)
        outcome = judge(file.items[ACCEPTED], parameters)
        write_audit(
            self.dsn,
            [
                audit_row(
                    self.run_id,
                    load_id,
                    self.source,
                    _SuiteName(f"{self.source}.{batch}"),
                    item,
                    batch,
                    parameters,
                )
                for batch, items in file.items.items()
                for item in items
            ],
        )
        finished = time.perf_counter()
        outcome.statistics = {
            "rows_accepted": file.rows[ACCEPTED],
            "rows_rejected": file.rows.get("rejected", 0),
            "previous_rows": baseline,
            "expectations": {batch: _statistics(items) for batch, items in file.items.items()},
            "critical_failed": len(outcome.failures),
            "warnings": len(outcome.warnings),
            "seconds": {
                "source_pass": round(self.seconds, 3),
                "finish": round(finished - started, 3),
            },
        }
        log.info(
            "GX %s load %s: %s, %d critical, %d warnings",
            self.source,
            load_id,
            "ok" if outcome.success else "FAILED",
            len(outcome.failures),
            len(outcome.warnings),
        )
        return outcome


def _statistics(items: list) -> dict[str, Any]:
    good = sum(1 for item in items if item.success)
    return {
        "evaluated_expectations": len(items),
        "successful_expectations": good,
        "unsuccessful_expectations": len(items) - good,
        "success_percent": good / len(items) * 100 if items else None,
    }


@dataclass
class _ResolvedConfig:
    """An expectation configuration with its expectation parameters filled in, as GX puts it
    in a result (a parameter that resolved to None is left out)."""

    type: str
    kwargs: dict[str, Any]
    meta: dict[str, Any]
    id: str | None = None

    def to_json_dict(self) -> dict[str, Any]:
        return {"type": self.type, "kwargs": dict(self.kwargs), "meta": self.meta}


def _row_count_item(cfg, rows: int, parameters: dict[str, Any]) -> FileResult:
    """``expect_table_row_count_to_be_between`` on one file, as GX evaluates it (bounds
    inclusive, a missing bound open): a count needs no pass of its own."""
    kwargs = {}
    for key, value in cfg.kwargs.items():
        if isinstance(value, dict) and "$PARAMETER" in value:
            value = parameters.get(value["$PARAMETER"])
            if value is None:
                continue
        kwargs[key] = value
    low, high = kwargs.get("min_value"), kwargs.get("max_value")
    success = (low is None or rows >= low) and (high is None or rows <= high)
    resolved = _ResolvedConfig(cfg.type, kwargs, dict(cfg.meta or {}), cfg.id)
    return FileResult(resolved, success, {"observed_value": rows})


def _passed_result(cfg, union_item, counts: dict[str, int]) -> dict[str, Any] | None:
    """What GX reports for one file on an expectation the union of its files passed (BASIC
    result format); None when that cannot be told without running it on the file alone."""
    kind = cfg.type
    if kind == _COLUMNS_MATCH:  # every file of the union has the union's columns
        return dict(union_item.result or {})
    if kind == _UNEXPECTED_ROWS:
        return {"observed_value": 0}
    if kind not in _COLUMN_MAP and kind != _COMPOUND_UNIQUE:
        return None
    n = counts["rows"]
    out: dict[str, Any] = {"element_count": n, "unexpected_count": 0}
    if kind == _NOT_NULL:  # GX counts no "missing" values for it
        out["unexpected_percent"] = 0.0 if n else None
        out["partial_unexpected_list"] = []
        return out
    if kind == _COMPOUND_UNIQUE:
        nonnull = counts["key:" + ",".join(cfg.kwargs["column_list"])]
    else:
        nonnull = counts["col:" + cfg.kwargs["column"]]
    missing = n - nonnull
    out["unexpected_percent"] = 0.0 if n and nonnull else None
    out["partial_unexpected_list"] = []
    out["missing_count"] = missing
    out["missing_percent"] = missing / n * 100 if n else None
    out["unexpected_percent_total"] = 0.0 if n else None
    out["unexpected_percent_nonmissing"] = out["unexpected_percent"]
    return out


def _count_expressions(suite) -> dict[str, sql.Composable]:
    """The per-file counts ``_passed_result`` needs for the expectations of ``suite``."""
    exprs: dict[str, sql.Composable] = {"rows": sql.SQL("count(*)")}
    for exp in suite.expectations:
        kwargs = exp.configuration.kwargs
        if exp.expectation_type == _COMPOUND_UNIQUE:
            cols = list(kwargs["column_list"])
            exprs["key:" + ",".join(cols)] = sql.SQL("count(*) filter (where not ({}))").format(
                sql.SQL(" and ").join(sql.SQL("{} is null").format(sql.Identifier(c)) for c in cols)
            )
        elif exp.expectation_type in _COLUMN_MAP and "column" in kwargs:
            exprs["col:" + kwargs["column"]] = sql.SQL("count({})").format(
                sql.Identifier(kwargs["column"])
            )
    return exprs


def _file_counts(conn, suite, files: list[_File], batch: str) -> dict[int, dict[str, int]]:
    exprs = _count_expressions(suite)
    where = sql.SQL(" where _reject_reason is null" if batch == ACCEPTED else "")
    parts = [
        sql.SQL("select {}, {} from {}{}").format(
            sql.Literal(f.load_id),
            sql.SQL(", ").join(exprs.values()),
            sql.Identifier(f.schema, f.table),
            where,
        )
        for f in files
    ]
    with conn.cursor() as cur:
        cur.execute(sql.SQL(" union all ").join(parts))
        found = cur.fetchall()
    conn.rollback()
    return {row[0]: dict(zip(exprs, row[1:], strict=True)) for row in found}


def validate_source(
    dsn: str,
    source: str,
    stages: list[tuple[int, str]],
    run_id: int | None,
    *,
    validate_all_rows: bool = True,
) -> SourceValidation:
    """Validate the stage tables ``stages`` ((load_id, ``raw._stage_<load_id>``), in commit
    order) of landing source ``source`` together; ``finish(load_id)`` gives each file's verdict.

    Each file gets the same per-file results, verdict and messages as if it were validated
    alone (``<source>.accepted`` on its accepted rows; ``<source>.all_rows`` when
    ``validate_all_rows`` and ingestion rejected some row), but GX runs once per batch over
    the union of the files' stages (suite ``<source>.<batch>.files``): its cost grows with
    the rows, not with the files. Files whose union passes an expectation get the result
    GX gives one file that passes it (counts from SQL). Where the union fails, the failure is
    narrowed down by halving the group (accepted rows), and the files it is found in are
    validated alone, so their failures, counts and sampled values are exactly GX's. A stage
    whose columns differ from the others (or that has no row in a batch) is validated alone.
    """
    from expectations.docs import angled_columns, docs_safe_query

    started = time.perf_counter()
    if source not in SOURCES or not _has_suite(source):
        log.warning("no GX suite for source %s", source)
        return SourceValidation(
            dsn,
            source,
            run_id,
            {},
            None,
            0.0,
            warning=f"Для источника «{source}» нет набора проверок Great Expectations",
        )
    tables = {load_id: _split_stage_table(stage) for load_id, stage in stages}
    files: dict[int, _File] = {}
    conn = connect(dsn)
    try:
        layouts = _layouts(conn, list(tables.values()))
        for load_id, (schema, table) in tables.items():
            layout = layouts.get((schema, table))
            stage = sql.Identifier(schema, table)
            rows: dict[str, int] = {}
            angled = angled_columns(conn, schema, table)
            queries = {
                ACCEPTED: docs_safe_query(conn, schema, table, "_reject_reason is null", angled)
            }
            if layout is not None:
                accepted, rejected = _stage_counts(conn, stage)
                rows = {ACCEPTED: accepted, ALL_ROWS: accepted + rejected, "rejected": rejected}
                if validate_all_rows and rejected:
                    queries[ALL_ROWS] = docs_safe_query(conn, schema, table, angled=angled)
            else:
                rows = {ACCEPTED: 0, ALL_ROWS: 0, "rejected": 0}
            files[load_id] = _File(load_id, schema, table, rows, queries, layout)
        conn.rollback()
        batches = [ACCEPTED, ALL_ROWS] if validate_all_rows else [ACCEPTED]
        wh = warehouse(dsn)
        with wh.lock, quiet_gx():
            plan = _plan(wh, source, batches)
            _validate_all(conn, wh, plan, source, run_id, files)
    finally:
        conn.close()
    seconds = time.perf_counter() - started
    log.info("GX %s: %d files in %.2fs", source, len(files), seconds)
    return SourceValidation(dsn, source, run_id, files, plan, seconds)


def _has_suite(source: str) -> bool:
    from expectations.suites import SPECIFIC

    return source in SPECIFIC


def _validate_all(conn, wh, plan: _Plan, source: str, run_id, files: dict[int, _File]) -> None:
    """Fill ``items`` of every file and batch: passes over groups of files, halving the
    groups that fail, files alone where a failure is."""
    from expectations.suites import stage_columns

    expected = set(stage_columns(SOURCES[source].raw_table))
    # work: (batch, files) groups still to validate; a group of one is validated alone
    work: list[tuple[str, list[_File]]] = []
    for batch in plan.per_file:
        members = [f for f in files.values() if batch in f.queries]
        groups: dict[tuple, list[_File]] = {}
        for f in members:
            names = {c.split(":", 1)[0] for c in f.layout or ()}
            if f.layout is None or names != expected or not f.rows[batch]:
                work.append((batch, [f]))
            else:
                groups.setdefault(f.layout, []).append(f)
        for group in groups.values():  # a bounded union (its SQL text grows with the files)
            for first in range(0, len(group), MAX_FILES_PER_PASS):
                work.append((batch, group[first : first + MAX_FILES_PER_PASS]))
    round_no = 0
    while work:
        round_no += 1
        specs: dict[str, tuple[Any, str]] = {}
        keyed: dict[str, tuple[str, list[_File]]] = {}
        for batch, group in work:
            if len(group) == 1:
                f = group[0]
                name = f"{_prefix(run_id, source, f.load_id)}_{batch}"
                specs[name] = (plan.per_file[batch], f.queries[batch])
            else:
                ids = [f.load_id for f in group]
                name = (
                    f"run_{run_id if run_id is not None else 'none'}_{source}_files"
                    f"_{ids[0]}_{ids[-1]}_n{len(ids)}_{batch}"
                )
                specs[name] = (
                    plan.files[batch],
                    " union all ".join(f.queries[batch] for f in group),
                )
            keyed[name] = (batch, group)
        checkpoint = f"run_{run_id if run_id is not None else 'none'}_{source}_pass_{round_no}"
        t0 = time.perf_counter()
        results = _run_checkpoint(wh, checkpoint, specs)
        log.info(
            "GX %s pass %d: %s in %.2fs",
            source,
            round_no,
            ", ".join(f"{b} × {len(g)}" for b, g in keyed.values()),
            time.perf_counter() - t0,
        )
        raise_if_database_lost(res for res, _ in results.values())
        work = []
        for name, (res, items) in results.items():
            batch, group = keyed[name]
            if len(group) == 1:
                group[0].items[batch] = _in_full_order(plan, items)
                group[0].results.append(res)
                continue
            # every item, warnings included (a suite result's success may ignore them)
            passed = all(item.success for item in items) and len(items) == len(
                plan.per_file[batch].expectations
            )
            if passed and _fill_passed(conn, plan, batch, group, items):
                continue
            if batch == ACCEPTED and len(group) > 3:
                half = len(group) // 2
                work += [(batch, group[:half]), (batch, group[half:])]
            else:  # rejected rows usually break some expectation: straight to the files
                work += [(batch, [f]) for f in group]
    for f in files.values():
        missing = [batch for batch in plan.per_file if batch in f.queries and batch not in f.items]
        if missing:
            raise RuntimeError(f"GX returned no result for load {f.load_id} ({missing})")


def _prefix(run_id, source: str, load_id: int) -> str:
    return f"run_{run_id if run_id is not None else 'none'}_load_{load_id}_{source}"


def _in_full_order(plan: _Plan, items: list) -> list:
    """Results of the per-file suite (its order) placed in ``plan.full`` order; the row count
    stays None until ``finish``."""
    out: list[Any] = [None] * len(plan.full)
    for position, item in zip(plan.positions, items, strict=True):
        out[position] = item
    return out


def _fill_passed(conn, plan: _Plan, batch: str, group: list[_File], union_items) -> bool:
    """Per-file results of a union every expectation of which passed; False if one of them
    cannot be derived (then the files are validated alone)."""
    suite = plan.per_file[batch]
    counts = _file_counts(conn, suite, group, batch)
    configs = [e.configuration for e in suite.expectations]
    derived: dict[int, list] = {}
    for f in group:
        items = []
        for cfg, union_item in zip(configs, union_items, strict=True):
            result = _passed_result(cfg, union_item, counts[f.load_id])
            if result is None:
                return False
            items.append(FileResult(cfg, True, result))
        derived[f.load_id] = items
    for f in group:
        f.items[batch] = _in_full_order(plan, derived[f.load_id])
    return True


def _run_checkpoint(
    wh: Warehouse, checkpoint_name: str, specs: dict[str, tuple[Any, str]]
) -> dict[str, tuple[Any, list]]:
    """Run one Checkpoint with one ValidationDefinition per ``specs`` entry (name → (saved
    suite, batch query)); name → (result, its expectation results in suite order). The
    assets, validation definitions and checkpoint exist only for the run; the results stay in
    the store (pending for Data Docs)."""
    import great_expectations as gx

    context, datasource = wh.context, wh.datasource
    assets: list[str] = []
    definitions: list[Any] = []
    by_asset: dict[str, str] = {}
    checkpoint = None
    try:
        for name, (suite, query) in specs.items():
            if name in datasource.get_asset_names():
                datasource.delete_asset(name)
            asset = datasource.add_query_asset(name, query=query)
            assets.append(name)
            by_asset[name] = name
            definitions.append(
                context.validation_definitions.add(
                    gx.ValidationDefinition(
                        name=name,
                        data=asset.add_batch_definition_whole_table("whole"),
                        suite=suite,
                    )
                )
            )
        checkpoint = context.checkpoints.add(
            gx.Checkpoint(
                name=checkpoint_name,
                validation_definitions=definitions,
                actions=[],
                result_format=RESULT_FORMAT,
            )
        )
        run = checkpoint.run()
    finally:
        if checkpoint is not None:
            context.checkpoints.delete(name=checkpoint_name)
        for definition in definitions:
            context.validation_definitions.delete(name=definition.name)
        for name in assets:
            datasource.delete_asset(name)

    out: dict[str, tuple[Any, list]] = {}
    for key, res in run.run_results.items():
        name = res.meta["active_batch_definition"]["data_asset_name"]
        suite = specs[name][0]
        order = {e.id: i for i, e in enumerate(suite.expectations)}
        items = sorted(res.results, key=lambda r: order.get(r.expectation_config.id, len(order)))
        out[name] = (res, items)
        wh.pending_docs.append(key)
        if key.expectation_suite_identifier not in wh.pending_docs:
            wh.pending_docs.append(key.expectation_suite_identifier)
    return out


def validate_stage(
    dsn: str,
    source: str,
    stage_table: str,
    load_id: int,
    run_id: int | None,
    *,
    validate_all_rows: bool = True,
) -> ValidationOutcome:
    """Validate one stage table ``stage_table`` (``raw._stage_<load_id>``) of landing source
    ``source``: ``validate_source`` for one file, finished at once.

    ``success`` is False iff a critical expectation failed on the accepted rows
    (``_reject_reason is null``). With ``validate_all_rows`` and at least one rejected row,
    the whole stage is validated too, for the record only (suite ``<source>.all_rows``).
    Results are written to ``audit.validation_results`` and the warehouse's GX store; call
    ``build_data_docs()`` once at the end of the run. A source without a suite gives a
    successful outcome with a warning (never blocks, never goes unnoticed).
    """
    validation = validate_source(
        dsn, source, [(load_id, stage_table)], run_id, validate_all_rows=validate_all_rows
    )
    return validation.finish(load_id)
