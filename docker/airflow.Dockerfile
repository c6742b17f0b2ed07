# Airflow 3 image with the edu-dwh package, dbt and Great Expectations (one venv, pinned).
FROM python:3.11-slim
ENV PIP_NO_CACHE_DIR=1 PYTHONUNBUFFERED=1
WORKDIR /opt/edu-dwh
COPY requirements.txt pyproject.toml ./
RUN pip install -r requirements.txt
COPY sources sources
COPY ingestion ingestion
COPY orchestration orchestration
COPY reporting reporting
COPY expectations expectations
COPY dbt_project dbt_project
COPY dags dags
RUN pip install --no-deps -e .
