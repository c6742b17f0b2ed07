-- One row per olympiad indicator (OLY-01 … OLY-04) × year × territory × breakdown: the union of
-- the indicator models of models/intermediate/olympiad/indicators/. A new indicator of the family
-- is one more model there and one more name in the list below.

{%- set olympiad_indicator_models = [
    'int_oly_01_vsosh_regional_winners_rolled_up',
    'int_oly_02_vsosh_final_participants_rolled_up',
    'int_oly_03_vsosh_municipal_75_rolled_up',
    'int_oly_04_event_finalists_rolled_up',
] %}

with

{% for model_name in olympiad_indicator_models %}
{{ model_name }} as (
    select * from {{ ref(model_name) }}
),
{% endfor %}

unioned as (
    {%- for model_name in olympiad_indicator_models %}
    {% if not loop.first %}union all{% endif %}
    select {{ indicator_columns() | join(', ') }}
    from {{ model_name }}
    {%- endfor %}
)

select * from unioned
