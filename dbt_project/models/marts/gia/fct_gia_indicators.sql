-- One row per ГИА indicator (GIA-01 … GIA-16) × year × territory × breakdown: the union of
-- the indicator models of models/intermediate/gia/indicators/. A new ГИА indicator is one
-- more model there and one more name in the list below.

{%- set gia_indicator_models = [
    'int_gia_01_below_min_rolled_up',
    'int_gia_02_univ_min_rolled_up',
    'int_gia_03_mean_test_score_rolled_up',
    'int_gia_04_hundred_point_rolled_up',
    'int_gia_05_hundred_point_graduates_rolled_up',
    'int_gia_06_top3_sum_rolled_up',
    'int_gia_07_two_subject_sum_rolled_up',
    'int_gia_08_oge_top3_marks_rolled_up',
    'int_gia_09_certificate_rolled_up',
    'int_gia_10_participants_below_min_rolled_up',
    'int_gia_11_high_level_rolled_up',
    'int_gia_12_above_region_mean_rolled_up',
    'int_gia_13_subject_choice_rolled_up',
    'int_gia_14_additional_period_rolled_up',
    'int_gia_15_oge_ege_continuity_rolled_up',
    'int_gia_16_school_ratio_rolled_up',
] %}

with

{% for model_name in gia_indicator_models %}
{{ model_name }} as (
    select * from {{ ref(model_name) }}
),
{% endfor %}

unioned as (
    {%- for model_name in gia_indicator_models %}
    {% if not loop.first %}union all{% endif %}
    select {{ indicator_columns() | join(', ') }}
    from {{ model_name }}
    {%- endfor %}
)

select * from unioned
