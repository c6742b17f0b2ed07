"""The short Russian summary printed after a run (and by `edu-dwh summary`)."""

from __future__ import annotations

from ingestion import db
from ingestion.config import data_docs_dir

SUBJECT_ORDER = (22, 2, 1, 3, 4, 6, 5, 7, 8, 9, 12, 18)


def _fmt(value) -> str:
    return "—" if value is None else f"{float(value):.2f}".replace(".", ",")


def summary_lines() -> list[str]:
    with db.transaction() as conn, conn.cursor() as cur:
        cur.execute("select to_regclass('marts.indicator_values') is not null")
        if not cur.fetchone()[0]:
            return ["Витрины ещё не построены (marts.indicator_values отсутствует)."]
        cur.execute(
            "select max(year) from marts.indicator_values where indicator_code = 'GIA-01'"
            " and exam = 'ЕГЭ'"
        )
        year = cur.fetchone()[0]
        lines: list[str] = []
        if year is None:
            lines.append("Результатов ЕГЭ в витринах нет.")
        else:
            cur.execute(
                """
                select v.subject_code, s.name, v.value, v.numerator, v.denominator
                from marts.indicator_values v
                left join reference.subjects s on s.code = v.subject_code
                where v.indicator_code = 'GIA-01' and v.year = %s and v.exam = 'ЕГЭ'
                  and v.territory_level = 'region' and v.participant_category = 'все'
                """,
                (year,),
            )
            rows = {r[0]: r for r in cur.fetchall()}
            lines.append(f"ЕГЭ {year}: доля результатов ниже минимального порога по региону")
            ordered = [c for c in SUBJECT_ORDER if c in rows] + sorted(
                c for c in rows if c not in SUBJECT_ORDER
            )
            for code in ordered:
                _, name, value, num, den = rows[code]
                lines.append(f"  {name or code:<32} {_fmt(value):>6} %  ({int(num)} из {int(den)})")
            cur.execute(
                """
                select territory_name, value, numerator, denominator
                from marts.indicator_values
                where indicator_code = 'GIA-10' and year = %s and exam = 'ЕГЭ'
                  and territory_level = 'municipality' and participant_category = 'все'
                order by value desc, territory_name
                limit 3
                """,
                (year,),
            )
            worst = cur.fetchall()
            if worst:
                lines.append(
                    "Муниципалитеты с наибольшей долей участников ЕГЭ, не преодолевших минимум"
                    " хотя бы по одному предмету:"
                )
                for i, (name, value, num, den) in enumerate(worst, 1):
                    lines.append(f"  {i}. {name}: {_fmt(value)} % ({int(num)} из {int(den)})")
        cur.execute(
            "select count(*) filter (where status = 'loaded'),"
            " count(*) filter (where status = 'rejected'),"
            " coalesce(sum(rows_quarantined) filter (where status = 'loaded'), 0)"
            " from audit.loads"
        )
        loaded, rejected, quarantined = cur.fetchone()
    lines.append(
        f"Загружено файлов: {loaded}, отклонено: {rejected}, строк в карантине: {quarantined}"
        " (подробности: audit.loads, audit.quarantine)"
    )
    index = data_docs_dir() / "index.html"
    lines.append(f"Отчёты о проверке данных (Great Expectations Data Docs): {index}")
    return lines


def print_summary() -> None:
    print("\n".join(summary_lines()), flush=True)
