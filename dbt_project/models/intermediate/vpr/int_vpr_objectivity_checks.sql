-- One row per objectivity check of a school (VPR-04, indicators.md), flagged or not:
--   rule 'a': one row per school and year with >= 20 works with a journal mark;
--             value = `повысили` share of those works (%), flagged when value >= 15.
--   rule 'b': one row per school, year, grade and subject where the school has >= 10 works;
--             value = the school's mean primary score; m and s = mean and sample standard
--             deviation (n - 1) of the mean primary scores of all the region's schools with
--             >= 10 works in that year, grade and subject (the school itself included);
--             threshold = m + 2s; flagged when value > threshold (strictly). With a single
--             school in the comparison s is undefined (NULL) and nothing is flagged.
-- Comparisons use unrounded values; the published columns are rounded to 6 decimals.

{{ config(**incremental_by_year()) }}

{%- set rule_a_min_journal_works = 20 %}
{%- set rule_a_min_raised_share = 15 %}
{%- set rule_b_min_works = 10 %}
{%- set rule_b_stddevs = 2 %}

with

schools as (
    select * from {{ ref('int_vpr_schools_aggregated') }} {{ incremental_years_filter() }}
),

school_subject_means as (
    select * from {{ ref('int_vpr_school_subject_means_aggregated') }}
    {{ incremental_years_filter() }}
),

rule_a as (
    select
        year,
        school_code,
        ate_code,
        'a'::text as rule,
        null::integer as grade,
        null::integer as subject_code,
        n_journal_works as works,
        100.0 * n_raised_works / n_journal_works as value,
        {{ rule_a_min_raised_share }}::numeric as threshold,
        null::numeric as m,
        null::numeric as s,
        null::bigint as schools_in_comparison,
        100.0 * n_raised_works >= {{ rule_a_min_raised_share }} * n_journal_works as is_flagged
    from schools
    where n_journal_works >= {{ rule_a_min_journal_works }}
),

rule_b_eligible as (
    select * from school_subject_means
    where n_works >= {{ rule_b_min_works }}
),

rule_b_compared as (
    select
        *,
        avg(mean_primary_score) over comparison as m,
        stddev_samp(mean_primary_score) over comparison as s,
        count(*) over comparison as schools_in_comparison
    from rule_b_eligible
    window comparison as (partition by year, grade, subject_code)
),

rule_b as (
    select
        year,
        school_code,
        ate_code,
        'b'::text as rule,
        grade,
        subject_code,
        n_works as works,
        mean_primary_score as value,
        m + {{ rule_b_stddevs }} * s as threshold,
        m,
        s,
        schools_in_comparison,
        coalesce(mean_primary_score > m + {{ rule_b_stddevs }} * s, false) as is_flagged
    from rule_b_compared
),

unioned as (
    select * from rule_a
    union all
    select * from rule_b
),

final as (
    select
        year::integer as year,
        school_code::text as school_code,
        ate_code::text as ate_code,
        rule,
        grade::integer as grade,
        subject_code::integer as subject_code,
        works::integer as works,
        round(value, 6)::numeric as value,
        round(threshold, 6)::numeric as threshold,
        round(m, 6)::numeric as m,
        round(s, 6)::numeric as s,
        schools_in_comparison::integer as schools_in_comparison,
        is_flagged
    from unioned
)

select * from final
