-- CAR-07 Число ОО по уровням единой модели профориентации = count of schools whose report
-- gives that level (`базовый`, `основной`, `продвинутый`; breakdown_key = the level); region
-- and municipalities. A report with an empty level counts in no level.
-- Count (unit ед.): value = numerator, denominator NULL; every territory with a report in the
-- year has a row for each of the three levels (0 where no school has it).

{{ config(**incremental_by_year()) }}

with

schools_by_level as (
    select
        year,
        ate_code,
        school_code,
        load_id,
        model_level as breakdown_key
    from {{ ref('int_career_reports_deduplicated') }}
    where model_level is not null {{ incremental_years_filter('and') }}
),

territories as (
    select * from {{ ref('int_career_territories_with_rows') }} {{ incremental_years_filter() }}
),

indicator as (
    {{ zero_filled_count_indicator(
        'CAR-07', 'schools_by_level', 'territories', numerator='1',
        breakdowns=[['breakdown_key']],
        values={'breakdown_key': ['базовый', 'основной', 'продвинутый']},
        levels=['region', 'municipality'], lineage=true
    ) }}
)

select * from indicator
