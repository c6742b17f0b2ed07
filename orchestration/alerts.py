"""E-mail alerts of the DAG (Russian), sent through Airflow's SMTP notifier.

Two kinds, both built from the audit tables the pipeline writes:

- a run that failed (any task: `close_failed_run`) — why (audit.runs), which tasks, the
  files rejected on the way (a blocking check names its file here);
- a run that published but rejected files or quarantined rows (`notify_rejections`) —
  each rejected file with its reason, each file with quarantined rows with the reasons.

Both link the auditors' page: `<docs url>/audit.html` when a base URL is configured
(`edu_dwh_docs_url` / `EDU_DWH_DOCS_URL`), else its path on the Airflow host. Recipients,
sender and the SMTP connection: `orchestration.airflow_settings`. No recipients configured:
nothing is sent (the task log says so); an SMTP failure fails the task, so it is seen.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from html import escape

from ingestion import db
from ingestion.config import data_docs_dir
from reporting.labels import RUN_STATUS_RU

QUARANTINE_REASONS_SHOWN = 5  # per file: the most frequent reasons


@dataclass
class RunFacts:
    """What one run left in the audit tables, as far as an alert needs it."""

    run_id: int
    status: str | None = None
    message: str | None = None
    rejected: list[tuple[str, str, bool]] = field(default_factory=list)  # path, reason, blocking
    quarantined: list[tuple[str, int, list[tuple[str, int]]]] = field(default_factory=list)


def run_facts(run_id: int) -> RunFacts:
    facts = RunFacts(run_id)
    with db.transaction() as conn, conn.cursor() as cur:
        cur.execute(
            "select status, coalesce(message, last_error) from audit.runs where run_id = %s",
            (run_id,),
        )
        found = cur.fetchone()
        if found:
            facts.status, facts.message = found
        cur.execute(
            "select rel_path, coalesce(message, ''), blocking from audit.loads"
            " where run_id = %s and status = 'rejected' order by load_id",
            (run_id,),
        )
        facts.rejected = [(r[0], r[1], bool(r[2])) for r in cur.fetchall()]
        cur.execute(
            "select l.rel_path, l.rows_quarantined, q.reason, count(*)"
            " from audit.loads l join audit.quarantine q using (load_id)"
            " where l.run_id = %s and l.status <> 'rejected' and l.rows_quarantined > 0"
            " group by l.load_id, l.rel_path, l.rows_quarantined, q.reason"
            " order by l.load_id, count(*) desc, q.reason",
            (run_id,),
        )
        by_file: dict[str, tuple[int, list[tuple[str, int]]]] = {}
        for rel, total, reason, n in cur.fetchall():
            by_file.setdefault(rel, (total, []))[1].append((reason, n))
        facts.quarantined = [(rel, total, reasons) for rel, (total, reasons) in by_file.items()]
    return facts


def audit_link(docs_url: str | None) -> str:
    if docs_url:
        return docs_url.rstrip("/") + "/audit.html"
    return str(data_docs_dir() / "audit.html")


def _files_html(facts: RunFacts) -> str:
    parts = []
    if facts.rejected:
        items = "".join(
            f"<li><b>{escape(rel)}</b>{' (блокирующая проверка)' if blocking else ''}: "
            f"{escape(reason)}</li>"
            for rel, reason, blocking in facts.rejected
        )
        parts.append(f"<p>Отклонённые файлы ({len(facts.rejected)}):</p><ul>{items}</ul>")
    if facts.quarantined:
        items = []
        for rel, total, reasons in facts.quarantined:
            shown = "; ".join(f"{escape(r)} — {n}" for r, n in reasons[:QUARANTINE_REASONS_SHOWN])
            more = len(reasons) - QUARANTINE_REASONS_SHOWN
            tail = f"; и ещё причин: {more}" if more > 0 else ""
            items.append(
                f"<li><b>{escape(rel)}</b>: строк в карантине {total} ({shown}{tail})</li>"
            )
        parts.append(
            f"<p>Файлы со строками в карантине ({len(items)}):</p><ul>{''.join(items)}</ul>"
        )
    return "".join(parts)


def _footer(link: str) -> str:
    return (
        f'<p>Отчёт о проверке данных для аудиторов: <a href="{escape(link)}">{escape(link)}</a></p>'
    )


def rejection_mail(run_id: int, docs_url: str | None = None) -> tuple[str, str] | None:
    """(subject, html) for a published run that rejected files or rows; None when it
    rejected nothing."""
    facts = run_facts(run_id)
    if not facts.rejected and not facts.quarantined:
        return None
    rows = sum(total for _, total, _ in facts.quarantined)
    subject = (
        f"edu-dwh: запуск №{run_id} опубликован, но отклонены данные"
        f" (файлов: {len(facts.rejected)}, строк в карантине: {rows})"
    )
    status = RUN_STATUS_RU.get(facts.status or "", facts.status or "неизвестен")
    html = (
        f"<p>Запуск №{run_id} конвейера edu-dwh: {escape(status)}. Витрины обновлены без"
        " отклонённых данных; исправленные файлы загрузятся следующим запуском.</p>"
        f"{_files_html(facts)}{_footer(audit_link(docs_url))}"
    )
    return subject, html


def failure_mail(
    run_id: int | None,
    dag_run_id: str,
    failed_tasks: list[str] | None = None,
    docs_url: str | None = None,
) -> tuple[str, str]:
    """(subject, html) for a DAG run that failed (run_id None: no warehouse run was opened)."""
    tasks = ", ".join(failed_tasks or []) or "см. журнал Airflow"
    if run_id is None:
        subject = f"edu-dwh: ОШИБКА — запуск не начат (DAG run {dag_run_id})"
        html = (
            f"<p>DAG run {escape(dag_run_id)} конвейера edu-dwh завершился с ошибкой до"
            " открытия запуска в хранилище. Опубликованные витрины не изменились.</p>"
            f"<p>Не выполнены задачи: {escape(tasks)}.</p>"
        )
        return subject, html
    facts = run_facts(run_id)
    status = RUN_STATUS_RU.get(facts.status or "", facts.status or "неизвестен")
    published = facts.status == "published"
    what = "опубликован, но задача после публикации не выполнена" if published else None
    subject = (
        f"edu-dwh: ОШИБКА — запуск №{run_id} {what or 'не опубликован'} (DAG run {dag_run_id})"
    )
    html = (
        f"<p>Запуск №{run_id} конвейера edu-dwh (DAG run {escape(dag_run_id)}):"
        f" {escape(status)}.</p>"
        + (
            "<p>Витрины опубликованы.</p>"
            if published
            else "<p>Витрины не опубликованы: пользователи видят прежние.</p>"
        )
        + f"<p>Причина: {escape(facts.message or 'см. журнал упавшей задачи')}</p>"
        f"<p>Не выполнены задачи: {escape(tasks)}.</p>"
        f"{_files_html(facts)}{_footer(audit_link(docs_url))}"
    )
    return subject, html


def recipients() -> list[str]:
    from orchestration.airflow_settings import setting

    value = setting("alert_emails") or ""
    return [a.strip() for a in value.replace(";", ",").split(",") if a.strip()]


def send(subject: str, html: str, context) -> bool:
    """Send through `SmtpNotifier` (SMTP connection `edu_dwh_smtp`, or the one
    `EDU_DWH_SMTP_CONN_ID` names). False, and a line in the log, when no recipient is set."""
    from airflow.providers.smtp.notifications.smtp import SmtpNotifier

    from orchestration.airflow_settings import SMTP_CONN_ID, setting

    to = recipients()
    if not to:
        print(
            "Оповещение не отправлено: получатели не заданы (переменная Airflow"
            f" edu_dwh_alert_emails или EDU_DWH_ALERT_EMAILS). Тема: {subject}",
            flush=True,
        )
        return False
    notifier = SmtpNotifier(
        to=to,
        from_email=setting("alert_from"),  # None: the connection's from_email
        subject=subject,
        html_content=html,
        smtp_conn_id=os.environ.get("EDU_DWH_SMTP_CONN_ID", SMTP_CONN_ID),
    )
    notifier.notify(context)  # fields given as they are: no Jinja over audit texts
    print(f"Оповещение отправлено ({', '.join(to)}): {subject}", flush=True)
    return True
