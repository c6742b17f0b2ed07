{#
    Facts of a share indicator summed over the schools' reports (CAR-01 … CAR-04): one row per
    report (`reports`, e.g. int_career_reports_deduplicated: year, ate_code, school_code and
    the report's fields; load_id, the report's load, for the lineage) with numerator = the field `numerator` and denominator = the sum of
    the fields `denominators`. A report with any of these fields empty is left out of both
    sums. Feed the result to rollup_indicator(..., 'share').
#}
{% macro report_share_facts(reports, numerator, denominators) %}
    {%- set fields = [numerator] + denominators %}
    select
        year,
        ate_code,
        school_code,
        load_id,
        {{ numerator }} as numerator,
        {{ denominators | join(' + ') }} as denominator
    from {{ reports }}
    where
        {%- for field in fields %}
        {% if not loop.first %}and {% endif %}{{ field }} is not null
        {%- endfor %}
{% endmacro %}
