"""Great Expectations suites (GX 1.x, as code), derived from the source contract (``sources/``).

One policy: row rules quarantine single rows (ingestion, ``sources.*.row_rules``); GX checks
a file as a whole against the stage table ``raw._stage_<load_id>``. A suite is

- the **generic** part, derived from ``sources.SOURCES[name]``: the stage's exact column set,
  the source's constants, not-null for required columns, in-set for allowed values, between
  for ``lo``/``hi``, the school-year format, the natural key unique, and every referenced
  code present in its registry (a query against ``raw.<registry>``, never a list of codes);
  on accepted rows these repeat what ingestion already enforced (a safety net: a file that
  slipped past the row checks is rejected, not loaded);
- the **specific** part (``SPECIFIC``): plausibility of the file — row count against the
  baseline of ``spec.baseline`` (expectation parameters ``min_rows``/``max_rows``, filled
  per file by the runner) and, for sources with a school and a municipality code, the school
  belongs to its municipality (a query joining ``raw.schools``).

No value set is declared here: a suite depends on the contract only, not on the data, so
it is the same for every file of a source (saved once per process, see ``runner``).

Every expectation carries ``meta={"severity": "critical"|"warning", "message_ru": ...}``:
``critical`` failures on the accepted rows of a file reject the file, ``warning`` failures are
reported only. ``message_ru`` is what an auditor reads (the runner appends the row count);
``{name}`` fields in it are filled from the expectation parameters.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import great_expectations as gx
import great_expectations.expectations as E
from great_expectations.expectations import Expectation

from sources import KEY_COLUMNS, SOURCES, raw_columns
from sources.spec import MAX_YEAR, MIN_YEAR, SCHOOL_YEAR, SourceSpec

CRITICAL = "critical"
WARNING = "warning"
_SEVERITY_LABEL = {CRITICAL: "критично", WARNING: "предупреждение"}

# Columns the ingestion code adds to a stage table after the raw table's columns
# (ingestion/loader.py, stage_file).
STAGE_HELPER_COLUMNS = ("_reject_reason", "_note")

# A file's row count is plausible between these multiples of the comparable previous rows.
ROW_COUNT_MIN_RATIO = 0.5
ROW_COUNT_MAX_RATIO = 2.0

SCHOOL_YEAR_REGEX = r"^\d{4}/\d{4}$"


def stage_columns(raw_table: str) -> list[str]:
    """Columns of ``raw._stage_<load_id>`` for a raw table (raw columns + helper columns)."""
    return [*raw_columns(raw_table), *KEY_COLUMNS, *STAGE_HELPER_COLUMNS]


# --- expectation helpers -----------------------------------------------------------------------


def expectation(
    cls: type[Expectation],
    severity: str,
    message_ru: str,
    *,
    description: str | None = None,
    **kwargs: Any,
) -> Expectation:
    """An expectation with our meta; its description (shown in Data Docs) is the Russian text
    (or ``description`` when the message is a template of expectation parameters)."""
    if severity not in _SEVERITY_LABEL:
        raise ValueError(f"unknown severity {severity!r}")
    return cls(
        meta={"severity": severity, "message_ru": message_ru},
        severity=severity,
        description=f"[{_SEVERITY_LABEL[severity]}] {description or message_ru}",
        catch_exceptions=True,
        **kwargs,
    )


def critical(cls: type[Expectation], message_ru: str, **kwargs: Any) -> Expectation:
    return expectation(cls, CRITICAL, message_ru, **kwargs)


def warning(cls: type[Expectation], message_ru: str, **kwargs: Any) -> Expectation:
    return expectation(cls, WARNING, message_ru, **kwargs)


def _range_text(lo: float | None, hi: float | None) -> str:
    if hi is None:
        return f"меньше {lo:g}"
    if lo is None:
        return f"больше {hi:g}"
    return f"вне диапазона {lo:g}–{hi:g}"


# --- generic: derived from the contract ---------------------------------------------------------


def schema(spec: SourceSpec) -> list[Expectation]:
    """The stage table has exactly the raw table's columns plus the helper columns."""
    return [
        critical(
            E.ExpectTableColumnsToMatchSet,
            "Состав столбцов промежуточной таблицы не соответствует контракту",
            column_set=stage_columns(spec.raw_table),
            exact_match=True,
        )
    ]


def constants(spec: SourceSpec) -> list[Expectation]:
    """A constant column holds the source's value (ЕГЭ and ОГЭ share raw.gia_results)."""
    return [
        critical(
            E.ExpectColumnValuesToBeInSet,
            f"Столбец {c.name} не равен {c.value} для источника «{spec.title_ru}»",
            column=c.name,
            value_set=[c.value],
        )
        for c in spec.constants
    ]


def columns(spec: SourceSpec) -> list[Expectation]:
    """Per stored column: required → not null, allowed → in set, lo/hi → between; a school
    year column also gives its format and the derived ``year`` within the contract's years."""
    out: list[Expectation] = []
    for col in spec.stored:
        label = f"«{col.header}»"
        if col.required:
            out.append(
                critical(E.ExpectColumnValuesToNotBeNull, f"{label}: не заполнено", column=col.name)
            )
        if col.allowed:
            out.append(
                critical(
                    E.ExpectColumnValuesToBeInSet,
                    f"{label}: недопустимое значение",
                    column=col.name,
                    value_set=list(col.allowed),
                )
            )
        if col.lo is not None or col.hi is not None:
            out.append(
                critical(
                    E.ExpectColumnValuesToBeBetween,
                    f"{label}: значение {_range_text(col.lo, col.hi)}",
                    column=col.name,
                    min_value=col.lo,
                    max_value=col.hi,
                )
            )
        if col.kind == SCHOOL_YEAR:
            out.append(
                critical(
                    E.ExpectColumnValuesToMatchRegex,
                    f"{label}: не в формате ГГГГ/ГГГГ",
                    column=col.name,
                    regex=SCHOOL_YEAR_REGEX,
                )
            )
            if col.required:
                out.append(
                    critical(
                        E.ExpectColumnValuesToNotBeNull,
                        f"Не определён год (по {label})",
                        column="year",
                    )
                )
            out.append(
                critical(
                    E.ExpectColumnValuesToBeBetween,
                    f"Год (по {label}) {_range_text(MIN_YEAR, MAX_YEAR)}",
                    column="year",
                    min_value=MIN_YEAR,
                    max_value=MAX_YEAR,
                )
            )
    return out


# Raw columns that are no file column of their own: how a message names them.
_DERIVED_LABELS = {"person_key": "участник", "year": "год"}


def _headers(spec: SourceSpec, names: Iterable[str]) -> str:
    by_name = spec.column_by_name
    return ", ".join(
        by_name[n].header if n in by_name else _DERIVED_LABELS.get(n, n) for n in names
    )


def natural_key(spec: SourceSpec) -> list[Expectation]:
    """No two accepted rows with the same natural key (ingestion keeps the first of repeats)."""
    key = list(spec.natural_key)
    if not key:
        return []
    message = f"Повторяющиеся записи с одним ключом ({_headers(spec, key)})"
    if spec.column_by_name.get(key[0]) and len(key) == 1:
        return [critical(E.ExpectColumnValuesToBeUnique, message, column=key[0])]
    return [critical(E.ExpectCompoundColumnsToBeUnique, message, column_list=key)]


def references(spec: SourceSpec) -> list[Expectation]:
    """Every referenced code is in its registry: a query against the registry's raw table at
    validation time (the suite holds no codes). NULL codes are left to the not-null checks."""
    out = []
    for ref in spec.references:
        registry = SOURCES[ref.registry]
        (key,) = registry.natural_key
        label, where_ru = registry.registry_label or (ref.column, ref.registry)
        out.append(
            critical(
                E.UnexpectedRowsExpectation,
                f"«{label}»: код отсутствует в {where_ru}",
                # a join: GX aliases {batch} itself in a query without one
                unexpected_rows_query=(
                    f"select b.source_row, b.{ref.column} from {{batch}} b"
                    f" left join {registry.raw_table} r on r.{key} = b.{ref.column}"
                    f" where b.{ref.column} is not null and r.{key} is null"
                ),
            )
        )
    return out


def generic(spec: SourceSpec) -> list[Expectation]:
    return [
        *schema(spec),
        *constants(spec),
        *columns(spec),
        *natural_key(spec),
        *references(spec),
    ]


# --- specific: file-level plausibility ----------------------------------------------------------


def row_count(spec: SourceSpec) -> list[Expectation]:
    """Row count within ``min_rows``–``max_rows`` (parameters: ROW_COUNT_*_RATIO × the
    comparable rows loaded before, see ``runner.row_count_parameters``); a warning."""
    return [
        warning(
            E.ExpectTableRowCountToBeBetween,
            "Число строк вне правдоподобного диапазона {min_rows}–{max_rows}"
            " ({baseline_label}: {previous_rows} строк)",
            description=(
                f"Число строк от {ROW_COUNT_MIN_RATIO:g} до {ROW_COUNT_MAX_RATIO:g} числа"
                f" сравнимых строк, загруженных ранее ({spec.baseline.label})"
            ),
            min_value={"$PARAMETER": "min_rows"},
            max_value={"$PARAMETER": "max_rows"},
        )
    ]


def school_belongs_to_ate(spec: SourceSpec) -> list[Expectation]:
    """The school's municipality in the registry is the row's municipality (a warning)."""
    refs = {r.column for r in spec.references}
    if not {"school_code", "ate_code"} <= refs:
        return []
    # A SQL check rather than expect_column_pair_values_to_be_in_set: that one, combined with
    # a row_condition, breaks in GX 1.24 (negative missing_count -> InvalidCacheValueError), and
    # it would need every (school, municipality) pair of the registry in the suite.
    return [
        warning(
            E.UnexpectedRowsExpectation,
            "Код ОО не относится к указанному коду АТЕ (по справочнику ОО)",
            unexpected_rows_query=(
                "select b.source_row, b.school_code, b.ate_code from {batch} b"
                " join raw.schools s on s.school_code = b.school_code"
                " where s.ate_code is distinct from b.ate_code"
            ),
        )
    ]


Builder = Callable[[SourceSpec], list[Expectation]]


def _registry_suite(spec: SourceSpec) -> list[Expectation]:
    return row_count(spec)


def _results_suite(spec: SourceSpec) -> list[Expectation]:
    return [*row_count(spec), *school_belongs_to_ate(spec)]


# What each source adds to its generic expectations.
SPECIFIC: dict[str, Builder] = {
    "municipalities": _registry_suite,
    "schools": _registry_suite,
    "targets": _registry_suite,
    "ege": _results_suite,
    "oge": _results_suite,
    "vpr": _results_suite,
    "olympiad": _results_suite,
    "career": _results_suite,
    "diagnostic": _results_suite,
}


def expectations_of(source: str) -> list[Expectation]:
    try:
        spec = SOURCES[source]
        specific = SPECIFIC[source]
    except KeyError:
        raise ValueError(f"Нет набора проверок для источника {source!r}") from None
    return [*generic(spec), *specific(spec)]


def build_suite(source: str, *, name: str | None = None) -> gx.ExpectationSuite:
    """The ExpectationSuite of ``source`` (named ``name``, default: the source name)."""
    # Passed to the constructor: ExpectationSuite.add_expectation() needs an active context.
    return gx.ExpectationSuite(
        name=name or source, expectations=expectations_of(source), meta={"source": source}
    )
