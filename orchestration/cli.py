"""`edu-dwh` command line: run, loads, withdraw, generate, demo, templates, summary, report,
explain, access.

Exit codes of `run`: 0 published; 1 a blocking check or dbt failed (nothing published, the
previous marts stay); 3 published, but some files were rejected; 4 the warehouse is busy
with another run (nothing done). `withdraw`: 0 done; 2 no such file; 4 busy. `explain`: 0 the
card; 2 unknown indicator, no matching row, or several (the missing option is named)."""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

from ingestion.config import REPO_ROOT, state_dir

EXIT_BUSY = 4


def cmd_run(args) -> int:
    from orchestration.pipeline import run_all
    from reporting.summary import print_summary

    try:
        result = run_all(
            args.landing, skip_dbt=args.skip_dbt, wait_s=args.wait, full_refresh=args.full_refresh
        )
    except Exception as exc:  # dbt failures and the like: say what, exit non-zero
        if _exit_code(exc) is None:
            raise RunFailed(exc) from exc
        raise
    print(f"Запуск №{result['run_id']} завершён за {result['seconds']} с: {result['message']}")
    if not args.skip_dbt and not args.quiet:
        print_summary()
    if result["rejected"]:
        print(
            f"ВНИМАНИЕ: отклонено файлов: {len(result['rejected'])} (см. выше и audit.loads); "
            "остальные данные загружены и опубликованы.",
            file=sys.stderr,
        )
        return 3
    return 0


class RunFailed(Exception):
    """`edu-dwh run` failed after it started (dbt and the like): nothing was published."""

    def __init__(self, cause: BaseException):
        super().__init__(
            f"{_say(cause)}\nОпубликованные витрины не изменены; запуск отмечен как неуспешный."
        )


def _exit_code(exc: BaseException) -> int | None:
    """The exit code of an error every command reports in one Russian line (None: a bug)."""
    import psycopg2

    from ingestion.deliveries import UnknownLoad
    from orchestration.pipeline import BlockingFailure
    from orchestration.run_control import WarehouseBusy

    codes = (
        (WarehouseBusy, EXIT_BUSY),
        (UnknownLoad, 2),
        (BlockingFailure, 1),
        (RunFailed, 1),
        (DevelopmentOnly, 2),
        (psycopg2.Error, 1),
    )
    return next((code for kind, code in codes if isinstance(exc, kind)), None)


class DevelopmentOnly(Exception):
    """A command that needs the development-only package `synthetic` (not in the image)."""


def _generator():
    try:
        from synthetic import generate
    except ImportError as exc:
        raise DevelopmentOnly(
            "генератор синтетического региона (пакет synthetic/) есть только в репозитории"
            " разработки, не в образе Airflow"
        ) from exc
    return generate


def _say(exc: BaseException) -> str:
    """An error for people: PostgreSQL's English replaced by a Russian reason."""
    import psycopg2

    from ingestion.messages import database_problem

    if isinstance(exc, psycopg2.Error):
        return database_problem(exc)
    return str(exc)


def cmd_loads(args) -> int:
    from orchestration.operations import format_loads, list_loads

    rows = list_loads(source=args.source, year=args.year, include_all=args.all)
    print(format_loads(rows))
    return 0


def cmd_withdraw(args) -> int:
    from orchestration.operations import withdraw_file

    for line in withdraw_file(args.file, reason=args.reason, wait_s=args.wait):
        print(line)
    return 0


def cmd_quarantine(args) -> int:
    from ingestion.config import quarantine_dir
    from orchestration.operations import purge_quarantine, quarantine_days, quarantine_files

    if args.action == "purge":
        days = args.days if args.days is not None else quarantine_days()
        removed = purge_quarantine(days)
        for name in removed:
            print(f"удалена копия: {name}")
        print(f"Удалено копий старше {days} дн.: {len(removed)} ({quarantine_dir()})")
        return 0
    files = quarantine_files()
    print(f"Копии отклонённых файлов ({quarantine_dir()}, доступ только у служебной учётной"
          f" записи; хранятся {quarantine_days()} дн.):")  # fmt: skip
    for name, size, age in files:
        print(f"  {name}  {size} байт  {age:.0f} дн.")
    print(f"Всего: {len(files)}")
    return 0


def cmd_generate(args) -> int:
    generate = _generator()

    t0 = time.monotonic()
    summary = generate(Path(args.out), seed=args.seed, scale=args.scale)
    print(f"Синтетический регион записан в {args.out} за {time.monotonic() - t0:.1f} с")
    if isinstance(summary, dict):
        for k, v in summary.items():
            print(f"  {k}: {v}")
    return 0


def airflow_env() -> dict[str, str]:
    home = state_dir() / "airflow"
    home.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    env.update(
        {
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(REPO_ROOT / "dags"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
            "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(home / "logs"),
        }
    )
    return env


def run_dag(landing: Path, dag_id: str = "edu_dwh_pipeline") -> int:
    """`airflow db migrate` + `airflow dags test` of the pipeline DAG on a landing folder."""
    import json

    env = airflow_env()
    env["EDU_DWH_LANDING"] = str(landing)
    # `airflow dags test` runs the whole DAG in this one child process: a DAG run left
    # 'running' by an earlier, interrupted demo is dead as soon as no step holds the lock
    env.setdefault("EDU_DWH_RUN_STALE_S", "0")
    airflow = str(Path(sys.executable).parent / "airflow")
    subprocess.run([airflow, "db", "migrate"], env=env, check=True, stdout=subprocess.DEVNULL)
    conf = json.dumps({"landing": str(landing)})
    log_path = Path(env["AIRFLOW_HOME"]) / f"{dag_id}.dags_test.log"
    print(f"   полный журнал Airflow: {log_path}", flush=True)
    with open(log_path, "w", encoding="utf-8") as log:
        proc = subprocess.Popen(
            [airflow, "dags", "test", dag_id, "--conf", conf],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        assert proc.stdout is not None
        for line in proc.stdout:
            log.write(line)
            shown = _progress_line(line)
            if shown:
                print(shown, flush=True)
        rc = proc.wait()
    if rc != 0:
        print("".join(log_path.read_text(encoding="utf-8").splitlines(True)[-60:]))
    return rc


_TASK_EVENT = re.compile(r"\[DAG TEST\] (starting|end) task task_id=(\w+)")


def _progress_line(line: str) -> str | None:
    """Task start/end and the pipeline's own Russian progress lines; Airflow's noise is
    kept in the log file only."""
    found = _TASK_EVENT.search(line)
    if found:
        return ("   ▶ " if found.group(1) == "starting" else "   ✓ ") + found.group(2)
    if ("ERROR" in line and "ERROR=0" not in line) or "Traceback" in line or "ОШИБКА" in line:
        return line.rstrip()
    stripped = line.strip()
    if re.match(
        r"^(\[\d+/\d+\]|Запуск №|Источник |Отчёты для школ|dbt build выполнен|ЗАМЕНА:|"
        r"Итог запуска|Витрины опубликованы|Хранилище занято|Папка приёма|Пакет отчётов|"
        r"Metabase не настроен|Дашборды Metabase)",
        stripped,
    ):
        return "     " + stripped
    return None


def cmd_demo(args) -> int:
    from ingestion.config import get_settings
    from reporting.summary import print_summary

    generate = _generator()

    t0 = time.monotonic()
    landing = state_dir() / "demo_landing"
    if landing.exists():
        shutil.rmtree(landing)
    print("1/3 Генерация синтетического региона (Хабаровский край, seed 42)…", flush=True)
    generate(landing, seed=args.seed, scale=args.scale)
    settings = get_settings()  # starts the embedded server and makes sure a key exists
    where = "встроенный PostgreSQL" if settings.embedded else "EDU_DWH_DSN"
    print(f"2/3 Запуск DAG edu_dwh_pipeline через Airflow ({where})…", flush=True)
    rc = run_dag(landing)
    if rc == 0:  # the scheduler is not running: the asset-driven DAG is run here
        rc = run_dag(landing, "edu_dwh_after_publish")
    if rc != 0:
        print(f"ОШИБКА: DAG завершился с кодом {rc}", file=sys.stderr)
        return rc
    print("3/3 Итоги", flush=True)
    print_summary(demo=True)  # the demo's synthetic region: published reference shown
    _print_pack_location()
    print(f"Общее время демо: {time.monotonic() - t0:.0f} с")
    return 0


def _print_pack_location() -> None:
    """Where edu_dwh_after_publish's report_pack wrote the municipality notes (the demo's
    last lines)."""
    from orchestration.report_pack import latest_pack

    pack = latest_pack()
    if pack is None:
        print("Справки для муниципалитетов не сформированы (нет опубликованных витрин).")
        return
    notes = sorted(pack.glob("*.html"))
    print(f"Справки для муниципалитетов ({len(notes)} файлов HTML, печать в PDF — A4): {pack}")


def cmd_report(args) -> int:
    from orchestration.report_pack import write_municipal_pack

    try:
        written = write_municipal_pack(args.year, args.municipality, args.out)
    except LookupError as exc:
        print(f"ОШИБКА: {exc}", file=sys.stderr)
        return 2
    if not written:
        print("ОШИБКА: витрины ещё не построены: справки не из чего составить", file=sys.stderr)
        return 2
    for path in written:
        print(f"Справка: {path}")
    print(f"Всего справок: {len(written)} ({args.out})")
    return 0


def cmd_explain(args) -> int:
    from reporting.lineage import ExplainError, card_lines, explain, write_card_html

    try:
        card = explain(
            args.code, args.year, args.territory, subject_code=args.subject,
            participant_category=args.category, exam=args.exam, grade=args.grade,
            breakdown_key=args.breakdown,
        )  # fmt: skip
    except ExplainError as exc:
        print(f"ОШИБКА: {exc}", file=sys.stderr)
        return 2
    print("\n".join(card_lines(card)))
    if args.html:
        print(f"Карточка: {write_card_html(card, args.html)}")
    return 0


def cmd_templates(args) -> int:
    from reporting.upload_templates import write_templates

    for path in write_templates(Path(args.out)):
        print(f"Шаблон: {path}")
    return 0


def cmd_access(args) -> int:
    """BI access per municipality (orchestration/row_security.py): list, re-apply, logins."""
    import getpass

    import psycopg2

    from ingestion import db
    from orchestration import publication, row_security

    if args.action == "apply":
        publication.grant_bi_access()
        print("Права BI и политики строк применены к опубликованным витринам")
        return 0
    if args.action == "login":
        if not args.name or bool(args.municipality) == bool(args.ministry):
            print(
                "ОШИБКА: укажите имя входа и либо --municipality КОД, либо --ministry",
                file=sys.stderr,
            )
            return 2
        group = (
            row_security.MINISTRY_ROLE
            if args.ministry
            else row_security.role_name(args.municipality)
        )
        if not row_security.LOGIN_RE.match(args.name):
            print(
                f"ОШИБКА: имя входа «{args.name}»: латиница в нижнем регистре, цифры и _",
                file=sys.stderr,
            )
            return 2
        try:  # never an argument: it would stay in the shell's history
            password = os.environ.get("EDU_DWH_LOGIN_PASSWORD") or getpass.getpass(
                f"Пароль для {args.name}: "
            )
        except EOFError:
            password = ""
        try:
            with db.transaction() as conn, conn.cursor() as cur:
                done = row_security.create_login(cur, args.name, group, password)
        except ValueError as exc:
            print(f"ОШИБКА: {exc}", file=sys.stderr)
            return 2
        except psycopg2.errors.InsufficientPrivilege as exc:
            print(
                f"ОШИБКА: пользователь хранилища не может создать вход ({exc.pgerror or exc})."
                " Создайте его администратором БД (README, «Access for BI users»)",
                file=sys.stderr,
            )
            return 2
        said = "создан" if done == "created" else "обновлён (новый пароль)"
        print(f"Вход {args.name} {said}, роль {group}")
        return 0
    with db.transaction() as conn, conn.cursor() as cur:
        rows = row_security.access_table(cur)
    print("роль | Код АТЕ | муниципалитет | входы")
    for role, code, name, exists, logins in rows:
        who = ", ".join(logins) if logins else "—"
        print(f"{role} | {code} | {name} | {who if exists else 'роль не создана'}")
    return 0


def cmd_summary(args) -> int:
    from reporting.summary import print_summary

    print_summary()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="edu-dwh", description="Education-quality warehouse")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("run", help="ingest → validate → dbt build → publish on a landing folder")
    p.add_argument("--landing", required=True, type=Path)
    p.add_argument("--skip-dbt", action="store_true", help="load and validate only")
    p.add_argument(
        "--full-refresh",
        action="store_true",
        help="rebuild every dbt model for every year (default: only the changed years)",
    )
    p.add_argument("--quiet", action="store_true", help="no summary at the end")
    p.add_argument(
        "--wait", type=float, default=0, help="seconds to wait while another run is active"
    )
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("loads", help="what is loaded: files, rows, status, replaced by")
    p.add_argument("--source", help="source (ege, oge, vpr, olympiad, career, …) or its folder")
    p.add_argument("--year", type=int, help="files holding rows of this year")
    p.add_argument("--all", action="store_true", help="also duplicates, rejections, attempts")
    p.set_defaults(func=cmd_loads)

    p = sub.add_parser("withdraw", help="remove one loaded file's rows (audited)")
    p.add_argument("file", help="load id, landing path (fis_gia/ege/a.csv) or file name")
    p.add_argument("--reason", help="why (kept in the audit trail)")
    p.add_argument("--wait", type=float, default=0, help="seconds to wait for a running run")
    p.set_defaults(func=cmd_withdraw)

    p = sub.add_parser("quarantine", help="copies of rejected files: list, or purge old ones")
    p.add_argument("action", choices=("list", "purge"), nargs="?", default="list")
    p.add_argument("--days", type=int, help="purge copies older than this (default 90)")
    p.set_defaults(func=cmd_quarantine)

    p = sub.add_parser("generate", help="write a synthetic region's landing folder")
    p.add_argument("--out", required=True, type=Path)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--scale", type=float, default=1.0)
    p.set_defaults(func=cmd_generate)

    p = sub.add_parser("demo", help="synthetic region through the whole pipeline via Airflow")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--scale", type=float, default=1.0)
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("templates", help="write the blank XLSX templates schools fill in")
    p.add_argument("--out", required=True, type=Path)
    p.set_defaults(func=cmd_templates)

    p = sub.add_parser(
        "report", help="the municipality report pack: one HTML note per municipality + region"
    )
    p.add_argument("--year", type=int, required=True)
    p.add_argument("--municipality", help="Код АТЕ: only this municipality's note")
    p.add_argument("--out", required=True, type=Path)
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("explain", help="where one published indicator value comes from")
    p.add_argument("code", help="indicator code, e.g. GIA-01")
    p.add_argument("--year", type=int, required=True)
    p.add_argument("--territory", required=True, help="00 (region), Код АТЕ or Код ОО")
    p.add_argument("--subject", type=int, help="subject code")
    p.add_argument("--category", help="participant category: ВТГ, ВПЛ, СПО, ИНО, все")
    p.add_argument("--exam", help="ЕГЭ, ОГЭ, ГВЭ")
    p.add_argument("--grade", type=int, help="grade (ВПР)")
    p.add_argument("--breakdown", help="breakdown_key (GIA-09 level, VPR-03 kind, …)")
    p.add_argument("--html", type=Path, help="also write the card as an HTML page here")
    p.set_defaults(func=cmd_explain)

    p = sub.add_parser(
        "access", help="BI access per municipality: list roles and logins, re-apply, add a login"
    )
    p.add_argument("action", choices=("list", "apply", "login"), nargs="?", default="list")
    p.add_argument("name", nargs="?", help="login: the new login's name")
    p.add_argument("--municipality", help="login: Код АТЕ of the municipality it sees")
    p.add_argument("--ministry", action="store_true", help="login: sees everything")
    p.set_defaults(func=cmd_access)

    p = sub.add_parser("summary", help="print the Russian summary of the published marts")
    p.set_defaults(func=cmd_summary)

    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except Exception as exc:  # the database's English and tracebacks never reach people
        code = _exit_code(exc)
        if code is None:
            raise
        print(f"ОШИБКА: {_say(exc)}", file=sys.stderr)
        return code


if __name__ == "__main__":
    sys.exit(main())
