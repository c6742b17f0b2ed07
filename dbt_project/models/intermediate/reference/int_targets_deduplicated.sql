-- One row per target: (indicator_code, year, territory_level, territory_code, subject_code)
-- from reference/targets.csv; should a target occur twice, the newest load's last row wins.

with

targets as (
    select * from {{ ref('stg_reference__targets') }}
),

ranked as (
    select
        *,
        row_number() over (
            partition by indicator_code, year, territory_level, territory_code, subject_code
            order by load_id desc, source_row desc
        ) as target_rank
    from targets
    where territory_level is not null
),

deduplicated as (
    select
        indicator_code,
        year,
        territory_level,
        territory_code,
        subject_code,
        target_value
    from ranked
    where target_rank = 1
)

select * from deduplicated
