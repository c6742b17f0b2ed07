-- GIA-16 Отношение среднего балла ЕГЭ в 10% лучших школ к 10% худших.
-- School mean = mean test score of the school's graduates' Russian (1) and profile maths (2)
-- results (int_gia_school_means_aggregated); schools with >= 10 such results are ranked,
-- k = ceil(10 % of those schools); numerator = mean of the top-k school means, denominator =
-- mean of the bottom-k school means, value = numerator / denominator. Region: all schools of
-- the region; municipality: that municipality's schools only. Ties in the ranking do not
-- change the means (tied schools have the same mean).
-- Lineage (var lineage_indicators; rows with load_id set, the published ones have NULL): the
-- counted unit of GIA-16 is a result in the mean of a tail school — per territory and load,
-- denominator = the results of that load in the top-k and bottom-k schools (a school in both
-- tails once), numerator = those in the top-k schools; value NULL
-- (int_gia_school_mean_results, the very results the school means are made of).

{{ config(**incremental_by_year()) }}

with

school_means as (
    select * from {{ ref('int_gia_school_means_aggregated') }} {{ incremental_years_filter() }}
),

school_loads as (
    select
        year,
        school_code,
        load_id,
        count(*) as n_results
    from {{ ref('int_gia_school_mean_results') }} {{ incremental_years_filter() }}
    group by year, school_code, load_id
),

eligible_schools as (
    select * from school_means
    where n_results >= 10
),

school_territories as (
    select
        year,
        'region'::text as territory_level,
        '00'::text as territory_code,
        school_code,
        mean_score
    from eligible_schools
    union all
    select
        year,
        'municipality'::text as territory_level,
        ate_code as territory_code,
        school_code,
        mean_score
    from eligible_schools
    where ate_code is not null
),

ranked as (
    select
        *,
        ceil((count(*) over territory_schools) / 10.0) as k,
        row_number() over (
            territory_schools order by mean_score desc, school_code asc
        ) as rank_from_top,
        row_number() over (
            territory_schools order by mean_score asc, school_code asc
        ) as rank_from_bottom
    from school_territories
    window territory_schools as (partition by year, territory_level, territory_code)
),

tails as (
    select
        year,
        territory_level,
        territory_code,
        avg(mean_score) filter (where rank_from_top <= k) as top_mean,
        avg(mean_score) filter (where rank_from_bottom <= k) as bottom_mean
    from ranked
    group by year, territory_level, territory_code
),

tail_loads as (
    select
        ranked.year,
        ranked.territory_level,
        ranked.territory_code,
        school_loads.load_id,
        sum(school_loads.n_results) filter (where ranked.rank_from_top <= ranked.k)
            as top_results,
        sum(school_loads.n_results) as tail_results
    from ranked
    inner join school_loads
        on
            ranked.year = school_loads.year
            and ranked.school_code = school_loads.school_code
    where ranked.rank_from_top <= ranked.k or ranked.rank_from_bottom <= ranked.k
    group by ranked.year, ranked.territory_level, ranked.territory_code, school_loads.load_id
),

indicator as (
    select
        'GIA-16'::text as indicator_code,
        year,
        territory_level,
        territory_code,
        null::text as exam,
        null::integer as subject_code,
        null::text as participant_category,
        null::integer as grade,
        null::text as breakdown_key,
        round(top_mean, 6) as numerator,
        round(bottom_mean, 6) as denominator,
        {{ indicator_value('ratio', 'top_mean', 'bottom_mean') }} as value,
        null::bigint as load_id
    from tails
    where bottom_mean > 0
),

lineage as (
    select
        'GIA-16'::text as indicator_code,
        tail_loads.year,
        tail_loads.territory_level,
        tail_loads.territory_code,
        null::text as exam,
        null::integer as subject_code,
        null::text as participant_category,
        null::integer as grade,
        null::text as breakdown_key,
        coalesce(tail_loads.top_results, 0)::numeric as numerator,
        tail_loads.tail_results::numeric as denominator,
        null::numeric as value,
        tail_loads.load_id::bigint as load_id
    from tail_loads
    inner join indicator
        on
            tail_loads.year = indicator.year
            and tail_loads.territory_level = indicator.territory_level
            and tail_loads.territory_code = indicator.territory_code
),

final as (
    select * from indicator
    union all
    select * from lineage
)

select * from final
