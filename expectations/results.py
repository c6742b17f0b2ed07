"""From GX validation results to a verdict: Russian messages, ``audit.validation_results`` rows.

A failed *critical* expectation on the accepted rows rejects the file; failed *warnings* are
reported; the all-rows batch is recorded only. A lost database connection fails the run
(``DatabaseLost``) instead of looking like a failed check of the file.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from psycopg2.extras import Json, execute_values

from ingestion.db import connect

PARTIAL_UNEXPECTED_COUNT = 20
MAX_KWARGS_LIST = 50
ACCEPTED = "accepted"
ALL_ROWS = "all_rows"


@dataclass
class ValidationOutcome:
    """Result of validating one stage table."""

    success: bool  # False iff a critical expectation failed on the accepted rows
    failures: list[str] = field(default_factory=list)  # critical, Russian, with counts
    warnings: list[str] = field(default_factory=list)  # warning severity, Russian
    statistics: dict[str, Any] = field(default_factory=dict)


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


def raise_if_database_lost(results) -> None:
    """GX catches errors per expectation; a lost connection would otherwise look like a
    failed (blocking) check of the file."""
    for res in results:
        for item in res.results:
            message = exception_message(item) or ""
            if any(marker in message for marker in _CONNECTION_LOST):
                raise DatabaseLost(
                    "соединение с базой данных хранилища потеряно во время проверки Great"
                    " Expectations; файл не оценён, запустите конвейер снова"
                )


def exception_message(item) -> str | None:
    info = item.exception_info or {}
    if info.get("raised_exception"):
        return str(info.get("exception_message") or "ошибка")
    # metric-level errors are keyed by metric id
    for value in info.values():
        if isinstance(value, dict) and value.get("raised_exception"):
            return str(value.get("exception_message") or "ошибка")
    return None


def _text(cfg, parameters: dict[str, Any]) -> str:
    text = (cfg.meta or {}).get("message_ru") or cfg.type
    if "{" in text:
        try:
            text = text.format_map(parameters)
        except (KeyError, IndexError, ValueError):
            pass
    return text


def message(item, parameters: dict[str, Any] | None = None) -> str:
    """Russian message with counts for a failed expectation."""
    cfg = item.expectation_config
    text = _text(cfg, parameters or {})
    error = exception_message(item)
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


def judge(accepted: list, parameters: dict[str, Any]) -> ValidationOutcome:
    """The verdict of the accepted batch's results (``accepted``, in suite order)."""
    outcome = ValidationOutcome(success=True)
    for item in accepted:
        if item.success:
            continue
        severity = (item.expectation_config.meta or {}).get("severity", "critical")
        if severity == "critical":
            outcome.success = False
            outcome.failures.append(message(item, parameters))
        else:
            outcome.warnings.append(message(item, parameters))
    return outcome


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str, ensure_ascii=False))


def _cap(values: Any, limit: int) -> Any:
    return list(values)[:limit] if isinstance(values, list | tuple) else values


def audit_row(run_id, load_id, source, res, item, batch: str, parameters: dict) -> tuple:
    cfg = item.expectation_config
    severity = (cfg.meta or {}).get("severity", "critical")
    kwargs = dict(cfg.to_json_dict().get("kwargs") or {})
    kwargs.pop("batch_id", None)
    for key, value in list(kwargs.items()):
        if isinstance(value, dict) and "$PARAMETER" in value:
            kwargs[key] = parameters.get(value["$PARAMETER"])  # the value this file was given
        elif isinstance(value, list) and len(value) > MAX_KWARGS_LIST:
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
    error = exception_message(item)
    if error:
        observed["exception"] = error.splitlines()[0]
    if not item.success:
        observed["message_ru"] = message(item, parameters)
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


def write_audit(dsn: str, rows: list[tuple]) -> None:
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
