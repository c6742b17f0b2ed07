-- DR-02 Прогноз доли результатов ЕГЭ ниже минимума = expected number of the work's
-- participants below the minimum at the ЕГЭ / participants of work n, by work and subject;
-- region, municipalities, schools. A participant counts p₁ if below the minimum at the work,
-- else p₀ (int_diagnostic_forecast_parameters); the numerator is fractional.

{{ config(**incremental_by_year()) }}

with

participants as (
    select * from {{ ref('int_diagnostic_participants_flagged') }} {{ incremental_years_filter() }}
),

parameters as (
    select * from {{ ref('int_diagnostic_forecast_parameters') }} {{ incremental_years_filter() }}
),

expected as (
    select
        participants.year,
        participants.ate_code,
        participants.school_code,
        participants.load_id,
        participants.subject_code,
        participants.work_key as breakdown_key,
        case
            when participants.is_below_min then parameters.p1 else parameters.p0
        end as expected_below
    from participants
    inner join parameters
        on
            participants.year = parameters.year
            and participants.subject_code = parameters.subject_code
            and participants.work_number = parameters.work_number
),

indicator as (
    {{ rollup_indicator(
        'DR-02', 'expected', 'share', dims=['subject_code', 'breakdown_key'],
        numerator='expected_below', denominator='1', lineage=true
    ) }}
)

select * from indicator
