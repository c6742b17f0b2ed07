{#-
    The rows of a year-versioned reference seed that are in force for every result year of
    the ФИС ГИА exports and of the regional diagnostic works: per result year (and per
    `keys`, e.g. subject), the seed row of the latest seed year not after the result year
    (values hold until the seed says otherwise); before the first seed year, the first one.
    Returns `year`, the `keys`, the `columns` and `seed_year` (the seed row's own year).
-#}
{% macro seed_rows_in_force(seed_name, columns, keys=[]) %}

with

gia as (
    select * from {{ ref('stg_fis_gia__results') }}
),

diagnostic as (
    select * from {{ ref('stg_regional__diagnostic_results') }}
),

reference_seed as (
    select * from {{ ref(seed_name) }}
),

result_years as (
    select year from gia
    union
    select year from diagnostic
),

ranked as (
    select
        result_years.year,
        {%- for column in keys + columns %}
        reference_seed.{{ column }},
        {%- endfor %}
        reference_seed.year as seed_year,
        row_number() over (
            partition by result_years.year
            {%- for key in keys %}, reference_seed.{{ key }}{% endfor %}
            order by
                (reference_seed.year <= result_years.year) desc,
                abs(result_years.year - reference_seed.year) asc
        ) as seed_rank
    from result_years
    cross join reference_seed
    where result_years.year is not null
),

final as (
    select
        year,
        {%- for column in keys + columns %}
        {{ column }},
        {%- endfor %}
        seed_year
    from ranked
    where seed_rank = 1
)

select * from final

{% endmacro %}
