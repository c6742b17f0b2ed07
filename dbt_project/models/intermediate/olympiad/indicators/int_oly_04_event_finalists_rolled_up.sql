-- OLY-04 Число участников заключительного этапа/завершивших программу по мероприятиям =
-- distinct students per event: stage `заключительный` for Большие вызовы, НТО, Большая
-- перемена; stage `обучение завершено` for Сириус, Код будущего (other stages of those
-- events do not count); region, municipalities, schools.
-- breakdown_key = the event name; for НТО also the grade bands `НТО 5-7` (grades 5–7) and
-- `НТО 8-11` (grades 8–11) — a НТО finalist of another grade counts in `НТО` only. A student
-- with several tracks/subjects of one event counts once; their grade, school and
-- municipality are those of one of their qualifying rows (a row with a school first, then
-- the newest load, then the first line; its load is the student's in the lineage). No
-- total row (the catalogue gives one for OLY-01 … 03 only); grade NULL.
-- Zero rows: every territory with any uploads/olympiad row in the year publishes a row per
-- event with >= 1 counted student in the region that year, and both НТО bands whenever НТО
-- is among them.

{{ config(**incremental_by_year()) }}

with

entries as (
    select * from {{ ref('int_olympiad_entries_deduplicated') }} {{ incremental_years_filter() }}
),

territories as (
    select * from {{ ref('int_olympiad_territories_with_rows') }} {{ incremental_years_filter() }}
),

counted_stages as (
    select
        event,
        stage
    from (
        values
        ('Большие вызовы', 'заключительный'),
        ('НТО', 'заключительный'),
        ('Большая перемена', 'заключительный'),
        ('Сириус', 'обучение завершено'),
        ('Код будущего', 'обучение завершено')
    ) as counted_stages (event, stage)
),

qualifying as (
    select entries.*
    from entries
    inner join counted_stages
        on
            entries.event = counted_stages.event
            and entries.stage = counted_stages.stage
),

students as (
    select distinct on (year, event, person_key)
        year,
        event,
        person_key,
        grade,
        ate_code,
        school_code,
        load_id
    from qualifying
    order by
        year asc,
        event asc,
        person_key asc,
        (school_code is null) asc,
        load_id desc,
        source_row asc
),

facts as (
    select
        year,
        ate_code,
        school_code,
        event as breakdown_key,
        1 as numerator,
        1 as denominator,
        load_id
    from students
    union all
    select
        year,
        ate_code,
        school_code,
        case
            when grade between 5 and 7 then 'НТО 5-7'
            when grade between 8 and 11 then 'НТО 8-11'
        end as breakdown_key,
        1 as numerator,
        1 as denominator,
        load_id
    from students
    where event = 'НТО' and grade between 5 and 11
),

region_events as (
    select distinct
        year,
        event
    from students
),

breakdowns as (
    select
        year,
        null::text as exam,
        null::integer as subject_code,
        null::text as participant_category,
        null::integer as grade,
        event as breakdown_key
    from region_events
    union
    select
        region_events.year,
        null::text as exam,
        null::integer as subject_code,
        null::text as participant_category,
        null::integer as grade,
        bands.band as breakdown_key
    from region_events
    cross join (values ('НТО 5-7'), ('НТО 8-11')) as bands (band)
    where region_events.event = 'НТО'
),

indicator as (
    {{ zero_filled_count_indicator(
        'OLY-04', 'facts', 'territories',
        breakdowns=[['breakdown_key']], frame='breakdowns', lineage=true
    ) }}
)

select * from indicator
