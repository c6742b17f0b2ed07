-- DR-03 Доля результатов ЕГЭ ниже минимума, предсказанных ДР (полнота сигнала) = ЕГЭ results
-- below the minimum whose student was below the minimum at work n / ЕГЭ results below the
-- minimum of the work's linked students, by work and subject; region, municipalities (the
-- territory of the diagnostic row).

{{ config(**incremental_by_year()) }}

with

linked_below as (
    select
        *,
        work_key as breakdown_key
    from {{ ref('int_diagnostic_participants_linked') }}
    where is_linked and is_ege_below_min {{ incremental_years_filter('and') }}
),

indicator as (
    {{ rollup_indicator(
        'DR-03', 'linked_below', 'share', dims=['subject_code', 'breakdown_key'],
        levels=['region', 'municipality'],
        numerator='is_below_min::integer', denominator='1', lineage=true
    ) }}
)

select * from indicator
