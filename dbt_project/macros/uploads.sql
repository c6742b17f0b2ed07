{#
    The columns every uploads/* row starts with (staging/uploads/): load_id, source_row, the
    trimmed `Учебный год` school_year and year = its second year (2023/2024 -> 2024), as
    computed at ingestion (raw column year), else parsed from school_year.
#}
{% macro upload_row_columns() -%}
    load_id,
    source_row,
    trim(school_year) as school_year,
    coalesce(
        year,
        nullif(substring(trim(school_year) from '^\d{4}/(\d{4})$'), '')::integer
    ) as year
{%- endmacro %}
