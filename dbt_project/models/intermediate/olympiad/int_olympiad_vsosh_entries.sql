-- The ВсОШ entries (int_olympiad_entries_deduplicated, event `ВсОШ`): one row per distinct
-- (year, stage, subject, student). The facts of OLY-01 … 03, whose breakdown is the subject
-- as uploaded: breakdown_key = subject. load_id: the load of the entry's attribution row (the
-- file it is counted for in the lineage, marts.indicator_row_sources).

{{ config(**incremental_by_year()) }}

with

entries as (
    select * from {{ ref('int_olympiad_entries_deduplicated') }} {{ incremental_years_filter() }}
),

vsosh_entries as (
    select
        year,
        stage,
        subject,
        subject as breakdown_key,
        person_key,
        grade,
        ate_code,
        school_code,
        is_prize_winner,
        reached_75,
        load_id
    from entries
    where event = 'ВсОШ'
)

select * from vsosh_entries
