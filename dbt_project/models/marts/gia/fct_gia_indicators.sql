-- One row per ГИА indicator (GIA-01 … GIA-16) × year × territory × breakdown: the union of the
-- indicator models of models/intermediate/gia/indicators/, listed in var indicator_families
-- (dbt_project.yml). A new indicator of the family is one more model there and its name in
-- that list.

{{ config(**incremental_by_year()) }}

{{ union_indicator_models(indicator_family_models('gia')) }}
