-- PUBLIC CONTRACT (spec/indicators.md "Диагностические работы и раннее предупреждение").
-- One row per year × territory (region, municipality) × subject × diagnostic work: how early
-- and how well the works warned. Counts from the diagnostic participants (territory of the
-- diagnostic row), DR-01…03 values from fct_diagnostic_indicators, the actual share from
-- GIA-01 (ЕГЭ, category ВТГ) once the year's ЕГЭ is loaded, and the GIA-01 target.

{{ config(**incremental_by_year()) }}

with

linked as (
    select * from {{ ref('int_diagnostic_participants_linked') }} {{ incremental_years_filter() }}
),

parameters as (
    select * from {{ ref('int_diagnostic_forecast_parameters') }} {{ incremental_years_filter() }}
),

diagnostic_indicators as (
    select * from {{ ref('fct_diagnostic_indicators') }} {{ incremental_years_filter() }}
),

gia_indicators as (
    select * from {{ ref('fct_gia_indicators') }} {{ incremental_years_filter() }}
),

targets as (
    select * from {{ ref('int_targets_deduplicated') }}
),

territories as (
    select * from {{ ref('int_territories_unioned') }}
),

subjects as (
    select * from {{ ref('subjects') }}
),

-- linked students per territory (the one count no DR indicator carries); the participants,
-- those below at the work and the expected count are DR-01's and DR-02's own numerator and
-- denominator, so the forecast's formula stays in int_dr_02 alone
linked_counts as (
    select
        year,
        case when grouping(ate_code) = 1 then 'region' else 'municipality' end::text
            as territory_level,
        coalesce(ate_code, '00')::text as territory_code,
        subject_code,
        work_number,
        work_key as breakdown_key,
        count(*) filter (where is_linked) as linked_students
    from linked
    group by grouping sets (
        (year, subject_code, work_number, work_key),
        (year, ate_code, subject_code, work_number, work_key)
    )
),

dr_values as (
    select
        year,
        territory_level,
        territory_code,
        subject_code,
        breakdown_key,
        max(denominator) filter (where indicator_code = 'DR-01') as participants,
        max(numerator) filter (where indicator_code = 'DR-01') as below_at_work,
        max(value) filter (where indicator_code = 'DR-01') as share_below_at_work,
        max(numerator) filter (where indicator_code = 'DR-02') as forecast_below,
        max(value) filter (where indicator_code = 'DR-02') as forecast_share,
        max(value) filter (where indicator_code = 'DR-03') as signal_recall
    from diagnostic_indicators
    group by year, territory_level, territory_code, subject_code, breakdown_key
),

actual as (
    select * from gia_indicators
    where
        indicator_code = 'GIA-01'
        and exam = 'ЕГЭ'
        and participant_category = 'ВТГ'
),

gia_01_targets as (
    select * from targets
    where indicator_code = 'GIA-01'
),

final as (
    select
        counts.year::integer as year,
        counts.territory_level,
        counts.territory_code,
        territories.territory_name::text as territory_name,
        counts.subject_code::integer as subject_code,
        subjects.name::text as subject_name,
        counts.work_number::integer as work_number,
        counts.breakdown_key,
        dr_values.participants::integer as participants,
        dr_values.below_at_work::integer as below_at_work,
        dr_values.share_below_at_work::numeric as share_below_at_work,
        counts.linked_students::integer as linked_students,
        round(parameters.p1, 6)::numeric as p1,
        round(parameters.p0, 6)::numeric as p0,
        parameters.p1_is_fallback,
        parameters.p0_is_fallback,
        round(dr_values.forecast_below, 6)::numeric as forecast_below,
        dr_values.forecast_share::numeric as forecast_share,
        actual.denominator::integer as ege_results_vtg,
        actual.numerator::integer as ege_below_vtg,
        actual.value::numeric as actual_share,
        round(dr_values.forecast_share - actual.value, 6)::numeric as error_pp,
        dr_values.signal_recall::numeric as signal_recall,
        gia_01_targets.target_value::numeric as target_value
    from linked_counts as counts
    inner join parameters
        on
            counts.year = parameters.year
            and counts.subject_code = parameters.subject_code
            and counts.work_number = parameters.work_number
    inner join dr_values
        on
            counts.year = dr_values.year
            and counts.territory_level = dr_values.territory_level
            and counts.territory_code = dr_values.territory_code
            and counts.subject_code = dr_values.subject_code
            and counts.breakdown_key = dr_values.breakdown_key
    left join actual
        on
            counts.year = actual.year
            and counts.territory_level = actual.territory_level
            and counts.territory_code = actual.territory_code
            and counts.subject_code = actual.subject_code
    left join gia_01_targets
        on
            counts.year = gia_01_targets.year
            and counts.territory_level = gia_01_targets.territory_level
            and counts.territory_code = gia_01_targets.territory_code
            and counts.subject_code = gia_01_targets.subject_code
    left join territories
        on
            counts.territory_level = territories.territory_level
            and counts.territory_code = territories.territory_code
    left join subjects
        on counts.subject_code = subjects.code
)

select * from final
