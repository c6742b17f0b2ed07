#!/usr/bin/env bash
# Creates the warehouse, Airflow and Metabase databases and their owners (first start only).
set -euo pipefail
psql -v ON_ERROR_STOP=1 --username postgres <<SQL
create role edu_dwh login password '${EDU_DWH_DB_PASSWORD}';
create database edu_dwh owner edu_dwh;
create role airflow login password '${AIRFLOW_DB_PASSWORD}';
create database airflow owner airflow;
create role metabase login password '${METABASE_DB_PASSWORD}';
create database metabase owner metabase;
-- BI users (Metabase's connection to the warehouse) read marts and reference only
create role edu_dwh_bi_reader nologin;
create role metabase_reader login password '${METABASE_DB_PASSWORD}' in role edu_dwh_bi_reader;
SQL
