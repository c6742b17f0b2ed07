-- The selected results of each attributed participant: one row per result
-- (int_gia_results_selected) with the person's attributed municipality, school and category
-- (int_gia_persons_attributed) instead of the result's own. The facts of the person-level
-- indicators (GIA-05 … 10, 13). load_id: the load of the result's best sitting (lineage: a
-- person counts for the lowest load_id among the results that put them into a row).

{{ config(**incremental_by_year()) }}

with

results as (
    select * from {{ ref('int_gia_results_selected') }} {{ incremental_years_filter() }}
),

persons as (
    select * from {{ ref('int_gia_persons_attributed') }} {{ incremental_years_filter() }}
),

person_results as (
    select
        persons.person_key,
        persons.year,
        persons.gia_level,
        persons.ate_code,
        persons.school_code,
        persons.participant_category,
        persons.is_graduate,
        results.exam,
        results.subject_code,
        results.test_score,
        results.is_test_scored,
        results.mark,
        results.is_below_min,
        results.load_id
    from persons
    inner join results
        on
            persons.person_key = results.person_key
            and persons.year = results.year
            and persons.gia_level = results.gia_level
)

select * from person_results
