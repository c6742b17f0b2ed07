"""The deployment (docker-compose.yml, docker/, .env.example) without a Docker engine.

Nothing here starts a container (no Docker engine on the development machines or CI). What
can be checked is checked: the file against the Compose specification's JSON schema
(vendored: docker/compose-spec.schema.json), every variable it reads present in .env.example,
every referenced repository file present, healthchecks / restart policies / start order,
ports, one set of Airflow keys, the image (non-root, Airflow's constraints), the `airflow`
command lines against the installed Airflow's own CLI parser, and the shell scripts.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import secrets
import shlex
import subprocess
import sys
from functools import cache
from pathlib import Path

import jsonschema
import pytest
import yaml

from ingestion.config import REPO_ROOT

COMPOSE = REPO_ROOT / "docker-compose.yml"
ENV_EXAMPLE = REPO_ROOT / ".env.example"
DOCKERFILE = REPO_ROOT / "docker" / "airflow.Dockerfile"
SCHEMA = REPO_ROOT / "docker" / "compose-spec.schema.json"
REQUIREMENTS = REPO_ROOT / "requirements.txt"

AIRFLOW_IMAGE = "edu-dwh-airflow"
AIRFLOW_PROCESSES = {"api-server", "scheduler", "dag-processor", "triggerer"}
SHARED_AIRFLOW_KEYS = (
    "AIRFLOW__API__SECRET_KEY",
    "AIRFLOW__API_AUTH__JWT_SECRET",
    "AIRFLOW__CORE__FERNET_KEY",
    "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN",
    "AIRFLOW__CORE__EXECUTOR",
    "AIRFLOW__CORE__AUTH_MANAGER",
)
FAB_AUTH_MANAGER = "airflow.providers.fab.auth_manager.fab_auth_manager.FabAuthManager"
CONSTRAINTS = (
    "https://raw.githubusercontent.com/apache/airflow/"
    "constraints-${AIRFLOW_VERSION}/constraints-${PYTHON_VERSION}.txt"
)

# ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?message}, ${VAR?message}; $$ is a literal $.
VARIABLE = re.compile(r"(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}")


def env_example() -> dict[str, str]:
    values = {}
    for line in ENV_EXAMPLE.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            name, _, value = line.partition("=")
            values[name.strip()] = value.strip()
    return values


def interpolate(text: str, env: dict[str, str]) -> str:
    """What `docker compose` does with .env: substitute, fail on a missing required one."""

    def substitute(match: re.Match) -> str:
        name, op, arg = match.group(1), match.group(2), match.group(3)
        value = env.get(name)
        if op in (":?", "?") and (value is None or (op == ":?" and value == "")):
            raise AssertionError(f"compose would refuse to start: {name} ({arg})")
        if op in (":-", "-") and (value is None or (op == ":-" and value == "")):
            return arg
        return value or ""

    return VARIABLE.sub(substitute, text).replace("$$", "$")


@cache
def raw() -> dict:
    return yaml.safe_load(COMPOSE.read_text())


@cache
def resolved() -> dict:
    """The file as compose sees it once .env (here: .env.example) is filled in."""
    return yaml.safe_load(interpolate(COMPOSE.read_text(), env_example()))


def services() -> dict[str, dict]:
    return raw()["services"]


def is_airflow(svc: dict) -> bool:
    return svc.get("image", "").startswith(AIRFLOW_IMAGE + ":")


def one_shots() -> set[str]:
    """Services others wait for to *finish*: they must not be restarted."""
    return {
        name
        for svc in services().values()
        for name, dep in (svc.get("depends_on") or {}).items()
        if dep["condition"] == "service_completed_successfully"
    }


def long_running() -> set[str]:
    return set(services()) - one_shots()


# ─── the file itself ───────────────────────────────────────────────────────────────────────


def schema_validator():
    schema = json.loads(SCHEMA.read_text())
    # its $schema says draft 2019-09 (in an old spelling jsonschema does not look up)
    assert "draft/2019-09" in schema["$schema"]
    jsonschema.Draft201909Validator.check_schema(schema)
    return jsonschema.Draft201909Validator(schema)


@pytest.mark.parametrize("form", ["as written", "with .env.example"])
def test_compose_file_valid_against_the_compose_spec_schema(form):
    document = raw() if form == "as written" else resolved()
    errors = sorted(schema_validator().iter_errors(document), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors)


def test_the_schema_is_not_vacuous():
    """A typo'd key or a wrong type is rejected: the validation above means something."""
    validator = schema_validator()
    typo = {"services": {"x": {"image": "a:1", "restrat": "always"}}}
    wrong = {"services": {"x": {"image": "a:1", "depends_on": {"y": {"condition": "started"}}}}}
    assert not validator.is_valid(typo) and not validator.is_valid(wrong)
    assert validator.is_valid({"services": {"x": {"image": "a:1", "restart": "always"}}})


def test_vendored_schema_provenance_is_noted():
    note = (REPO_ROOT / "docker" / "compose-spec.schema.md").read_text()
    digest = hashlib.sha256(SCHEMA.read_bytes()).hexdigest()
    assert digest in note and "compose-spec-schema" in note and "Apache" in note


def test_every_variable_compose_reads_is_in_env_example():
    text = COMPOSE.read_text()
    example = env_example()
    used = {m.group(1): m.group(2) for m in VARIABLE.finditer(text)}
    assert used, "no ${VAR} found: the pattern is wrong"
    missing = sorted(set(used) - set(example))
    assert not missing, f"not in .env.example: {missing}"
    required_empty = sorted(n for n, op in used.items() if op in (":?", "?") and not example[n])
    assert not required_empty, f"required, but empty in .env.example: {required_empty}"
    # the whole file resolves (raises if a required one is missing); what is left of ${…}
    # are the $${…} that compose hands to the container's shell
    assert interpolate(text, example).count("${") == text.count("$${")


def test_secrets_are_placeholders_that_preflight_knows():
    """Every secret in .env.example is a change-me-… placeholder, and preflight checks it."""
    preflight = (REPO_ROOT / "docker" / "preflight.sh").read_text()
    checked = set(re.search(r"secrets=\(([^)]*)\)", preflight).group(1).split())
    placeholders = {n for n, v in env_example().items() if v.startswith("change-me-")}
    compose_text = COMPOSE.read_text()
    for name in placeholders:
        assert f"${{{name}:?" in compose_text, f"{name}: compose must require it (:?)"
    assert placeholders == checked
    for name in ("EDU_DWH_PSEUDONYM_KEY", "MB_ENCRYPTION_SECRET_KEY", "AIRFLOW_FERNET_KEY"):
        assert name in placeholders
    preflight_env = services()["preflight"]["environment"]
    assert checked <= set(preflight_env)
    assert "./docker/preflight.sh:/preflight.sh:ro" in services()["preflight"]["volumes"]


def generated_secrets() -> dict[str, str]:
    """What an operator puts into .env following the README."""
    env = {}
    for name, value in env_example().items():
        if value.startswith("change-me-"):
            env[name] = secrets.token_urlsafe(32)
    env["AIRFLOW_FERNET_KEY"] = base64.urlsafe_b64encode(os.urandom(32)).decode()
    return env


def run_preflight(env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["bash", str(REPO_ROOT / "docker" / "preflight.sh")],
        env={"PATH": os.environ["PATH"], **env},
        capture_output=True,
        text=True,
        timeout=30,
    )


def test_preflight_refuses_placeholders_and_accepts_generated_secrets():
    as_copied = run_preflight(env_example())
    assert as_copied.returncode == 1
    assert "EDU_DWH_PSEUDONYM_KEY is still the placeholder" in as_copied.stderr
    filled = generated_secrets()
    ok = run_preflight(filled)
    assert ok.returncode == 0, ok.stderr
    # the Fernet key must be one; metabase_reader must not reuse Metabase's password
    bad = run_preflight({**filled, "AIRFLOW_FERNET_KEY": secrets.token_urlsafe(32)})
    assert bad.returncode == 1 and "AIRFLOW_FERNET_KEY is not a Fernet key" in bad.stderr
    same = {**filled, "METABASE_READER_PASSWORD": filled["METABASE_DB_PASSWORD"]}
    assert "must differ" in run_preflight(same).stderr


def test_the_generated_fernet_key_is_one_airflow_accepts():
    from cryptography.fernet import Fernet  # an Airflow dependency

    Fernet(generated_secrets()["AIRFLOW_FERNET_KEY"].encode())
    readme = (REPO_ROOT / "README.md").read_text()
    for line in env_example_generation_lines():
        assert line in readme, f"the README's Deploy section must show: {line}"


def env_example_generation_lines() -> list[str]:
    text = ENV_EXAMPLE.read_text()
    return re.findall(r"(python3 -c '[^']+')", text)


# ─── files it refers to ────────────────────────────────────────────────────────────────────


# source:target[:mode], where the source may be ${VAR:-default}
MOUNT = re.compile(r"^((?:\$\{[^}]*\}|[^:$])+):([^:]+)(?::([a-z,]+))?$")


def split_mount(volume: str) -> tuple[str, str]:
    match = MOUNT.match(volume)
    assert match, f"not a source:target[:mode] mount: {volume}"
    return match.group(1), match.group(2)


def bind_mounts() -> list[tuple[str, str, str]]:
    """(service, source as written, target) of every bind mount."""
    out = []
    for name, svc in services().items():
        for volume in svc.get("volumes", []):
            source, target = split_mount(volume)
            if source.startswith((".", "/", "$")):
                out.append((name, source, target))
    return out


def test_referenced_repository_files_exist():
    for name, svc in services().items():
        if "build" in svc:
            context = REPO_ROOT / svc["build"]["context"]
            assert context.is_dir(), name
            assert (context / svc["build"]["dockerfile"]).is_file(), name
    repo_sources = [(n, s) for n, s, _ in bind_mounts() if s.startswith("./")]
    assert repo_sources
    for name, source in repo_sources:
        assert (REPO_ROOT / source).exists(), f"{name}: {source}"
    declared = set(raw().get("volumes") or {})
    for name, svc in services().items():
        for volume in svc.get("volumes", []):
            source = split_mount(volume)[0]
            if not source.startswith((".", "/", "$")):
                assert source in declared, f"{name}: volume {source} is not declared"


def test_init_script_mounted_where_postgres_runs_it():
    targets = {t: s for n, s, t in bind_mounts() if n == "postgres"}
    init = targets["/docker-entrypoint-initdb.d/10-init.sh"]
    assert init == "./docker/postgres-init.sh"


def test_host_folders_are_variables_outside_git():
    """The inbox and the outputs are host folders the operator chooses (default ./data/…)."""
    host = [(n, s, t) for n, s, t in bind_mounts() if s.startswith("$")]
    assert host
    example = env_example()
    gitignore = (REPO_ROOT / ".gitignore").read_text().split()
    for _, source, _ in host:
        resolved_source = interpolate(source, example)
        assert resolved_source.startswith("./data/"), source
    assert "/data/" in gitignore


def test_inbox_and_outputs_land_where_the_code_reads_and_writes(tmp_path, monkeypatch):
    """Mount targets follow ingestion.config: landing, reports_dir(), data_docs_dir()."""
    from ingestion import config

    for name, svc in services().items():
        if not is_airflow(svc) or name == "airflow-folders":
            continue
        env = svc["environment"]
        state = Path(env["EDU_DWH_STATE_DIR"])
        monkeypatch.setenv("EDU_DWH_STATE_DIR", str(tmp_path))
        outputs = {
            "reports": state / config.reports_dir().relative_to(tmp_path),
            "data_docs": state / config.data_docs_dir().relative_to(tmp_path),
        }
        targets = {t: s for n, s, t in bind_mounts() if n == name}
        assert targets[env["EDU_DWH_LANDING"]].startswith("${EDU_DWH_HOST_INBOX")
        for sub, target in outputs.items():
            assert targets[str(target)].startswith("${EDU_DWH_HOST_OUTPUT"), (name, sub)
            assert targets[str(target)].endswith(f"/{sub}")
        # the rest of the state (quarantine copies: personal data, GX stores) stays in a volume
        assert f"state:{state}" in svc["volumes"]
        assert "airflow-logs:/opt/airflow/logs" in svc["volumes"]


# ─── services: start order, health, restarts, ports ────────────────────────────────────────


def test_every_long_running_service_has_a_healthcheck_and_restarts():
    assert {"postgres", "metabase", "airflow-apiserver", "airflow-scheduler"} <= long_running()
    for name in long_running():
        svc = services()[name]
        assert svc.get("restart") == "unless-stopped", name
        check = svc.get("healthcheck") or {}
        assert check.get("test") and not check.get("disable"), name
        assert check.get("interval") and check.get("retries"), name


def test_one_shot_services_are_not_restarted():
    assert one_shots() == {"preflight", "airflow-folders", "airflow-init"}
    for name in one_shots():
        assert services()[name].get("restart") == "no", name


def test_dependencies_wait_for_health_or_completion():
    for name, svc in services().items():
        deps = svc.get("depends_on") or {}
        assert isinstance(deps, dict), f"{name}: depends_on needs conditions"
        for dep, spec in deps.items():
            assert dep in services(), (name, dep)
            if dep in one_shots():
                assert spec["condition"] == "service_completed_successfully", (name, dep)
            else:
                assert spec["condition"] == "service_healthy", (name, dep)
    # every Airflow process starts after the database is migrated
    for name, svc in services().items():
        if is_airflow(svc) and name not in one_shots():
            assert "airflow-init" in svc["depends_on"], name
    assert services()["airflow-init"]["depends_on"]["postgres"]["condition"] == "service_healthy"


def test_start_order_has_no_cycle():
    graph = {n: set(s.get("depends_on") or {}) for n, s in services().items()}
    done: set[str] = set()
    while graph:
        ready = [n for n, deps in graph.items() if deps <= done]
        assert ready, f"dependency cycle among {sorted(graph)}"
        for n in ready:
            done.add(n)
            del graph[n]


def published_ports(svc: dict) -> list[str]:
    return [str(p) for p in svc.get("ports", [])]


def test_postgres_is_published_on_localhost_only():
    assert published_ports(services()["postgres"]) == ["127.0.0.1:5432:5432"]
    for name, svc in services().items():
        for port in published_ports(svc):
            host = interpolate(port, env_example()).split(":")
            assert len(host) == 3, f"{name}: {port} must name the host address"
            if name == "postgres":
                continue
            assert port.startswith("${EDU_DWH_UI_BIND:-127.0.0.1}:"), (name, port)
    assert env_example()["EDU_DWH_UI_BIND"] == "127.0.0.1"


def test_metabase_pinned_with_encryption_key():
    svc = services()["metabase"]
    assert re.fullmatch(r"metabase/metabase:v0\.\d+\.\d+(\.\d+)?", svc["image"])
    env = svc["environment"]
    assert env["MB_ENCRYPTION_SECRET_KEY"] == "${MB_ENCRYPTION_SECRET_KEY:?set in .env}"
    assert env["MB_DB_PASS"] == "${METABASE_DB_PASSWORD:?set in .env}"


def test_metabase_reader_has_its_own_password():
    script = (REPO_ROOT / "docker" / "postgres-init.sh").read_text()
    reader = next(line for line in script.splitlines() if "create role metabase_reader" in line)
    assert ":'reader_pw'" in reader and "edu_dwh_ministry" in reader
    assert 'reader_pw="${METABASE_READER_PASSWORD:?}"' in script
    pg_env = services()["postgres"]["environment"]
    assert pg_env["METABASE_READER_PASSWORD"] == "${METABASE_READER_PASSWORD:?set in .env}"
    # no password pasted into SQL text: psql variables only
    assert "'${" not in script


# ─── Airflow: one set of keys, its processes, its commands ─────────────────────────────────


def airflow_services() -> dict[str, dict]:
    """Services that run Airflow (airflow-folders only prepares folders)."""
    return {n: s for n, s in services().items() if is_airflow(s) and n != "airflow-folders"}


def test_airflow_containers_share_keys_and_database():
    svcs = airflow_services()
    assert len(svcs) == 5
    for key in SHARED_AIRFLOW_KEYS:
        values = {name: svc["environment"].get(key) for name, svc in svcs.items()}
        assert len(set(values.values())) == 1 and None not in values.values(), (key, values)
    env = next(iter(svcs.values()))["environment"]
    assert env["AIRFLOW__API__SECRET_KEY"] == "${AIRFLOW_SECRET_KEY:?set in .env}"
    assert env["AIRFLOW__API_AUTH__JWT_SECRET"] == "${AIRFLOW_JWT_SECRET:?set in .env}"
    assert env["AIRFLOW__CORE__FERNET_KEY"] == "${AIRFLOW_FERNET_KEY:?set in .env}"
    assert env["AIRFLOW__CORE__EXECUTOR"] == "LocalExecutor"
    assert env["AIRFLOW__CORE__AUTH_MANAGER"] == FAB_AUTH_MANAGER
    assert "@postgres:5432/airflow" in env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]
    assert env["AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK"] == "True"


def test_airflow_options_exist_in_this_airflow():
    """The AIRFLOW__SECTION__KEY names are options of the installed Airflow 3.3.2."""
    import airflow

    config_yml = Path(airflow.__file__).parent / "config_templates" / "config.yml"
    options = yaml.safe_load(config_yml.read_text())
    for svc in airflow_services().values():
        for key in svc["environment"]:
            if key.startswith("AIRFLOW__"):
                _, section, option = key.lower().split("__")
                assert option in options[section]["options"], key


def test_all_four_airflow_processes_run():
    commands = {
        tuple(svc["command"][1:])
        for svc in airflow_services().values()
        if isinstance(svc.get("command"), list) and svc["command"][0] == "airflow"
    }
    assert {c[0] for c in commands} == AIRFLOW_PROCESSES


def shell_words(command: str) -> list[list[str]]:
    """`a && b` in a compose command → [[a…], [b…]], with $${X} replaced by a value."""
    command = re.sub(r"\$\$\{[A-Z_]+\}", "value", command)
    return [shlex.split(part) for part in command.split("&&")]


def airflow_command_lines() -> list[list[str]]:
    lines = []
    for svc in services().values():
        command = svc.get("command")
        if isinstance(command, list) and command and command[0] == "airflow":
            lines.append(command)
        elif isinstance(command, list) and svc.get("entrypoint", [None])[0] == "bash":
            lines += [w for w in shell_words(command[-1]) if w and w[0] == "airflow"]
        test = (svc.get("healthcheck") or {}).get("test", [])
        if test and test[0] == "CMD-SHELL":
            lines += [w for w in shell_words(test[1]) if w and w[0] == "airflow"]
    dockerfile_cmd = re.search(r"^CMD (\[.*\])$", DOCKERFILE.read_text(), re.M)
    lines.append(json.loads(dockerfile_cmd.group(1)))
    return lines


# `airflow users create` belongs to the FAB provider (installed in the image by the `fab`
# extra, not in the development venv). Its arguments as defined by
# apache-airflow-providers-fab 3.10.2 (airflow/providers/fab/cli/definition.py).
FAB_USERS_CREATE = {
    "required": {"--role", "--username", "--email", "--firstname", "--lastname"},
    "optional": {"--password", "--use-random-password"},
}


def parse_with_airflow(lines: list[list[str]], home: Path) -> dict:
    """Each line through the installed Airflow's own CLI parser (in a fresh process)."""
    code = (
        "import json, sys\n"
        "from airflow.cli import cli_parser\n"
        "parser = cli_parser.get_parser()\n"
        "out = {}\n"
        "for argv in json.load(sys.stdin):\n"
        "    try:\n"
        "        parser.parse_args(argv)\n"
        "        out[' '.join(argv)] = 'ok'\n"
        "    except SystemExit:\n"
        "        out[' '.join(argv)] = 'invalid'\n"
        "print(json.dumps(out))\n"
    )
    env = {**os.environ, "AIRFLOW_HOME": str(home), "AIRFLOW__CORE__LOAD_EXAMPLES": "False"}
    try:
        import airflow.providers.fab  # noqa: F401

        env["AIRFLOW__CORE__AUTH_MANAGER"] = FAB_AUTH_MANAGER
    except ImportError:
        pass
    done = subprocess.run(
        [sys.executable, "-c", code],
        input=json.dumps(lines),
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_airflow_command_lines_are_valid(tmp_path):
    lines = [argv[1:] for argv in airflow_command_lines()]
    assert ["db", "migrate"] in lines and ["users", "create"] in [x[:2] for x in lines]
    fab_users, core = [], []
    for argv in lines:
        (fab_users if argv[:2] == ["users", "create"] else core).append(argv)
    try:
        import airflow.providers.fab  # noqa: F401

        core += fab_users  # the real parser knows them
        fab_users = []
    except ImportError:
        pass
    results = parse_with_airflow(core, tmp_path)
    invalid = [line for line, verdict in results.items() if verdict != "ok"]
    assert not invalid, f"not valid for the installed Airflow: {invalid}"
    for argv in fab_users:
        flags = {w for w in argv if w.startswith("--")}
        known = FAB_USERS_CREATE["required"] | FAB_USERS_CREATE["optional"]
        assert FAB_USERS_CREATE["required"] <= flags and flags <= known, argv
        assert "--password" in flags  # not a random one nobody sees


def test_an_invalid_command_is_caught(tmp_path):
    """The parser check above can fail: a wrong job type and a missing subcommand are caught."""
    results = parse_with_airflow(
        [["jobs", "check", "--job-type", "DagProcessor"], ["dag-processors"]], tmp_path
    )
    assert set(results.values()) == {"invalid"}


# ─── the image ─────────────────────────────────────────────────────────────────────────────


def dockerfile_instructions() -> list[tuple[str, str]]:
    text = DOCKERFILE.read_text().replace("\\\n", " ")
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            out.append((word.upper(), rest.strip()))
    return out


def test_image_runs_as_a_non_root_user():
    users = [rest for word, rest in dockerfile_instructions() if word == "USER"]
    assert users and users[-1] not in ("root", "0", "0:0")
    for name, svc in airflow_services().items():
        assert svc["user"] == "${AIRFLOW_UID:-50000}:0", name
    # only the folder-preparing one-shot runs as root, and it runs no Airflow process
    assert services()["airflow-folders"]["user"] == "0:0"
    folders = services()["airflow-folders"]["command"][0]
    assert not [w for w in shell_words(folders) if w and w[0] == "airflow"]


def test_image_installs_airflow_with_its_constraints_then_the_project():
    instructions = dockerfile_instructions()
    args = dict(rest.split("=", 1) for word, rest in instructions if word == "ARG" and "=" in rest)
    pinned = re.search(r"^apache-airflow==(\S+)", REQUIREMENTS.read_text(), re.M).group(1)
    assert args["AIRFLOW_VERSION"] == pinned == "3.3.2"
    assert args["PYTHON_VERSION"] == "3.11"
    assert args["AIRFLOW_CONSTRAINTS"] == CONSTRAINTS
    runs = [rest for word, rest in instructions if word == "RUN"]
    first = next(i for i, r in enumerate(runs) if "apache-airflow[" in r)
    assert '--constraint "${AIRFLOW_CONSTRAINTS}"' in runs[first]
    assert "fab" in runs[first]  # the auth manager compose configures
    project = next(i for i, r in enumerate(runs) if "-r requirements.txt" in r)
    assert first < project and "apache-airflow[fab,postgres]==${AIRFLOW_VERSION}" in runs[project]
    assert any("pip install --no-deps -e ." in r for r in runs)


def test_image_copies_the_code_but_not_the_development_tools():
    copied = [rest.split()[0] for word, rest in dockerfile_instructions() if word == "COPY"]
    for part in ("sources", "ingestion", "orchestration", "reporting", "expectations"):
        assert part in copied
    assert {"dbt_project", "dags", "requirements.txt"} <= set(copied)
    assert "synthetic" not in copied and "." not in copied and "tests" not in copied
    for source in copied:
        assert (REPO_ROOT / source).exists(), source


@pytest.mark.parametrize("script", sorted((REPO_ROOT / "docker").glob("*.sh")), ids=str)
def test_shell_scripts_parse(script):
    done = subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert script.read_text().startswith("#!/usr/bin/env bash\n")
    assert "set -" in script.read_text()


def test_compose_inline_shell_parses():
    for name, svc in services().items():
        if svc.get("entrypoint", [None])[0] == "bash" and "command" in svc:
            command = svc["command"][-1].replace("$$", "$")
            done = subprocess.run(["bash", "-n", "-c", command], capture_output=True, text=True)
            assert done.returncode == 0, (name, done.stderr)


# ─── postgres-init.sh against a real (embedded) PostgreSQL ─────────────────────────────────


@pytest.mark.slow
def test_postgres_init_creates_databases_and_roles(tmp_path):
    """The init script on an empty cluster: databases, owners, the BI role, any password."""
    import psycopg2

    from ingestion.config import embedded_server

    server = embedded_server(Path("/tmp") / f"edu_dwh_init_{os.getpid()}", cleanup_mode="delete")
    try:
        uri = server.get_uri()
        socket_dir = re.search(r"host=([^&]+)", uri).group(1)
        passwords = {
            "EDU_DWH_DB_PASSWORD": "it's-a-quote",  # quoting is psql's, not ours
            "AIRFLOW_DB_PASSWORD": secrets.token_urlsafe(32),
            "METABASE_DB_PASSWORD": secrets.token_urlsafe(32),
            "METABASE_READER_PASSWORD": "x'; drop role postgres; --",
        }
        done = subprocess.run(
            ["bash", str(REPO_ROOT / "docker" / "postgres-init.sh")],
            env={"PATH": os.environ["PATH"], "PGHOST": socket_dir, **passwords},
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        with psycopg2.connect(uri) as conn, conn.cursor() as cur:
            cur.execute(
                "select datname, pg_get_userbyid(datdba) from pg_database"
                " where datname in ('edu_dwh', 'airflow', 'metabase') order by 1"
            )
            assert cur.fetchall() == [
                ("airflow", "airflow"), ("edu_dwh", "edu_dwh"), ("metabase", "metabase")
            ]  # fmt: skip
            cur.execute(
                "select r.rolname, r.rolcanlogin, array(select b.rolname from pg_auth_members m"
                " join pg_roles b on b.oid = m.roleid where m.member = r.oid)"
                " from pg_roles r where rolname in ('metabase_reader', 'edu_dwh_bi_reader',"
                " 'edu_dwh_ministry', 'edu_dwh_municipal', 'postgres') order by 1"
            )
            assert cur.fetchall() == [
                ("edu_dwh_bi_reader", False, []),
                ("edu_dwh_ministry", False, ["edu_dwh_bi_reader"]),
                ("edu_dwh_municipal", False, ["edu_dwh_bi_reader"]),
                ("metabase_reader", True, ["edu_dwh_ministry"]),
                ("postgres", True, []),
            ]
            # the warehouse user may create the municipal roles, and nothing more
            cur.execute(
                "select rolcreaterole, rolsuper, rolcreatedb from pg_roles"
                " where rolname = 'edu_dwh'"
            )
            assert cur.fetchone() == (True, False, False)
            cur.execute(
                "select m.roleid::regrole::text, m.admin_option, m.inherit_option, m.set_option"
                " from pg_auth_members m where m.member = 'edu_dwh'::regrole order by 1"
            )
            assert cur.fetchall() == [
                ("edu_dwh_ministry", True, False, False),
                ("edu_dwh_municipal", True, False, False),
            ]
        # … which the pipeline, connected as that user, does at publication
        from orchestration import row_security

        with (
            psycopg2.connect(
                uri, user="edu_dwh", password=passwords["EDU_DWH_DB_PASSWORD"], dbname="edu_dwh"
            ) as conn,
            conn.cursor() as cur,
        ):
            cur.execute("select current_user, pg_has_role('edu_dwh_municipal', 'usage')")
            assert cur.fetchone() == ("edu_dwh", False)  # administers the group, is not in it
            assert row_security.ensure_roles(cur, [("27", "Тестовый район")], "x") == []
            cur.execute(
                "select pg_has_role('edu_dwh_mun_27', 'edu_dwh_municipal', 'member'),"
                " pg_has_role('edu_dwh_mun_27', 'edu_dwh_bi_reader', 'member'),"
                " (select rolcanlogin from pg_roles where rolname = 'edu_dwh_mun_27')"
            )
            assert cur.fetchone() == (True, True, False)
            assert row_security.ensure_roles(cur, [("27", "Тестовый район")], "x") == []
            # … and `edu-dwh access login`: a municipal login and a ministry login
            for login, group in (("mb_mun_27", "edu_dwh_mun_27"), ("mb_min", "edu_dwh_ministry")):
                assert row_security.create_login(cur, login, group, "pw-1") == "created"
                assert row_security.create_login(cur, login, group, "pw-2") == "updated"
                cur.execute("select pg_has_role(%s, %s, 'member')", (login, group))
                assert cur.fetchone() == (True,)
    finally:
        server.cleanup()
