-- CAR-07 Число ОО по уровням единой модели профориентации = count of schools whose report
-- gives that level (`базовый`, `основной`, `продвинутый`; breakdown_key = the level); region
-- and municipalities. A report with an empty level counts in no level.
-- Count (unit ед.): value = numerator, denominator NULL; every territory with a report in the
-- year has a row for each of the three levels (0 where no school has it).

with

reports as (
    select * from {{ ref('int_career_reports_deduplicated') }}
),

territories_with_rows as (
    select * from {{ ref('int_career_territories_with_rows') }}
),

territories as (
    select * from territories_with_rows
    where territory_level in ('region', 'municipality')
),

facts as (
    select
        year,
        ate_code,
        school_code,
        model_level as breakdown_key,
        1 as numerator,
        1 as denominator
    from reports
    where model_level is not null
),

counted as (
    {{ rollup_indicator('CAR-07', 'facts', 'count', dims=['breakdown_key'], levels=['region', 'municipality']) }}
),

breakdowns as (
    select distinct
        territories.year,
        null::text as exam,
        null::integer as subject_code,
        null::text as participant_category,
        null::integer as grade,
        levels.model_level as breakdown_key
    from territories
    cross join (values ('базовый'), ('основной'), ('продвинутый')) as levels (model_level)
),

indicator as (
    {{ zero_filled_counts('CAR-07', 'counted', 'territories', 'breakdowns') }}
)

select * from indicator
