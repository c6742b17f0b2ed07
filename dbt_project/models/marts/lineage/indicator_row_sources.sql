-- Lineage of the published indicator rows: one row per row of marts.indicator_values ×
-- contributing load (audit.loads), with rows_counted = how many of that load's units (results,
-- persons, works, schools) counted in the row's denominator (counts: in its value). Only rows
-- published in indicator_values are kept. The join uses NULL-free keys so it can hash.
-- Every indicator model (var lineage_indicators) computes its lineage itself, from the very
-- facts its published rows are summed from (rollup_indicator(lineage=true), macros/
-- indicator_rollup.sql): its rows with load_id set, one per territory row × contributing load;
-- rows_counted = that load's share of the denominator (counts: of the value; GIA-16: its
-- results in the tail schools' means).

{{ config(**incremental_by_year()) }}

with

row_sources as (
    {%- for model_name in var('lineage_indicators') %}
    {% if not loop.first %}union all{% endif %}
    select
        {{ (['indicator_code'] + indicator_key_columns()) | join(',\n        ') }},
        load_id,
        coalesce(denominator, numerator)::bigint as rows_counted
    from {{ ref(model_name) }}
    where load_id is not null {{ incremental_years_filter('and') }}
    {%- endfor %}
),

published as (
    select
        indicator_code,
        year,
        territory_level,
        territory_code,
        exam,
        subject_code,
        participant_category,
        grade,
        breakdown_key
    from {{ ref('indicator_values') }} {{ incremental_years_filter() }}
),

final as (
    select
        row_sources.indicator_code,
        row_sources.year,
        row_sources.territory_level,
        row_sources.territory_code,
        row_sources.exam,
        row_sources.subject_code,
        row_sources.participant_category,
        row_sources.grade,
        row_sources.breakdown_key,
        row_sources.load_id,
        row_sources.rows_counted
    from row_sources
    inner join published
        on
            row_sources.indicator_code = published.indicator_code
            and row_sources.year = published.year
            and row_sources.territory_level = published.territory_level
            and row_sources.territory_code = published.territory_code
            and coalesce(row_sources.exam, '') = coalesce(published.exam, '')
            and coalesce(row_sources.subject_code, -1) = coalesce(published.subject_code, -1)
            and coalesce(row_sources.participant_category, '')
            = coalesce(published.participant_category, '')
            and coalesce(row_sources.grade, -1) = coalesce(published.grade, -1)
            and coalesce(row_sources.breakdown_key, '') = coalesce(published.breakdown_key, '')
)

select * from final
