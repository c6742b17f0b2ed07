-- PUBLIC CONTRACT (spec/indicators.md "Рейтинги", RNK-01 … RNK-05).
-- One row per year × territory level (municipality, school) × territory × rating row-set:
-- a component row per row-set of seed rating_set the territory has a value for
-- (indicator_code + breakdown), and the integral row (indicator_code and breakdown NULL).
-- Municipalities are rated among the region's municipalities, schools among all the
-- region's schools (RNK-05). Components absent from indicator_values are absent here.

{{ config(**incremental_by_year(reads_previous_years=1)) }}

-- a rating row-set: an indicator and its breakdown (the columns of seed rating_set)
{%- set row_set = [
    'indicator_code', 'exam', 'subject_code', 'participant_category', 'grade', 'breakdown_key'
] %}
{%- set territory = ['year', 'territory_level', 'territory_code', 'territory_name'] %}

with

indicator_values as (
    select * from {{ ref('indicator_values') }} {{ incremental_years_filter() }}
),

rating_set as (
    select * from {{ ref('rating_set') }}
),

-- the published rows of the rating set, rated territories only, rated indicators only
component_values as (
    select
        indicator_values.year,
        indicator_values.territory_level,
        indicator_values.territory_code,
        indicator_values.territory_name,
        indicator_values.indicator_code,
        indicator_values.exam,
        indicator_values.subject_code,
        indicator_values.participant_category,
        indicator_values.grade,
        indicator_values.breakdown_key,
        indicator_values.direction,
        indicator_values.value
    from indicator_values
    inner join rating_set
        on
            indicator_values.indicator_code = rating_set.indicator_code
            and indicator_values.exam is not distinct from rating_set.exam
            and indicator_values.subject_code is not distinct from rating_set.subject_code
            and indicator_values.participant_category
            is not distinct from rating_set.participant_category
            and indicator_values.grade is not distinct from rating_set.grade
            and indicator_values.breakdown_key is not distinct from rating_set.breakdown_key
    where
        indicator_values.territory_level in ('municipality', 'school')
        and indicator_values.direction in ('↑', '↓')
        and indicator_values.value is not null
),

-- RNK-01: best and worst value of the row-set across the level's territories
component_bounds as (
    select
        *,
        max(value) over row_set as max_value,
        min(value) over row_set as min_value
    from component_values
    window row_set as (
        partition by
            year,
            territory_level,
            {{ row_set | join(',\n            ') }}
    )
),

component_scores as (
    select
        {{ (territory + row_set) | join(',\n        ') }},
        round(
            case
                when max_value = min_value then 100
                when direction = '↑' then 100 * (value - min_value) / (max_value - min_value)
                else 100 * (max_value - value) / (max_value - min_value)
            end,
            6
        ) as score
    from component_bounds
),

component_places as (
    select
        *,
        rank() over (
            partition by
                year,
                territory_level,
                {{ row_set | join(',\n                ') }}
            order by score desc
        ) as place,
        null::text as traffic_light
    from component_scores
),

-- RNK-02: mean of the component scores the territory has
integral_scores as (
    select
        year,
        territory_level,
        territory_code,
        max(territory_name) as territory_name,
        round(avg(score), 6) as score
    from component_scores
    group by year, territory_level, territory_code
),

-- RNK-03 place (1 = best, ties share the lower place), RNK-04 traffic light
integral_places as (
    select
        year,
        territory_level,
        territory_code,
        territory_name,
        null::text as indicator_code,
        null::text as exam,
        null::integer as subject_code,
        null::text as participant_category,
        null::integer as grade,
        null::text as breakdown_key,
        score,
        rank() over (partition by year, territory_level order by score desc) as place,
        case
            when score >= 80 then 'оптимальный'
            when score >= 60 then 'допустимый'
            when score >= 40 then 'недостаточный'
            else 'критический'
        end as traffic_light
    from integral_scores
),

ratings as (
    {%- for places in ['component_places', 'integral_places'] %}
    {% if not loop.first %}union all{% endif %}
    select
        {{ (territory + row_set) | join(',\n        ') }},
        score,
        place,
        traffic_light
    from {{ places }}
    {%- endfor %}
),

-- the same territory's place in the same row-set in the previous year
with_previous as (
    select
        *,
        lag(year) over territory_row_set as previous_year,
        lag(place) over territory_row_set as previous_place
    from ratings
    window territory_row_set as (
        partition by
            territory_level,
            territory_code,
            {{ row_set | join(',\n            ') }}
        order by year
    )
),

with_prev_place as (
    select
        *,
        case when previous_year = year - 1 then previous_place end as prev_place
    from with_previous
),

final as (
    select
        year::integer as year,
        territory_level::text as territory_level,
        territory_code::text as territory_code,
        territory_name::text as territory_name,
        indicator_code::text as indicator_code,
        exam::text as exam,
        subject_code::integer as subject_code,
        participant_category::text as participant_category,
        grade::integer as grade,
        breakdown_key::text as breakdown_key,
        score::numeric as score,
        place::integer as place,
        prev_place::integer as prev_place,
        (prev_place - place)::integer as place_change,
        traffic_light::text as traffic_light
    from with_prev_place
)

select * from final
