-- One row per participant per year and exam family (gia_level 11 = fis_gia/ege,
-- 9 = fis_gia/oge), attached to the place and category of their results: the most frequent
-- (municipality, school) pair among the person's results, ties to the smallest codes
-- (NULL school last); the most frequent category, ties to the smallest.
-- Window functions only (no self-joins): one pass over the results.

{{ config(**incremental_by_year()) }}

with

results as (
    select * from {{ ref('int_gia_results_selected') }} {{ incremental_years_filter() }}
),

counted as (
    select
        person_key,
        year,
        gia_level,
        ate_code,
        school_code,
        participant_category,
        count(*) over (
            partition by person_key, year, gia_level, ate_code, school_code
        ) as n_place_results,
        count(*) over (
            partition by person_key, year, gia_level, participant_category
        ) as n_category_results,
        count(*) over (partition by person_key, year, gia_level) as n_results
    from results
),

ranked as (
    select
        person_key,
        year,
        gia_level,
        n_results,
        first_value(ate_code) over by_place as ate_code,
        first_value(school_code) over by_place as school_code,
        first_value(participant_category) over by_category as participant_category,
        row_number() over by_place as row_rank
    from counted
    window
        by_place as (
            partition by person_key, year, gia_level
            order by
                n_place_results desc,
                ate_code collate "C" asc nulls last,
                school_code collate "C" asc nulls last
        ),
        by_category as (
            partition by person_key, year, gia_level
            order by n_category_results desc, participant_category collate "C" asc nulls last
        )
),

attributed as (
    select
        person_key,
        year,
        gia_level,
        ate_code,
        school_code,
        participant_category,
        coalesce(participant_category = 'ВТГ', false) as is_graduate,
        n_results
    from ranked
    where row_rank = 1
)

select * from attributed
