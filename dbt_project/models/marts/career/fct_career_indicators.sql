-- One row per career-guidance indicator (CAR-01 … CAR-08) × year × territory × breakdown: the union of
-- the indicator models of models/intermediate/career/indicators/. A new indicator of the family
-- is one more model there and one more name in the list below.

{%- set career_indicator_models = [
    'int_car_01_bvb_recommendations_rolled_up',
    'int_car_02_proektoria_rolled_up',
    'int_car_03_vocational_training_rolled_up',
    'int_car_04_grade_10_continuation_rolled_up',
    'int_car_05_profile_gia_choice_rolled_up',
    'int_car_06_profile_admissions_rolled_up',
    'int_car_07_model_levels_rolled_up',
    'int_car_08_enterprise_events_rolled_up',
] %}

with

{% for model_name in career_indicator_models %}
{{ model_name }} as (
    select * from {{ ref(model_name) }}
),
{% endfor %}

unioned as (
    {%- for model_name in career_indicator_models %}
    {% if not loop.first %}union all{% endif %}
    select {{ indicator_columns() | join(', ') }}
    from {{ model_name }}
    {%- endfor %}
)

select * from unioned
