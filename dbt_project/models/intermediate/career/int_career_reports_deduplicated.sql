-- One row per school and year: the school's career-guidance report ("one row per school per
-- year", sources.md). Should several rows of one school and year have been loaded (e.g. by
-- files of different scope), the newest load wins, within it the last line.
-- The report belongs to the school and the municipality (Код АТЕ) in its row.

with

reports as (
    select * from {{ ref('stg_uploads__career_reports') }}
),

ranked as (
    select
        *,
        row_number() over (
            partition by year, school_code
            order by load_id desc, source_row desc
        ) as report_rank,
        count(*) over (partition by year, school_code) as n_rows
    from reports
    where school_code is not null and year is not null
),

deduplicated as (
    select
        load_id,
        source_row,
        school_year,
        year,
        ate_code,
        school_code,
        students_6_11,
        bvb_participants,
        bvb_recommendations,
        proektoria_participants,
        grads_9,
        grads_11,
        grads_9_continued,
        vocational_completed,
        profile_gia_choice,
        spo_profile,
        vo_profile,
        enterprise_events,
        model_level,
        n_rows
    from ranked
    where report_rank = 1
)

select * from deduplicated
