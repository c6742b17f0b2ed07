{#
    Every row satisfies a boolean SQL expression (rows where it is false are failures;
    NULL counts as satisfied, so optional columns need no guard).
#}
{% test expression_is_true(model, expression) %}

select * from {{ model }}
where not ({{ expression }})

{% endtest %}
