-- How many municipal-stage ВсОШ participants reached the regional-stage pass score (seed
-- olympiad_pass_scores, from the ministry's table in 001_8cf94bdfb0c064c7.txt). Not an
-- indicator of the catalogue (no code), so a mart of its own.
-- One row per year × territory (region, municipality, school) × subject × grade (9, 10, 11)
-- for which the seed has a pass score and the territory has >= 1 participant:
--   participants = distinct (student, subject) at ВсОШ stage `муниципальный` in that subject
--                  and grade (int_olympiad_entries_deduplicated; grade of the entry's
--                  attribution row);
--   reached      = those of them whose best Балл >= the pass score (a missing Балл does not
--                  reach it); the seed's percent is informational only.
-- Matching: school year via its second year (year), subject name case-insensitively after
-- trimming, grade exactly. `subject` is published as spelled in the seed.

{{ config(**incremental_by_year()) }}

with

entries as (
    select * from {{ ref('int_olympiad_entries_deduplicated') }} {{ incremental_years_filter() }}
),

pass_scores as (
    select * from {{ ref('olympiad_pass_scores') }}
),

territories as (
    select * from {{ ref('int_territories_unioned') }}
),

participants as (
    select
        entries.year,
        entries.ate_code,
        entries.school_code,
        pass_scores.subject,
        pass_scores.grade,
        pass_scores.pass_score,
        coalesce(entries.best_score >= pass_scores.pass_score, false) as has_reached
    from entries
    inner join pass_scores
        on
            entries.year = pass_scores.year
            and lower(entries.subject) = lower(trim(pass_scores.subject))
            and entries.grade = pass_scores.grade
    where entries.event = 'ВсОШ' and entries.stage = 'муниципальный'
),

-- region (code 00), each municipality (Код АТЕ) and each school (Код ОО)
{%- set territory_keys = {'region': none, 'municipality': 'ate_code', 'school': 'school_code'} %}
by_territory as (
    {%- for level, key in territory_keys.items() %}
    {% if not loop.first %}union all{% endif %}
    select
        year,
        '{{ level }}'::text as territory_level,
        {{ key if key else "'00'" }}::text as territory_code,
        subject,
        grade,
        pass_score,
        count(*) as participants,
        count(*) filter (where has_reached) as reached
    from participants
    {%- if key %}
    where {{ key }} is not null
    {%- endif %}
    group by year, {{ key ~ ', ' if key }}subject, grade, pass_score
    {%- endfor %}
),

final as (
    select
        by_territory.year::integer as year,
        by_territory.territory_level::text as territory_level,
        by_territory.territory_code::text as territory_code,
        territories.territory_name::text as territory_name,
        by_territory.subject::text as subject,
        by_territory.grade::integer as grade,
        by_territory.participants::integer as participants,
        by_territory.reached::integer as reached,
        by_territory.pass_score::numeric as pass_score
    from by_territory
    left join territories
        on
            by_territory.territory_level = territories.territory_level
            and by_territory.territory_code = territories.territory_code
)

select * from final
