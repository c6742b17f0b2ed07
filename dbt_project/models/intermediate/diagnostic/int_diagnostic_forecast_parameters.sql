-- p₁ and p₀ of DR-02 for every year × subject × work of the diagnostic works: the shares
-- below the minimum at the ЕГЭ among the *previous* year's region-wide linked students of
-- the same subject and work number who were (p₁) / were not (p₀) below the minimum at that
-- work. Choice (documented in _int_diagnostic__models.yml): each parameter falls back on
-- its own — p₁ = 1 when the previous year has no linked student who was below at the work,
-- p₀ = 0 when it has none who was not (so a year with no previous data at all gets 1 and 0).
-- Reads the previous year: declared, so that incremental builds of the models downstream
-- also rebuild year + 1 (macros/incremental_years.sql).

{{ config(**incremental_by_year(reads_previous_years=1)) }}

with

linked as (
    select * from {{ ref('int_diagnostic_participants_linked') }} {{ incremental_years_filter() }}
),

works as (
    select distinct
        year,
        subject_code,
        work_number
    from linked
),

previous_year as (
    select
        year + 1 as forecast_year,
        subject_code,
        work_number,
        count(*) filter (where is_below_min) as linked_below,
        count(*) filter (where is_below_min and is_ege_below_min) as linked_below_ege_below,
        count(*) filter (where not is_below_min) as linked_not_below,
        count(*) filter (where not is_below_min and is_ege_below_min)
            as linked_not_below_ege_below
    from linked
    where is_linked
    group by year, subject_code, work_number
),

parameters as (
    select
        works.year,
        works.subject_code,
        works.work_number,
        works.year - 1 as source_year,
        coalesce(previous_year.linked_below, 0) as source_linked_below,
        coalesce(previous_year.linked_not_below, 0) as source_linked_not_below,
        coalesce(
            previous_year.linked_below_ege_below::numeric
            / nullif(previous_year.linked_below, 0),
            1
        ) as p1,
        coalesce(
            previous_year.linked_not_below_ege_below::numeric
            / nullif(previous_year.linked_not_below, 0),
            0
        ) as p0,
        coalesce(previous_year.linked_below, 0) = 0 as p1_is_fallback,
        coalesce(previous_year.linked_not_below, 0) = 0 as p0_is_fallback
    from works
    left join previous_year
        on
            works.year = previous_year.forecast_year
            and works.subject_code = previous_year.subject_code
            and works.work_number = previous_year.work_number
)

select * from parameters
