#!/usr/bin/env bash
# Service `preflight` (one-shot, first in the start order): the stack does not start while
# .env still holds a placeholder or a key that cannot work. docker compose itself already
# refuses an unset variable (${VAR:?}); this catches what it cannot: the change-me-…
# placeholders of .env.example, and keys of the wrong shape.
set -uo pipefail

secrets=(
  POSTGRES_PASSWORD AIRFLOW_DB_PASSWORD EDU_DWH_DB_PASSWORD METABASE_DB_PASSWORD
  METABASE_READER_PASSWORD AIRFLOW_SECRET_KEY AIRFLOW_JWT_SECRET AIRFLOW_FERNET_KEY
  AIRFLOW_ADMIN_PASSWORD EDU_DWH_PSEUDONYM_KEY MB_ENCRYPTION_SECRET_KEY
)
problems=()
for name in "${secrets[@]}"; do
  value="${!name:-}"
  if [[ -z "$value" ]]; then
    problems+=("$name is empty")
  elif [[ "$value" == change-me* ]]; then
    problems+=("$name is still the placeholder of .env.example")
  elif (( ${#value} < 16 )); then
    problems+=("$name is shorter than 16 characters")
  fi
done
# These two are written into connection URLs (postgresql://user:password@host/db).
for name in AIRFLOW_DB_PASSWORD EDU_DWH_DB_PASSWORD; do
  if [[ -n "${!name:-}" && ! "${!name}" =~ ^[A-Za-z0-9_.~-]+$ ]]; then
    problems+=("$name may hold letters, digits and _ . ~ - only (it goes into a URL)")
  fi
done
# A Fernet key is 32 bytes in URL-safe base64: 44 characters ending in '='.
if [[ -n "${AIRFLOW_FERNET_KEY:-}" && ! "$AIRFLOW_FERNET_KEY" =~ ^[A-Za-z0-9_-]{43}=$ ]]; then
  problems+=("AIRFLOW_FERNET_KEY is not a Fernet key (32 bytes, URL-safe base64, 44 characters)")
fi
# Distinct roles, distinct passwords.
if [[ -n "${METABASE_READER_PASSWORD:-}" && "${METABASE_READER_PASSWORD}" == "${METABASE_DB_PASSWORD:-}" ]]; then
  problems+=("METABASE_READER_PASSWORD must differ from METABASE_DB_PASSWORD")
fi

if (( ${#problems[@]} )); then
  echo "preflight: .env is not ready, the stack will not start:" >&2
  printf '  - %s\n' "${problems[@]}" >&2
  echo "Generate values as the README says (section Deploy), put them into .env, run again." >&2
  exit 1
fi
echo "preflight: .env looks ready"
