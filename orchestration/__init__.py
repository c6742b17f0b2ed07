"""Orchestration: the only place that ties ingestion, Great Expectations and dbt together
(pipeline steps, one run at a time, dbt build and all-or-nothing publication, the CLI)."""
