-- One row per ВПР indicator (VPR-01 … VPR-04) × year × territory × breakdown: the union of
-- the indicator models of models/intermediate/vpr/indicators/. A new indicator of the family
-- is one more model there and one more name in the list below.

{%- set vpr_indicator_models = [
    'int_vpr_01_mark_2_rolled_up',
    'int_vpr_02_mark_5_rolled_up',
    'int_vpr_03_journal_match_rolled_up',
    'int_vpr_04_objectivity_rolled_up',
] %}

with

{% for model_name in vpr_indicator_models %}
{{ model_name }} as (
    select * from {{ ref(model_name) }}
),
{% endfor %}

unioned as (
    {%- for model_name in vpr_indicator_models %}
    {% if not loop.first %}union all{% endif %}
    select {{ indicator_columns() | join(', ') }}
    from {{ model_name }}
    {%- endfor %}
)

select * from unioned
