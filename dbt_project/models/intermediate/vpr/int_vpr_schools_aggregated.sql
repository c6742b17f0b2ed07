-- One row per school and year with >= 1 ВПР work: the school's municipality and its work
-- counts over all grades and subjects (input of VPR-04 and its rule (a)).
-- Municipality = the Код АТЕ of the school's rows (a work belongs to the municipality in its
-- row); should the rows disagree, the most frequent one, ties to the smallest code.

{{ config(**incremental_by_year()) }}

with

works as (
    select * from {{ ref('int_vpr_works_compared') }} {{ incremental_years_filter() }}
),

ate_counts as (
    select
        year,
        school_code,
        ate_code,
        count(*) as n_rows
    from works
    where school_code is not null
    group by year, school_code, ate_code
),

ate_ranked as (
    select
        *,
        row_number() over (
            partition by year, school_code
            order by n_rows desc, ate_code collate "C" asc nulls last
        ) as ate_rank
    from ate_counts
),

school_counts as (
    select
        year,
        school_code,
        count(*) as n_works,
        count(*) filter (where has_journal_mark) as n_journal_works,
        count(*) filter (where journal_comparison = 'повысили') as n_raised_works
    from works
    where school_code is not null
    group by year, school_code
),

final as (
    select
        school_counts.year,
        school_counts.school_code,
        ate_ranked.ate_code,
        school_counts.n_works,
        school_counts.n_journal_works,
        school_counts.n_raised_works
    from school_counts
    inner join ate_ranked
        on
            school_counts.year = ate_ranked.year
            and school_counts.school_code = ate_ranked.school_code
            and ate_ranked.ate_rank = 1
)

select * from final
