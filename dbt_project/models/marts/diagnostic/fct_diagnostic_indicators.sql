-- One row per diagnostic-work indicator (DR-01 … DR-03) × year × territory × breakdown: the
-- union of the indicator models of models/intermediate/diagnostic/indicators/, listed in var
-- indicator_families (dbt_project.yml).

{{ config(**incremental_by_year()) }}

{{ union_indicator_models(indicator_family_models('diagnostic')) }}
