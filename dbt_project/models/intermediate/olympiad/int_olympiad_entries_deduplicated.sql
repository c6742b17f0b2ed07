-- One row per entry: (year, event, stage, subject, person_key) — "a student counts once per
-- event/stage/subject" (sources.md). Rows repeating an entry (e.g. the same student in a
-- school's and in a municipality's upload) collapse into one:
--   * best_status_rank / is_prize_winner: the best status among the rows
--     (победитель 3 > призёр 2 > участник 1);
--   * best_score and reached_75: the highest score, and whether any row has
--     Балл >= 0.75 × Максимальный балл (Максимальный балл > 0);
--   * the attribution row (grade, municipality, school, score, max score) is the row with the
--     best status, then the highest score share, then highest score, then a row with a
--     school, then the newest load, then the first line.
-- Rows without person_key (rejected at ingestion anyway) or year are left out.

{{ config(**incremental_by_year()) }}

with

results as (
    select * from {{ ref('stg_uploads__olympiad_results') }} {{ incremental_years_filter() }}
),

scored as (
    select
        *,
        case status
            when 'победитель' then 3
            when 'призёр' then 2
            when 'участник' then 1
            else 0
        end as status_rank,
        case when max_score > 0 then score / max_score end as score_share,
        coalesce(max_score > 0 and score >= 0.75 * max_score, false) as is_75_row
    from results
    where person_key is not null and year is not null
),

ranked as (
    select
        *,
        row_number() over (
            partition by year, event, stage, subject, person_key
            order by
                status_rank desc,
                score_share desc nulls last,
                score desc nulls last,
                (school_code is null) asc,
                load_id desc,
                source_row asc
        ) as entry_rank,
        count(*) over entry as n_rows,
        max(status_rank) over entry as best_status_rank,
        max(score) over entry as best_score,
        bool_or(is_75_row) over entry as reached_75
    from scored
    window entry as (partition by year, event, stage, subject, person_key)
),

final as (
    select
        year,
        school_year,
        event,
        stage,
        subject,
        person_key,
        grade,
        ate_code,
        school_code,
        status,
        score,
        max_score,
        best_status_rank,
        best_status_rank >= 2 as is_prize_winner,
        best_score,
        reached_75,
        n_rows,
        load_id,
        source_row
    from ranked
    where entry_rank = 1
)

select * from final
