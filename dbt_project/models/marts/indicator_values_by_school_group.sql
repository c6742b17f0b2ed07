-- PUBLIC CONTRACT (spec/indicators.md "School groups").
-- Region and municipality rows of GIA-01, GIA-03, GIA-10, GIA-11, VPR-01, VPR-02 and DR-01
-- per school group: the columns of indicator_values plus school_group_kind and
-- school_group. The indicator models of var school_group_indicators compute these rows
-- beside their ordinary ones (rollup_indicator(school_groups=true)); this mart keeps them.

{{ config(**incremental_by_year()) }}

with

group_rows as (
    {%- for model_name in var('school_group_indicators') %}
    {% if not loop.first %}union all{% endif %}
    select {{ indicator_columns() | join(', ') }}, school_group_kind, school_group
    from {{ ref(model_name) }}
    where school_group_kind is not null {{ incremental_years_filter('and') }}
    {%- endfor %}
),

{{ published_indicator_rows('group_rows', extra_columns=['school_group_kind', 'school_group']) }}

select * from final
