# Airflow 3 image with the edu-dwh package, dbt and Great Expectations (one environment, pinned).
#
# 1. Airflow with its constraints file: the set of dependency versions Airflow was released
#    and tested with (Airflow's installation guide). Extras: fab (the FAB auth manager: users
#    and roles in the metadata database, `airflow users create`) and postgres.
# 2. The project's pinned requirements.txt after it, with apache-airflow named again so pip
#    keeps it at the same version while resolving them.
# 3. The project itself (editable: the code finds dbt_project/ beside it). synthetic/ (the
#    demo generator) and metabase/ are development tools and are not copied.
# The image runs as the unprivileged user airflow (UID 50000, primary group 0, like the
# official image); files it must write are group-writable, so compose may run it under any
# UID with group 0 (AIRFLOW_UID).
FROM python:3.11-slim-bookworm

ARG AIRFLOW_VERSION=3.3.2
ARG PYTHON_VERSION=3.11
ARG AIRFLOW_CONSTRAINTS=https://raw.githubusercontent.com/apache/airflow/constraints-${AIRFLOW_VERSION}/constraints-${PYTHON_VERSION}.txt
ARG AIRFLOW_UID=50000

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONUNBUFFERED=1 \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH \
    AIRFLOW_HOME=/opt/airflow \
    EDU_DWH_STATE_DIR=/opt/edu-dwh/state \
    EDU_DWH_LANDING=/data/landing

# the venv belongs to root: the service user can run it, not change it
RUN python -m venv /opt/venv \
 && pip install "apache-airflow[fab,postgres]==${AIRFLOW_VERSION}" --constraint "${AIRFLOW_CONSTRAINTS}"

WORKDIR /opt/edu-dwh
COPY requirements.txt pyproject.toml ./
RUN pip install "apache-airflow[fab,postgres]==${AIRFLOW_VERSION}" -r requirements.txt

COPY sources sources
COPY ingestion ingestion
COPY orchestration orchestration
COPY reporting reporting
COPY expectations expectations
COPY dbt_project dbt_project
COPY dags dags
RUN pip install --no-deps -e .

RUN useradd --uid "${AIRFLOW_UID}" --gid 0 --home-dir "${AIRFLOW_HOME}" --create-home \
        --shell /bin/bash airflow \
 && mkdir -p "${AIRFLOW_HOME}/logs" "${EDU_DWH_STATE_DIR}" "${EDU_DWH_LANDING}" \
 && chown -R "airflow:0" "${AIRFLOW_HOME}" "${EDU_DWH_STATE_DIR}" "${EDU_DWH_LANDING}" \
 && chmod -R g+rwX "${AIRFLOW_HOME}" "${EDU_DWH_STATE_DIR}" "${EDU_DWH_LANDING}"

USER airflow
WORKDIR /opt/airflow
EXPOSE 8080
# no default process: compose names one per service (api-server, scheduler, dag-processor,
# triggerer; airflow-init runs db migrate and users create)
CMD ["airflow", "version"]
