"""Run the Great Expectations suite of a source against a stage table ``raw._stage_<load_id>``.

``validate_stage`` validates two batches of the (pseudonymised) stage table:

- ``<source>.accepted``: the rows ingestion accepted (``_reject_reason is null``). A failed
  *critical* expectation here rejects the file; failed *warnings* are reported.
- ``<source>.all_rows``: the file as delivered, rejected rows included. Informational only
  (what the quarantine removed is visible to auditors); it never decides anything, and it is
  skipped when ingestion rejected no row (it would repeat the accepted batch).

Every expectation result goes to ``audit.validation_results`` and to the GX validation-results
store under ``<state>/gx``; ``build_data_docs()`` renders the auditors' Data Docs site into
``ingestion.config.data_docs_dir()``.

The GX context (ephemeral, with filesystem stores) and its Postgres datasource are created
once per process and DSN and reused: creating them costs far more than validating a file.
Great Expectations itself is imported lazily, so importing this module is cheap.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from psycopg2 import sql
from psycopg2.extras import Json, execute_values

from ingestion import config
from ingestion.db import connect, sqlalchemy_url

if TYPE_CHECKING:
    from great_expectations.core import ExpectationSuiteValidationResult
    from great_expectations.data_context import AbstractDataContext

    from expectations.suites import Registry, SourceSpec

log = logging.getLogger(__name__)
# GX logs every caught expectation error with its traceback (hundreds when the database
# goes away mid-run); errors reach the audit table and _raise_if_database_lost instead.
logging.getLogger("great_expectations").setLevel(logging.CRITICAL)

DATASOURCE_NAME = "warehouse"
DOCS_SITE_NAME = "edu_dwh_audit"
# The connection string is substituted at run time (never written anywhere), which also lets
# a host-less unix-socket URL through: GX's PostgresDsn validation rejects
# ``postgresql+psycopg2://postgres:@/db?host=/tmp/x`` but SQLAlchemy/psycopg2 accept it.
_URL_VARIABLE = "edu_dwh_gx_sqlalchemy_url"
PARTIAL_UNEXPECTED_COUNT = 20
MAX_KWARGS_LIST = 50
DOCS_VALIDATION_RESULTS_LIMIT = 1000
# BASIC: counts + up to 20 unexpected values; SUMMARY's value counts cost extra queries.
RESULT_FORMAT = {"result_format": "BASIC", "partial_unexpected_count": PARTIAL_UNEXPECTED_COUNT}

ACCEPTED = "accepted"
ALL_ROWS = "all_rows"

_STAGE_NAME = re.compile(r"^(?:([A-Za-z_][A-Za-z0-9_]*)\.)?([A-Za-z_][A-Za-z0-9_]*)$")


@dataclass
class ValidationOutcome:
    """Result of validating one stage table."""

    success: bool  # False iff a critical expectation failed on the accepted rows
    failures: list[str] = field(default_factory=list)  # critical, Russian, with counts
    warnings: list[str] = field(default_factory=list)  # warning severity, Russian
    statistics: dict[str, Any] = field(default_factory=dict)


# --- GX context cache ---------------------------------------------------------------------------


@dataclass
class _Gx:
    context: AbstractDataContext
    datasource: Any  # PostgresDatasource (None for the docs-only context)
    lock: threading.Lock = field(default_factory=threading.Lock)


_CACHE: dict[tuple[str, str | None], _Gx] = {}
_CACHE_LOCK = threading.Lock()
# Validation results / suites written by this process since the last build_data_docs().
_PENDING_DOCS: dict[str, list[Any]] = {}


def gx_root() -> Path:
    """Where GX keeps its stores (expectation suites, validation results)."""
    path = config.state_dir() / "gx"
    path.mkdir(parents=True, exist_ok=True)
    return path


def data_docs_index() -> Path:
    """The auditors' Data Docs entry page (exists after ``build_data_docs()``)."""
    return config.data_docs_dir() / "index.html"


def _project_config(root: Path):
    from great_expectations.data_context.types.base import DataContextConfig, ProgressBarsConfig

    def filesystem(class_name: str, folder: str) -> dict:
        return {
            "class_name": class_name,
            "store_backend": {
                "class_name": "TupleFilesystemStoreBackend",
                "base_directory": str(root / folder),
            },
        }

    def in_memory(class_name: str) -> dict:
        return {"class_name": class_name, "store_backend": {"class_name": "InMemoryStoreBackend"}}

    return DataContextConfig(
        stores={
            "expectations_store": filesystem("ExpectationsStore", "expectations"),
            "validation_results_store": filesystem("ValidationResultsStore", "validations"),
            # unused (batches are validated directly, see _run_batch); kept in memory
            "validation_definition_store": in_memory("ValidationDefinitionStore"),
            "checkpoint_store": in_memory("CheckpointStore"),
        },
        expectations_store_name="expectations_store",
        validation_results_store_name="validation_results_store",
        checkpoint_store_name="checkpoint_store",
        data_docs_sites={
            DOCS_SITE_NAME: {
                "class_name": "SiteBuilder",
                "show_how_to_buttons": False,
                "store_backend": {
                    "class_name": "TupleFilesystemStoreBackend",
                    "base_directory": str(config.data_docs_dir()),
                },
                "site_index_builder": {
                    "class_name": "DefaultSiteIndexBuilder",
                    "validation_results_limit": DOCS_VALIDATION_RESULTS_LIMIT,
                },
            }
        },
        analytics_enabled=False,
        progress_bars=ProgressBarsConfig(globally=False),
    )


def _gx(dsn: str | None) -> _Gx:
    """The cached context (+ datasource when ``dsn`` is given) for the current state dir."""
    root = gx_root()
    key = (str(root), dsn)
    with _CACHE_LOCK:
        cached = _CACHE.get(key)
        if cached is not None:
            return cached
        import great_expectations as gx

        runtime = {_URL_VARIABLE: sqlalchemy_url(dsn)} if dsn else {}
        context = gx.get_context(
            mode="ephemeral", project_config=_project_config(root), runtime_environment=runtime
        )
        datasource = None
        if dsn:
            datasource = context.data_sources.add_postgres(
                DATASOURCE_NAME, connection_string="${" + _URL_VARIABLE + "}"
            )
        cached = _CACHE[key] = _Gx(context=context, datasource=datasource)
        return cached


def reset_cache() -> None:
    """Drop cached contexts and close their database connections (tests, long-lived workers)."""
    with _CACHE_LOCK:
        for entry in _CACHE.values():
            engine = getattr(entry.datasource, "_engine", None) if entry.datasource else None
            if engine is not None:
                engine.dispose()
        _CACHE.clear()
        _PENDING_DOCS.clear()
        _SAVED_SUITES.clear()


# --- database side ------------------------------------------------------------------------------


def _split_stage_table(stage_table: str) -> tuple[str, str]:
    match = _STAGE_NAME.match(stage_table.strip())
    if not match:
        raise ValueError(f"invalid stage table name {stage_table!r}")
    return match.group(1) or "raw", match.group(2)


def read_registry(conn) -> Registry:
    """Codes of the loaded reference files."""
    from expectations.suites import Registry

    with conn.cursor() as cur:
        cur.execute("select distinct ate_code from raw.municipalities where ate_code is not null")
        ate_codes = frozenset(row[0] for row in cur.fetchall())
        cur.execute(
            "select school_code, min(ate_code) from raw.schools"
            " where school_code is not null group by school_code"
        )
        schools = dict(cur.fetchall())
    return Registry(ate_codes=ate_codes, schools=schools)


def previous_rows(conn, spec: SourceSpec, stage: sql.Composable, load_id: int) -> int | None:
    """Comparable rows of the source loaded before (see ``SourceSpec``); None if there are none."""
    conditions = [
        sql.SQL("l.source = {}").format(sql.Literal(spec.name)),
        sql.SQL("l.status = 'loaded'"),
        sql.SQL("l.load_id <> {}").format(sql.Literal(load_id)),
    ]
    for column, value in spec.raw_filter.items():
        conditions.append(sql.SQL("r.{} = {}").format(sql.Identifier(column), sql.Literal(value)))
    if spec.baseline_year_column:
        year = sql.Identifier(spec.baseline_year_column)
        slice_columns = [sql.Identifier(c) for c in spec.baseline_slice]
        conditions.append(
            sql.SQL(
                "(r.{year} + 1{rcols}) in (select distinct {year}{cols} from {stage}"
                " where _reject_reason is null)"
            ).format(
                year=year,
                # coalesce: a NULL school code (ВПЛ, municipal-level rows) matches a NULL one
                rcols=sql.SQL("").join(
                    sql.SQL(", coalesce(r.{}::text, '')").format(c) for c in slice_columns
                ),
                cols=sql.SQL("").join(
                    sql.SQL(", coalesce({}::text, '')").format(c) for c in slice_columns
                ),
                stage=stage,
            )
        )
    query = sql.SQL(
        "select count(*) from raw.{table} r join audit.loads l on l.load_id = r.load_id where "
    ).format(table=sql.Identifier(spec.raw_table)) + sql.SQL(" and ").join(conditions)
    with conn.cursor() as cur:
        cur.execute(query)
        count = cur.fetchone()[0]
    return count or None


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


# --- validation ---------------------------------------------------------------------------------


def validate_stage(
    dsn: str,
    source: str,
    stage_table: str,
    load_id: int,
    run_id: int | None,
    *,
    validate_all_rows: bool = True,
) -> ValidationOutcome:
    """Validate stage table ``stage_table`` (``raw._stage_<load_id>``) of landing source ``source``.

    ``success`` is False iff a critical expectation failed on the accepted rows
    (``_reject_reason is null``). With ``validate_all_rows`` and at least one rejected row,
    the whole stage is validated too, for the record only (suite ``<source>.all_rows``).
    Results are written to ``audit.validation_results`` and the GX validation store; call
    ``build_data_docs()`` once at the end of the run. A source without a suite gives a
    successful outcome with a warning (never blocks, never goes unnoticed).
    """
    from expectations.suites import SOURCES, build_suite

    started = time.perf_counter()
    if source not in SOURCES:
        # Not blocking: a new source must not stop the pipeline, but it must not go unnoticed.
        log.warning("no GX suite for source %s (load %s)", source, load_id)
        return ValidationOutcome(
            success=True,
            warnings=[f"Для источника «{source}» нет набора проверок Great Expectations"],
            statistics={"seconds": {"total": round(time.perf_counter() - started, 3)}},
        )
    spec = SOURCES[source]
    schema, table = _split_stage_table(stage_table)
    stage = sql.Identifier(schema, table)
    stage_sql = f'"{schema}"."{table}"'

    conn = connect(dsn)
    try:
        registry = None if spec.reference else read_registry(conn)
        t_registry = time.perf_counter()
        baseline = previous_rows(conn, spec, stage, load_id)
        t_baseline = time.perf_counter()
        rows_accepted, rows_rejected = _stage_counts(conn, stage)
    finally:
        conn.close()
    prepared = time.perf_counter()

    gxc = _gx(dsn)
    batches = [(ACCEPTED, f"select * from {stage_sql} where _reject_reason is null")]
    if validate_all_rows and rows_rejected:
        # with no rejected rows this batch would repeat the accepted one exactly
        batches.append((ALL_ROWS, f"select * from {stage_sql}"))
    run_name = f"run-{run_id if run_id is not None else 'none'}_load-{load_id}"

    results: dict[str, ExpectationSuiteValidationResult] = {}
    orders: dict[str, dict[str, int]] = {}
    with gxc.lock:
        for batch, query in batches:
            suite = build_suite(source, registry, baseline, name=f"{source}.{batch}")
            res, order = _run_batch(gxc, suite, f"load_{load_id}_{source}_{batch}", query, run_name)
            results[batch] = res
            orders[batch] = order
    validated = time.perf_counter()
    _raise_if_database_lost(results)

    outcome = ValidationOutcome(success=True)
    audit_rows = []
    for batch, res in results.items():
        for item in sorted(
            res.results, key=lambda r: orders[batch].get(r.expectation_config.id or "", 0)
        ):
            cfg = item.expectation_config
            meta = cfg.meta or {}
            severity = meta.get("severity", "critical")
            audit_rows.append(_audit_row(run_id, load_id, source, res, item, batch, severity))
            if batch != ACCEPTED or item.success:
                continue
            if severity == "critical":
                outcome.success = False
                outcome.failures.append(_message(item))
            else:
                outcome.warnings.append(_message(item))

    _write_audit(dsn, audit_rows)
    finished = time.perf_counter()
    outcome.statistics = {
        "rows_accepted": rows_accepted,
        "rows_rejected": rows_rejected,
        "previous_rows": baseline,
        "expectations": {batch: dict(res.statistics) for batch, res in results.items()},
        "critical_failed": len(outcome.failures),
        "warnings": len(outcome.warnings),
        "seconds": {
            "registry": round(t_registry - started, 3),
            "baseline": round(t_baseline - t_registry, 3),
            "prepare": round(prepared - started, 3),
            "validate": round(validated - prepared, 3),
            "record": round(finished - validated, 3),
            "total": round(finished - started, 3),
        },
    }
    log.info(
        "GX %s load %s: %s, %d critical, %d warnings, %.2fs",
        source,
        load_id,
        "ok" if outcome.success else "FAILED",
        len(outcome.failures),
        len(outcome.warnings),
        finished - started,
    )
    return outcome


def _run_batch(gxc: _Gx, suite, asset_name: str, query: str, run_name: str):
    """Validate ``suite`` against the rows of ``query``; store the result for Data Docs.

    Deliberately not ValidationDefinition.run(): that needs the suite and the definition in
    their stores, and GX's suites.add_or_update() (read, compare every expectation, write,
    read back) cost more than validating a small file. Batch.validate() runs the same
    validator; the result is then stored as run() would store it.
    """
    import datetime as dt
    import uuid

    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
        ValidationResultIdentifier,
    )

    context, datasource = gxc.context, gxc.datasource
    for expectation in suite.expectations:
        expectation.id = expectation.id or str(uuid.uuid4())
    order = {e.id: i for i, e in enumerate(suite.expectations)}

    if asset_name in datasource.get_asset_names():
        datasource.delete_asset(asset_name)
    asset = datasource.add_query_asset(asset_name, query=query)
    try:
        batch = asset.add_batch_definition_whole_table("whole").get_batch()
        result = batch.validate(suite, result_format=RESULT_FORMAT)
    finally:
        datasource.delete_asset(asset_name)

    run_id = RunIdentifier(run_name=run_name, run_time=dt.datetime.now(dt.UTC))
    result.meta["run_id"] = run_id
    result.meta["validation_time"] = run_id.run_time
    suite_id = ExpectationSuiteIdentifier(name=suite.name)
    result_id = ValidationResultIdentifier(
        expectation_suite_identifier=suite_id, run_id=run_id, batch_identifier=batch.id
    )
    context.validation_results_store.store_validation_results(
        suite_validation_result=_docs_safe(result),
        suite_validation_result_identifier=result_id,
        expectation_suite_identifier=suite_id,
    )
    _save_suite(context, suite)

    pending = _PENDING_DOCS.setdefault(str(gx_root()), [])
    pending.append(result_id)
    if suite_id not in pending:
        pending.append(suite_id)
    return result, order


_SAMPLE_KEYS = (
    "partial_unexpected_list",
    "partial_unexpected_counts",
    "partial_unexpected_index_list",
    "unexpected_list",
    "observed_value",
    "details",
)


def _neutralise(value):
    """Angle brackets of a value from a file become look-alike quotes (‹ ›): Data Docs show
    sampled values as HTML, and no value from a file may become markup there."""
    if isinstance(value, str):
        return (
            value.replace("<", "‹").replace(">", "›") if ("<" in value or ">" in value) else value
        )
    if isinstance(value, list):
        return [_neutralise(v) for v in value]
    if isinstance(value, tuple):
        return tuple(_neutralise(v) for v in value)
    if isinstance(value, dict):
        return {_neutralise(k): _neutralise(v) for k, v in value.items()}
    return value


def _docs_safe(result):
    """The result as stored for Data Docs: sampled values neutralised (a copy, only when a
    value needs it; the audit table keeps the raw sample, escaped by the audit page)."""
    import copy

    def unsafe(item) -> bool:
        r = item.result or {}
        return any(_neutralise(r[k]) != r[k] for k in _SAMPLE_KEYS if k in r)

    if not any(unsafe(item) for item in result.results):
        return result
    stored = copy.deepcopy(result)
    for item in stored.results:
        if item.result:
            for key in _SAMPLE_KEYS:
                if key in item.result:
                    item.result[key] = _neutralise(item.result[key])
    return stored


_SAVED_SUITES: dict[tuple[str, str], str] = {}


def _save_suite(context, suite) -> None:
    """Write the suite to the expectations store (for its Data Docs page) if it changed."""
    body = suite.to_json_dict()
    body.pop("id", None)
    for expectation in body.get("expectations", []):
        expectation.pop("id", None)
    fingerprint = json.dumps(body, sort_keys=True, default=str, ensure_ascii=False)
    key = (str(gx_root()), suite.name)
    if _SAVED_SUITES.get(key) == fingerprint:
        return
    store = context.expectations_store
    store.set(key=store.get_key(name=suite.name, id=None), value=suite)
    _SAVED_SUITES[key] = fingerprint


# --- messages and audit rows --------------------------------------------------------------------


class DatabaseLost(RuntimeError):
    """The warehouse went away during validation: the run fails (the file is not judged)."""


_CONNECTION_LOST = (
    "server closed the connection",
    "connection already closed",
    "could not connect",
    "terminating connection",
    "connection to server",
    "the database system is",
    "OperationalError",
)


def _raise_if_database_lost(results) -> None:
    """GX catches errors per expectation; a lost connection would otherwise look like a
    failed (blocking) check of the file and print one traceback per expectation."""
    for res in results.values():
        for item in res.results:
            message = _exception_message(item) or ""
            if any(marker in message for marker in _CONNECTION_LOST):
                raise DatabaseLost(
                    "соединение с базой данных хранилища потеряно во время проверки Great"
                    " Expectations; файл не оценён, запустите конвейер снова"
                )


def _exception_message(item) -> str | None:
    info = item.exception_info or {}
    if info.get("raised_exception"):
        return str(info.get("exception_message") or "ошибка")
    # metric-level errors are keyed by metric id
    for value in info.values():
        if isinstance(value, dict) and value.get("raised_exception"):
            return str(value.get("exception_message") or "ошибка")
    return None


def _message(item) -> str:
    """Russian message with counts for a failed expectation."""
    cfg = item.expectation_config
    text = (cfg.meta or {}).get("message_ru") or cfg.type
    error = _exception_message(item)
    if error:
        return f"{text}: проверка не выполнена ({error.splitlines()[0]})"
    result = item.result or {}
    if result.get("unexpected_count") is not None:
        return f"{text}: {result['unexpected_count']} строк(и)"
    if cfg.type == "expect_table_columns_to_match_set":
        mismatched = (result.get("details") or {}).get("mismatched") or {}
        parts = []
        if mismatched.get("missing"):
            parts.append("нет столбцов " + ", ".join(map(str, mismatched["missing"])))
        if mismatched.get("unexpected"):
            parts.append("лишние столбцы " + ", ".join(map(str, mismatched["unexpected"])))
        return f"{text}: {'; '.join(parts)}" if parts else text
    if cfg.type.startswith("expect_table_row_count") or cfg.type == "unexpected_rows_expectation":
        return f"{text}: {result.get('observed_value')} строк(и)"
    if "observed_value" in result:
        return f"{text} (наблюдалось: {result['observed_value']})"
    return text


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str, ensure_ascii=False))


def _cap(values: Any, limit: int) -> Any:
    return list(values)[:limit] if isinstance(values, list | tuple) else values


def _audit_row(run_id, load_id, source, res, item, batch: str, severity: str) -> tuple:
    cfg = item.expectation_config
    kwargs = dict(cfg.to_json_dict().get("kwargs") or {})
    kwargs.pop("batch_id", None)
    for key, value in list(kwargs.items()):
        if isinstance(value, list) and len(value) > MAX_KWARGS_LIST:
            kwargs[key] = value[:MAX_KWARGS_LIST]
            kwargs[f"{key}_size"] = len(value)
    column = kwargs.get("column")
    if column is None and kwargs.get("column_list"):
        column = ",".join(kwargs["column_list"])
    if column is None and kwargs.get("column_A"):
        column = f"{kwargs['column_A']},{kwargs.get('column_B')}"

    result = dict(item.result or {})
    observed: dict[str, Any] = {"batch": batch}
    for key in (
        "observed_value",
        "details",
        "unexpected_percent",
        "missing_count",
        "partial_unexpected_list",
        "partial_unexpected_counts",
    ):
        if key in result:
            observed[key] = _cap(result[key], PARTIAL_UNEXPECTED_COUNT)
    error = _exception_message(item)
    if error:
        observed["exception"] = error.splitlines()[0]
    if not item.success:
        observed["message_ru"] = _message(item)
    unexpected_count = result.get("unexpected_count")
    if cfg.type == "unexpected_rows_expectation":
        unexpected_count = result.get("observed_value")
    return (
        run_id,
        load_id,
        source,
        res.suite_name,
        cfg.type,
        column,
        Json(_jsonable(kwargs)),
        severity,
        bool(item.success),
        result.get("element_count"),
        unexpected_count,
        Json(_jsonable(observed)),
    )


def _write_audit(dsn: str, rows: list[tuple]) -> None:
    if not rows:
        return
    conn = connect(dsn)
    try:
        with conn, conn.cursor() as cur:
            execute_values(
                cur,
                "insert into audit.validation_results (run_id, load_id, source, suite_name,"
                " expectation_type, column_name, kwargs, severity, success, element_count,"
                " unexpected_count, observed) values %s",
                rows,
            )
    finally:
        conn.close()


# --- Data Docs ----------------------------------------------------------------------------------


def build_data_docs(*, full: bool = False) -> Path:
    """(Re)build the Data Docs site in ``data_docs_dir()``; returns its index.html.

    Renders the pages of the validations done by this process since the last call plus the
    index; everything in the store (the latest ``DOCS_VALIDATION_RESULTS_LIMIT`` validations)
    when ``full`` or when this process validated nothing (e.g. a separate Airflow task).
    """
    root = str(gx_root())
    entry = _gx(None)
    with entry.lock:
        pending = _PENDING_DOCS.pop(root, [])
        if full or not pending or not data_docs_index().exists():
            entry.context.build_data_docs(site_names=[DOCS_SITE_NAME])
        else:
            entry.context.build_data_docs(site_names=[DOCS_SITE_NAME], resource_identifiers=pending)
    return data_docs_index()
