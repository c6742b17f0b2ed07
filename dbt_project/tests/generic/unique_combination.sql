{#
    The combination of columns is unique (NULLs compare equal, as in GROUP BY).
    No packages are available offline, so this replaces dbt_utils.unique_combination_of_columns.
#}
{% test unique_combination(model, combination_of_columns) %}

with grouped as (
    select
        {{ combination_of_columns | join(',\n        ') }},
        count(*) as n_rows
    from {{ model }}
    group by {{ combination_of_columns | join(', ') }}
)

select * from grouped
where n_rows > 1

{% endtest %}
