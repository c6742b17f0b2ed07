-- One row per career-guidance indicator (CAR-01 … CAR-08) × year × territory × breakdown: the
-- union of the indicator models of models/intermediate/career/indicators/, listed in var
-- indicator_families (dbt_project.yml). A new indicator of the family is one more model there
-- and its name in that list.

{{ config(**incremental_by_year()) }}

{{ union_indicator_models(indicator_family_models('career')) }}
