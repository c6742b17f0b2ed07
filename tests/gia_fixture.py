"""A small hand-made ФИС ГИА dataset for the GIA-01 … GIA-16 tests (test_indicators_gia.py).

Every row is listed explicitly so that the expected indicator values can be worked out by
hand. Persons are already pseudonymised (person_key `e01` … for ЕГЭ-family persons, `o01` …
for 9th graders of 2023). Territories:

    municipality 01 «Город Первый»:  school 010001 (S1), 010002 (S2)
    municipality 02 «Район Второй»:  school 020001 (S3), 020002 (S4), 020003 (S5)

Best result per person and subject (what the indicators see), ЕГЭ 2023 (level 11):

    S1  e01 ВТГ  1:50 (основной 20 → резервный 50)  2:70  3:81
        e02 ВТГ  1:100  2:80  3:60  5:75            (4: аннулирован → no result)
        e03 ВТГ  1:30 (95 аннулирован)  2:20  12:40  22:м2  (6: не явился)
        e04 ВТГ  1:60  2:25  22:м4  7:50
        e05 ВТГ  1:72  2:64                         (2 дополнительный 80 аннулирован)
        e06 ВТГ  1:45 (дополнительный 40 is valid but worse)  2:50
        e07 ВПЛ  1:90  2:100
    S2  e08 ВТГ  1:85  2:90  4:80  6:75
        e09 ВТГ  1:70  2:60  9:90
        e10 ВТГ  1:65  2:61
        e11 ВТГ  1:78  2:72                         (3: удалён → no result)
        e12 ВТГ  1:50  2:45  12:60
        e13 ВТГ  1:55  7:40 (both S2)  22:м3 (row at S1) → person attached to S2
        e14 СПО  1:23  2:30
    S3  e15 ВТГ  1:88  2:100  3:95  5:90
        e16 ВТГ  1:40  2:39                         (1 резервный 60 на апелляции)
        e17 ВТГ  1:24  2:27
        e18 ВТГ  1:42  2:38  6:35
        e19 ВТГ  1:61 (основной 20 → дополнительный 61)  2:68
    S4  e20 ВТГ  ГВЭ-11 1:м3  2:м4
        e21 ВТГ  1:35  22:м3 (основной м2 → дополнительный м3)
        e22 ВТГ  1:20  22:м4
    --  e24 ВПЛ  (no school, municipality 02)  1:75  12:50
    S5  e25 ВТГ  only a `не явился` row

ОГЭ / ГВЭ-9 2023 (level 9): mark (primary score)

    S1  o01 ВТГ  1:5(30)  2:4(18)  3:5(40)  5:3(10)
        o02 ВТГ  1:3(16) (основной 2(10) → резервный 3(16))  2:3(10)  6:3(20)  8:3(15)
        o03 ВТГ  1:4(27)  2:2(5)  12:4(25)
    S2  o04 ВТГ  1:4(29)  2:4(17)  4:4(25)  9:4(50)
        o05 ВТГ  1:3(20)  2:3(12) (основной 2(6) → дополнительный 3(12))  7:3(15)
    S3  o06 ВТГ  1:5(33)  2:5(28)  12:5(35)
        o07 ВТГ  1:3(18)  2:3(11)
        o10 ИНО  1:4(23)  2:2(7)
    S4  o08 ВТГ  ГВЭ-9 1:5(20)  2:2(3)
        o09 ВТГ  1:2(11)  2:3(13)  6:4(30)  (8: не явился)

ОГЭ 2021 (the same persons as the 2023 ЕГЭ graduates, for GIA-15), all ВТГ:

    S1  e01  1:4  2:4  3:4  5:4
        e02  1:5  2:5  4:5  6:4
    S2  e09  1:4  2:3  9:5  8:4
        e10  1:3  2:3  12:3
        e15  1:5  2:5  3:5      (in 2023 e15 is at S3, municipality 02)
        e08  ГВЭ-9 1:4  2:4     (no ОГЭ-form result)
    S3  e16  1:3  2:2
        e18  1:4  2:4  4:3      (6: аннулирован)

ОГЭ 2022: e12 (S2, ВТГ) 12:4 — one year too late to count for GIA-15 in 2023;
          o11 (ВТГ) 1:4 at S3, 2:4 at S2 — a tie between schools.
"""

from __future__ import annotations

VALID = "действителен"
ANNULLED = "аннулирован"
ABSENT = "не явился"
REMOVED = "удалён"
APPEAL = "на апелляции"

S1, S2, S3, S4, S5 = "010001", "010002", "020001", "020002", "020003"

MUNICIPALITIES = [
    ("01", "Город Первый", "городской округ"),
    ("02", "Район Второй", "муниципальный район"),
]

SCHOOLS = [
    # school_code, ate_code, name, locality, subordination, is_shnor, is_shsu
    (S1, "01", "Школа № 1", "город", "муниципальная", False, False),
    (S2, "01", "Лицей № 2", "город", "муниципальная", False, False),
    (S3, "02", "Школа села Третье", "село", "муниципальная", False, True),
    (S4, "02", "Школа села Четвёртое", "село", "муниципальная", True, False),
    (S5, "02", "Школа села Пятое", "село", "муниципальная", False, False),
]

SCHOOL_ATE = {code: ate for code, ate, *_ in SCHOOLS}

TARGETS = [
    # indicator_code, year, level, territory_code, subject_code, target_value
    ("GIA-06", 2023, "регион", "00", None, 50),
    ("GIA-06", 2023, "муниципалитет", "02", None, 50),
    ("GIA-01", 2023, "муниципалитет", "01", 2, 10),
    ("GIA-03", 2023, "ОО", S1, 1, 60),
]

SUBJECT_NAMES = {
    1: "Русский язык",
    2: "Математика",
    22: "Математика (базовая)",
    3: "Физика",
    4: "Химия",
    5: "Информатика",
    6: "Биология",
    7: "История",
    8: "География",
    9: "Английский язык",
    12: "Обществознание",
}

STAGE_DAY = {
    "досрочный": "03-20",
    "основной": "06-01",
    "резервный": "06-20",
    "дополнительный": "09-05",
}

GIA_COLUMNS = (
    "gia_level",
    "year",
    "stage",
    "exam_date",
    "form",
    "ate_code",
    "school_code",
    "category",
    "person_key",
    "subject_code",
    "subject_name",
    "primary_score",
    "test_score",
    "mark",
    "status",
)


def _row(level, year, form, person, cat, school, subject, score, stage, status, primary, ate):
    test_scored = form == "ЕГЭ" and subject != 22
    test = score if test_scored else None
    mark = None if test_scored else score
    if primary is None and score is not None:
        primary = score // 2 if test_scored else score * 5
    ate = ate or SCHOOL_ATE[school]
    return (
        level,
        year,
        stage,
        f"{year}-{STAGE_DAY[stage]}",
        form,
        ate,
        school,
        cat,
        person,
        subject,
        SUBJECT_NAMES[subject],
        primary,
        test,
        mark,
        status,
    )


def ege(person, cat, school, subject, score, stage="основной", status=VALID, form="ЕГЭ", ate=None):
    """A fis_gia/ege row of 2023: `score` is the test score (ЕГЭ) or the mark (22, ГВЭ)."""
    return _row(11, 2023, form, person, cat, school, subject, score, stage, status, None, ate)


def oge(
    person, school, subject, mark, primary=None, stage="основной", status=VALID,
    form="ОГЭ", cat="ВТГ", year=2023,
):  # fmt: skip
    """A fis_gia/oge row."""
    return _row(9, year, form, person, cat, school, subject, mark, stage, status, primary, None)


EGE_2023 = [
    # ---- S1 (municipality 01)
    ege("e01", "ВТГ", S1, 1, 20),
    ege("e01", "ВТГ", S1, 1, 50, stage="резервный"),
    ege("e01", "ВТГ", S1, 2, 70),
    ege("e01", "ВТГ", S1, 3, 81),
    ege("e02", "ВТГ", S1, 1, 100),
    ege("e02", "ВТГ", S1, 2, 80),
    ege("e02", "ВТГ", S1, 3, 60),
    ege("e02", "ВТГ", S1, 5, 75),
    ege("e02", "ВТГ", S1, 4, 90, status=ANNULLED),
    ege("e03", "ВТГ", S1, 1, 95, status=ANNULLED),
    ege("e03", "ВТГ", S1, 1, 30, stage="резервный"),
    ege("e03", "ВТГ", S1, 2, 20),
    ege("e03", "ВТГ", S1, 12, 40),
    ege("e03", "ВТГ", S1, 6, None, status=ABSENT),
    ege("e03", "ВТГ", S1, 22, 2),
    ege("e04", "ВТГ", S1, 1, 60),
    ege("e04", "ВТГ", S1, 2, 25),
    ege("e04", "ВТГ", S1, 22, 4),
    ege("e04", "ВТГ", S1, 7, 50),
    ege("e05", "ВТГ", S1, 1, 72),
    ege("e05", "ВТГ", S1, 2, 64),
    ege("e05", "ВТГ", S1, 2, 80, stage="дополнительный", status=ANNULLED),
    ege("e06", "ВТГ", S1, 1, 45),
    ege("e06", "ВТГ", S1, 1, 40, stage="дополнительный"),
    ege("e06", "ВТГ", S1, 2, 50),
    ege("e07", "ВПЛ", S1, 1, 90),
    ege("e07", "ВПЛ", S1, 2, 100),
    # ---- S2 (municipality 01)
    ege("e08", "ВТГ", S2, 1, 85),
    ege("e08", "ВТГ", S2, 2, 90),
    ege("e08", "ВТГ", S2, 4, 80),
    ege("e08", "ВТГ", S2, 6, 75),
    ege("e09", "ВТГ", S2, 1, 70),
    ege("e09", "ВТГ", S2, 2, 60),
    ege("e09", "ВТГ", S2, 9, 90),
    ege("e10", "ВТГ", S2, 1, 65),
    ege("e10", "ВТГ", S2, 2, 61),
    ege("e11", "ВТГ", S2, 1, 78),
    ege("e11", "ВТГ", S2, 2, 72),
    ege("e11", "ВТГ", S2, 3, 90, status=REMOVED),
    ege("e12", "ВТГ", S2, 1, 50),
    ege("e12", "ВТГ", S2, 2, 45),
    ege("e12", "ВТГ", S2, 12, 60),
    ege("e13", "ВТГ", S2, 1, 55),
    ege("e13", "ВТГ", S1, 22, 3),
    ege("e13", "ВТГ", S2, 7, 40),
    ege("e14", "СПО", S2, 1, 23),
    ege("e14", "СПО", S2, 2, 30),
    # ---- S3 (municipality 02)
    ege("e15", "ВТГ", S3, 1, 88),
    ege("e15", "ВТГ", S3, 2, 100),
    ege("e15", "ВТГ", S3, 3, 95),
    ege("e15", "ВТГ", S3, 5, 90),
    ege("e16", "ВТГ", S3, 1, 40),
    ege("e16", "ВТГ", S3, 1, 60, stage="резервный", status=APPEAL),
    ege("e16", "ВТГ", S3, 2, 39),
    ege("e17", "ВТГ", S3, 1, 24),
    ege("e17", "ВТГ", S3, 2, 27),
    ege("e18", "ВТГ", S3, 1, 42),
    ege("e18", "ВТГ", S3, 2, 38),
    ege("e18", "ВТГ", S3, 6, 35),
    ege("e19", "ВТГ", S3, 1, 20),
    ege("e19", "ВТГ", S3, 1, 61, stage="дополнительный"),
    ege("e19", "ВТГ", S3, 2, 68),
    # ---- S4 (municipality 02)
    ege("e20", "ВТГ", S4, 1, 3, form="ГВЭ"),
    ege("e20", "ВТГ", S4, 2, 4, form="ГВЭ"),
    ege("e21", "ВТГ", S4, 1, 35),
    ege("e21", "ВТГ", S4, 22, 2),
    ege("e21", "ВТГ", S4, 22, 3, stage="дополнительный"),
    ege("e22", "ВТГ", S4, 1, 20),
    ege("e22", "ВТГ", S4, 22, 4),
    # ---- ВПЛ without a school (municipality 02)
    ege("e24", "ВПЛ", None, 1, 75, ate="02"),
    ege("e24", "ВПЛ", None, 12, 50, ate="02"),
    # ---- S5: only an absence
    ege("e25", "ВТГ", S5, 1, None, status=ABSENT),
]

OGE_2023 = [
    oge("o01", S1, 1, 5, 30),
    oge("o01", S1, 2, 4, 18),
    oge("o01", S1, 3, 5, 40),
    oge("o01", S1, 5, 3, 10),
    oge("o02", S1, 1, 2, 10),
    oge("o02", S1, 1, 3, 16, stage="резервный"),
    oge("o02", S1, 2, 3, 10),
    oge("o02", S1, 6, 3, 20),
    oge("o02", S1, 8, 3, 15),
    oge("o03", S1, 1, 4, 27),
    oge("o03", S1, 2, 2, 5),
    oge("o03", S1, 12, 4, 25),
    oge("o04", S2, 1, 4, 29),
    oge("o04", S2, 2, 4, 17),
    oge("o04", S2, 4, 4, 25),
    oge("o04", S2, 9, 4, 50),
    oge("o05", S2, 1, 3, 20),
    oge("o05", S2, 2, 2, 6),
    oge("o05", S2, 2, 3, 12, stage="дополнительный"),
    oge("o05", S2, 7, 3, 15),
    oge("o06", S3, 1, 5, 33),
    oge("o06", S3, 2, 5, 28),
    oge("o06", S3, 12, 5, 35),
    oge("o07", S3, 1, 3, 18),
    oge("o07", S3, 2, 3, 11),
    oge("o10", S3, 1, 4, 23, cat="ИНО"),
    oge("o10", S3, 2, 2, 7, cat="ИНО"),
    oge("o08", S4, 1, 5, 20, form="ГВЭ"),
    oge("o08", S4, 2, 2, 3, form="ГВЭ"),
    oge("o09", S4, 1, 2, 11),
    oge("o09", S4, 2, 3, 13),
    oge("o09", S4, 6, 4, 30),
    oge("o09", S4, 8, None, status=ABSENT),
]

OGE_2021 = [
    oge("e01", S1, 1, 4, 25, year=2021),
    oge("e01", S1, 2, 4, 17, year=2021),
    oge("e01", S1, 3, 4, 30, year=2021),
    oge("e01", S1, 5, 4, 12, year=2021),
    oge("e02", S1, 1, 5, 31, year=2021),
    oge("e02", S1, 2, 5, 27, year=2021),
    oge("e02", S1, 4, 5, 35, year=2021),
    oge("e02", S1, 6, 4, 30, year=2021),
    oge("e09", S2, 1, 4, 26, year=2021),
    oge("e09", S2, 2, 3, 12, year=2021),
    oge("e09", S2, 9, 5, 60, year=2021),
    oge("e09", S2, 8, 4, 20, year=2021),
    oge("e10", S2, 1, 3, 19, year=2021),
    oge("e10", S2, 2, 3, 12, year=2021),
    oge("e10", S2, 12, 3, 20, year=2021),
    oge("e15", S2, 1, 5, 32, year=2021),
    oge("e15", S2, 2, 5, 29, year=2021),
    oge("e15", S2, 3, 5, 42, year=2021),
    oge("e08", S2, 1, 4, 15, form="ГВЭ", year=2021),
    oge("e08", S2, 2, 4, 10, form="ГВЭ", year=2021),
    oge("e16", S3, 1, 3, 18, year=2021),
    oge("e16", S3, 2, 2, 6, year=2021),
    oge("e18", S3, 1, 4, 24, year=2021),
    oge("e18", S3, 2, 4, 16, year=2021),
    oge("e18", S3, 6, 4, 28, status=ANNULLED, year=2021),
    oge("e18", S3, 4, 3, 15, year=2021),
]

OGE_2022 = [
    oge("e12", S2, 12, 4, 28, year=2022),
    # o11: one result at S3 (municipality 02) and one at S2 (municipality 01): a tie →
    # the person is attached to the smallest codes, S2 and 01
    oge("o11", S3, 1, 4, 25, year=2022),
    oge("o11", S2, 2, 4, 16, year=2022),
]

GIA_ROWS = EGE_2023 + OGE_2023 + OGE_2021 + OGE_2022


def load(conn) -> None:
    """Create the raw schema and insert the dataset (the caller commits)."""
    from ingestion.db import ensure_schema

    ensure_schema(conn)
    with conn.cursor() as cur:
        cur.executemany(
            "insert into raw.municipalities (load_id, source_row, ate_code, name, type)"
            " values (1, %s, %s, %s, %s)",
            [(i, *m) for i, m in enumerate(MUNICIPALITIES, start=1)],
        )
        cur.executemany(
            "insert into raw.schools (load_id, source_row, school_code, ate_code, name,"
            " locality, subordination, is_shnor, is_shsu)"
            " values (2, %s, %s, %s, %s, %s, %s, %s, %s)",
            [(i, *s) for i, s in enumerate(SCHOOLS, start=1)],
        )
        cur.executemany(
            "insert into raw.targets (load_id, source_row, indicator_code, year, level,"
            " territory_code, subject_code, target_value) values (3, %s, %s, %s, %s, %s, %s, %s)",
            [(i, *t) for i, t in enumerate(TARGETS, start=1)],
        )
        cols = ", ".join(GIA_COLUMNS)
        marks = ", ".join(["%s"] * len(GIA_COLUMNS))
        cur.executemany(
            f"insert into raw.gia_results (load_id, source_row, {cols}) values (%s, %s, {marks})",
            [(10 if r[0] == 11 else 20, i, *r) for i, r in enumerate(GIA_ROWS, start=1)],
        )
