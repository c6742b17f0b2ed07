#!/usr/bin/env bash
# Creates the warehouse, Airflow and Metabase databases and their owners, and the BI roles.
# Runs once, on the first start of the postgres service (empty data volume); later changes
# of the passwords in .env must be made in the database too (alter role … password …).
# Passwords are passed as psql variables (:'name' quotes them), never pasted into SQL text.
set -euo pipefail
psql -v ON_ERROR_STOP=1 --username postgres --dbname postgres \
  -v edu_dwh_pw="${EDU_DWH_DB_PASSWORD:?}" \
  -v airflow_pw="${AIRFLOW_DB_PASSWORD:?}" \
  -v metabase_pw="${METABASE_DB_PASSWORD:?}" \
  -v reader_pw="${METABASE_READER_PASSWORD:?}" <<'SQL'
create role edu_dwh login password :'edu_dwh_pw';
create database edu_dwh owner edu_dwh;
create role airflow login password :'airflow_pw';
create database airflow owner airflow;
-- Metabase's own application database (questions, dashboards, users)
create role metabase login password :'metabase_pw';
create database metabase owner metabase;
-- BI users (Metabase's connection to the warehouse) read marts and reference only; rows of
-- the marts by access level (orchestration/row_security.py): the ministry's role sees every
-- row, a municipal role (edu_dwh_mun_<Код АТЕ>, made by the pipeline from the registry, a
-- member of edu_dwh_municipal) its municipality, its schools and the region's totals
create role edu_dwh_bi_reader nologin;
create role edu_dwh_ministry nologin in role edu_dwh_bi_reader;
create role edu_dwh_municipal nologin in role edu_dwh_bi_reader;
create role metabase_reader login password :'reader_pw' in role edu_dwh_ministry;
-- the pipeline creates one NOLOGIN role per municipality at publication, and `edu-dwh access
-- login` LOGIN members of them or of the ministry's role: PostgreSQL 16 lets a CREATEROLE user
-- make roles and add them to groups it administers (without being in them), nothing more
alter role edu_dwh createrole;
grant edu_dwh_municipal to edu_dwh with admin option, inherit false, set false;
grant edu_dwh_ministry to edu_dwh with admin option, inherit false, set false;
SQL
