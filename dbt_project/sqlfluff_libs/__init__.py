"""Stand-ins for this project's dbt macros, for sqlfluff's jinja templater (dbt_project/.sqlfluff).

sqlfluff lints a model's own SQL; a macro call is templated code it does not lint, so each
stand-in returns the simplest valid SQL of the same shape (a query, an expression, a list).
The real macros are in dbt_project/macros/; those returning values (dbt's `return`) cannot
be rendered by plain jinja, hence these. Keep the signatures in step with the macros.
"""

from __future__ import annotations

from pathlib import Path

import yaml

_BREAKDOWN_COLUMNS = {
    "exam": "text",
    "subject_code": "integer",
    "grade": "integer",
    "breakdown_key": "text",
}
_INDICATOR_COLUMNS = [
    "indicator_code", "year", "territory_level", "territory_code",
    "exam", "subject_code", "participant_category", "grade", "breakdown_key",
    "numerator", "denominator", "value",
]  # fmt: skip


def _families() -> dict[str, list[str]]:
    project = yaml.safe_load((Path(__file__).parent.parent / "dbt_project.yml").read_text())
    return project["vars"]["indicator_families"]


def indicator_breakdown_columns() -> dict[str, str]:
    return dict(_BREAKDOWN_COLUMNS)


def indicator_key_columns() -> list[str]:
    return list(_INDICATOR_COLUMNS[1:9])


def indicator_columns() -> list[str]:
    return list(_INDICATOR_COLUMNS)


def indicator_value(kind, numerator, denominator) -> str:
    return f"round({numerator}::numeric / nullif({denominator}, 0), 6)"


def _indicator_query(source: str) -> str:
    return f"select {', '.join(_INDICATOR_COLUMNS)} from {source}"


def rollup_to_territories(facts, *args, **kwargs) -> str:
    return f"select year, numerator, denominator from {facts}"


def rollup_indicator(indicator_code, facts, *args, **kwargs) -> str:
    return _indicator_query(facts)


def zero_filled_counts(indicator_code, counted, *args, **kwargs) -> str:
    return _indicator_query(counted)


def zero_filled_count_indicator(indicator_code, facts, territories, frame=None, **kwargs) -> str:
    # the CTEs named in the call are read by the real macro
    sources = [facts, territories] + ([frame] if frame else [])
    return _indicator_query(" cross join ".join(sources))


def seed_rows_in_force(seed_name, columns, keys=()) -> str:
    selected = ", ".join(["year", *keys, *columns, "seed_year"])
    return f"select {selected} from {seed_name}"


def sum_of_best(column, n) -> str:
    return f"sum({column})"


def upload_row_columns() -> str:
    return "load_id"


def report_share_facts(reports, numerator, denominators) -> str:
    return f"select year, ate_code, school_code, numerator, denominator from {reports}"


def indicator_family_models(family) -> list[str]:
    return list(_families()[family])


def indicator_family_marts() -> list[str]:
    return [f"fct_{family}_indicators" for family in _families()]


def union_indicator_models(models) -> str:
    return _indicator_query(models[0])


def published_indicator_rows(rows, extra_columns=()) -> str:
    # the real macro emits the CTEs catalogue … final (a model then selects from final)
    columns = ", ".join([*_INDICATOR_COLUMNS, *extra_columns])
    return f"final as (\n    select {columns} from {rows}\n)"


def incremental_by_year(reads_previous_years=0) -> dict:
    return {"materialized": "incremental", "meta": {"reads_previous_years": reads_previous_years}}


def incremental_years_filter(keyword="where") -> str:
    return f"{keyword} year is not null"
