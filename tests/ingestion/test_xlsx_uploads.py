"""XLSX uploads filled in by people: messy books read exactly, templates round-trip, feedback
reports for schools. Books are built with openpyxl in tmp_path; the feedback test uses a
real PostgreSQL (the `warehouse` fixture)."""

from __future__ import annotations

import datetime as dt
import json
import re
import zipfile

import openpyxl
import psycopg2
import pytest

from ingestion.read.header import HeaderProblem, header_key
from ingestion.read.xlsx import XlsxHeader, iter_xlsx_frames, read_xlsx_header
from reporting.feedback import RESEND, RESEND_FILE, write_feedback
from reporting.upload_templates import INSTRUCTION_SHEET, write_templates
from sources import SOURCES, TASKS

CAREER = SOURCES["career"]
OLYMPIAD = SOURCES["olympiad"]
VPR = SOURCES["vpr"]
SNILS_PATTERN = re.compile(r"\d{3}-?\d{3}-?\d{3}[ -]?\d{2}")


def read_all(path, spec, chunk_rows=50_000):
    header = read_xlsx_header(path, spec)
    frames = list(iter_xlsx_frames(path, spec, header, chunk_rows))
    return header, frames


def rows_of(frames):
    """[(excel row, {column: value}), …] over all frames."""
    out = []
    for frame in frames:
        assert all(str(frame[c].dtype) in ("str", "object") for c in frame.columns)
        for idx, rec in zip(frame.index, frame.to_dict("records"), strict=True):
            if rec.get("_reject") == "":  # no reader-level rejection: left out for brevity
                del rec["_reject"]
            out.append((idx + 1, rec))
    return out


CAREER_VALUES = [
    "2023/2024", "01", "010001", 100, 50, 40, 30, 20, 10, 15, 5, 6, 3, 2, 4, "базовый",
]  # fmt: skip
CAREER_TEXTS = [
    "2023/2024", "01", "010001", "100", "50", "40", "30", "20", "10", "15", "5", "6", "3", "2",
    "4", "базовый",
]  # fmt: skip


def test_header_key_ignores_spacing_case_yo_quotes_dashes():
    assert header_key("Участников\n«Билет в будущее»") == header_key(
        'участников  "Билет в будущее"'
    )
    assert header_key("Обучающихся 6–11 классов") == header_key("Обучающихся 6 - 11 классов")
    assert header_key("ЁЛКА") == header_key("елка")
    assert header_key("Получили рекомендации “Билет в будущее”*") == header_key(
        "Получили рекомендации «Билет в будущее»"
    )


def test_career_two_row_merged_header_title_row_renamed_sheet_blank_rows(tmp_path):
    wb = openpyxl.Workbook()
    notes_ws = wb.active
    notes_ws.title = "Справка"
    notes_ws["A1"] = "Отчёт готовил: завуч"
    notes_ws["A2"] = "Код ОО"  # one header-like cell: a worse match than the real sheet
    ws = wb.create_sheet("Лист1")
    ws["A1"] = "Отчёт о профориентационной работе за 2023/2024 учебный год"
    ws.merge_cells("A1:P1")
    file_texts = {
        1: "Учебный\nгод",
        4: "Обучающихся 6–11 классов",
        5: 'Участников "Билет в будущее"',
        6: "Получили рекомендации “Билет в будущее”",
        16: "Уровень  единой модели профориентации ",
    }
    for i, head in enumerate(CAREER.headers, start=1):
        if head in ("Выпускников 9 классов", "Выпускников 11 классов"):
            continue
        ws.cell(3, i, file_texts.get(i, head))
        ws.merge_cells(start_row=3, start_column=i, end_row=4, end_column=i)
    ws["H3"] = "Выпускников"
    ws.merge_cells("H3:I3")
    ws["H4"] = "9 классов"
    ws["I4"] = "11 классов"
    for j, v in enumerate(CAREER_VALUES, start=1):
        ws.cell(5, j, v)
    # row 6 blank; row 7: numbers typed as text, a float that is an integer
    for j, v in enumerate(CAREER_VALUES, start=1):
        ws.cell(7, j, v)
    ws["C7"] = "010002"
    ws["D7"] = 12.0
    ws["E7"] = "50 "
    ws["F7"] = "12,0"
    ws["G7"] = "7,5"  # not an integer: no note, parse_chunk rejects it
    ws["A9"] = "   "  # only spaces: blank
    path = tmp_path / "career_school_010001.xlsx"
    wb.save(path)

    header, frames = read_all(path, CAREER)
    assert isinstance(header, XlsxHeader) and header.encoding == "xlsx"
    assert header.sheet == "Лист1" and header.header_rows == (3, 4)
    assert header.columns == [
        "Учебный\nгод", "Код АТЕ", "Код ОО", "Обучающихся 6–11 классов",
        'Участников "Билет в будущее"', "Получили рекомендации “Билет в будущее”",
        "Участников открытых уроков «Проектория»", "Выпускников 9 классов",
        "Выпускников 11 классов", "Выпускников 9 классов, продолживших обучение в 10 классе",
        "Выпускников, завершивших профессиональное обучение",
        "Выбрали для ГИА предметы профильного уровня", "Поступили в СПО по профилю",
        "Поступили в ВО по профилю", "Мероприятий с предприятиями",
        "Уровень  единой модели профориентации",
    ]  # fmt: skip
    assert [header.mapping[c].header for c in header.columns] == list(CAREER.headers)
    assert header.unknown == []
    assert header.notes == [
        "лист «Отчёт» не найден — таблица прочитана с листа «Лист1»",
        "строки 1–2 над заголовком пропущены",
        "заголовок в двух строках (3–4) объединён",
    ]
    got = rows_of(frames)
    assert [r for r, _ in got] == [5, 7]
    assert list(frames[0].columns) == [*header.columns, "_note", "_reject"]
    assert list(got[0][1].values()) == [*CAREER_TEXTS, ""]
    second = [*CAREER_TEXTS, ""]
    second[2:7] = ["010002", "12", "50 ", "12,0", "7,5"]
    second[-1] = (
        "«Участников «Билет в будущее»»: число введено как текст «50 » — принято 50; "
        "«Получили рекомендации «Билет в будущее»»: число введено как текст «12,0» — принято 12"
    )
    assert list(got[1][1].values()) == second


def vpr_book(path, tasks=("З1", "З2", "З3"), sheet="Результаты ВПР"):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = sheet
    heads = [h for h in VPR.headers if h != "З"] + list(tasks) + ["Примечание", "Дата"]
    ws.append(heads)
    ws.append([2024, "01", 270001, "9 ", "А", "S-1", 1, 12.0, 4, None, 1, "X", "х", "", None])
    ws.append([])
    ws.append(
        [2024, "01", 270001.0, 5, "Б", "S-2", 2, 7, 3, 3, "Х", 2, "x", "", dt.date(2024, 4, 15)]
    )
    ws.append([2024, "01", "270001", 5, "Б", "S-3", 2, 7, 3, "3", 0.5, "XX", 1, "ok", None])
    ws["B4"] = 1
    ws["B4"].number_format = "00"  # a code kept as a number, shown with its leading zero
    wb.save(path)


def test_vpr_task_columns_x_means_no_answer_numbers_as_text(tmp_path):
    path = tmp_path / "vpr.xlsx"
    vpr_book(path)
    header, frames = read_all(path, VPR, chunk_rows=2)
    assert header.sheet == "Результаты ВПР" and header.notes == []
    tasks = [c for c, col in header.mapping.items() if col.kind == TASKS]
    assert tasks == ["З1", "З2", "З3"]
    assert header.unknown == ["Примечание", "Дата"]
    assert [len(f) for f in frames] == [2, 1]  # chunks of 2 rows; the blank row 3 skipped
    got = rows_of(frames)
    assert [r for r, _ in got] == [2, 4, 5]
    assert [list(rec.values()) for _, rec in got] == [
        ["2024", "01", "270001", "9 ", "А", "S-1", "1", "12", "4", "", "1", "", "", "", "",
         "«Класс»: число введено как текст «9 » — принято 9"],
        ["2024", "01", "270001", "5", "Б", "S-2", "2", "7", "3", "3", "", "2", "", "",
         "15.04.2024", ""],
        ["2024", "01", "270001", "5", "Б", "S-3", "2", "7", "3", "3", "0.5", "XX", "1", "ok",
         "", "«Отметка по журналу»: число введено как текст «3» — принято 3"],
    ]  # fmt: skip


def test_notes_on_numbers_as_text_can_be_switched_off(tmp_path):
    path = tmp_path / "vpr.xlsx"
    vpr_book(path)
    header = read_xlsx_header(path, VPR)
    frames = list(iter_xlsx_frames(path, VPR, header, note_text_numbers=False))
    assert [rec["_note"] for _, rec in rows_of(frames)] == ["", "", ""]
    assert [rec["Класс"] for _, rec in rows_of(frames)] == ["9 ", "5", "5"]


def test_vpr_tasks_are_optional_and_only_cyrillic_z(tmp_path):
    path = tmp_path / "vpr_no_tasks.xlsx"
    vpr_book(path, tasks=("31", "Z2", "з3"))
    header = read_xlsx_header(path, VPR)
    assert not any(col.kind == TASKS for col in header.mapping.values())
    assert header.unknown == ["31", "Z2", "з3", "Примечание", "Дата"]


def olympiad_row(**over):
    row = {
        "Учебный год": "2023/2024", "Мероприятие": "ВсОШ", "Этап": "школьный",
        "Предмет": "Математика", "Класс": 9, "Код АТЕ": "01", "Код ОО": "010001",
        "СНИЛС": "123-456-789 01", "Балл": 35.5, "Максимальный балл": 50, "Статус": "призёр",
    }  # fmt: skip
    row.update(over)
    return row


def test_olympiad_merged_cells_across_columns_and_down_rows(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "результаты "  # the template's sheet, case and a trailing space changed
    heads = list(OLYMPIAD.headers)
    # «Код ОО» typed into a header cell merged across two columns (G:H)
    layout = heads[:7] + [None] + heads[7:]
    for i, head in enumerate(layout, start=1):
        if head:
            ws.cell(1, i, head)
    ws.merge_cells("G1:H1")

    def put(r, row):
        values = [row[h] for h in heads]
        for i, v in enumerate(values[:7] + [None] + values[7:], start=1):
            ws.cell(r, i, v)

    put(2, olympiad_row())
    put(3, olympiad_row(**{"Код АТЕ": None, "Код ОО": None, "СНИЛС": "987-654-321 00"}))
    ws["H3"] = "010002"  # typed into the second column under the merged header
    put(4, olympiad_row(**{"Код АТЕ": None, "Класс": "10", "СНИЛС": "111-222-333 44"}))
    ws["H4"] = "010009"  # two different codes under one header: the first is taken
    ws.merge_cells("F2:F4")  # one «Код АТЕ» for three rows
    path = tmp_path / "olympiad.xlsx"
    wb.save(path)

    header, frames = read_all(path, OLYMPIAD)
    assert header.sheet == "результаты " and header.notes == []
    assert header.columns == heads
    assert header.spans[6] == (6, 7)
    got = rows_of(frames)
    assert [r for r, _ in got] == [2, 3, 4]
    assert [rec["Код АТЕ"] for _, rec in got] == ["01", "01", "01"]
    assert [rec["Код ОО"] for _, rec in got] == ["010001", "010002", "010001"]
    assert [rec["СНИЛС"] for _, rec in got] == [
        "123-456-789 01",
        "987-654-321 00",
        "111-222-333 44",
    ]
    assert [rec["Балл"] for _, rec in got] == ["35.5", "35.5", "35.5"]
    assert [rec["_note"] for _, rec in got] == [
        "",
        "«Код АТЕ»: ячейка объединена со строкой 2 — значение «01» повторено",
        "«Класс»: число введено как текст «10» — принято 10; "
        "«Код АТЕ»: ячейка объединена со строкой 2 — значение «01» повторено; "
        "«Код ОО»: под объединённым заголовком заполнено несколько ячеек — взято «010001», "
        "не использовано «010009»",
    ]
    assert not any(SNILS_PATTERN.search(rec["_note"]) for _, rec in got)


def test_column_numbering_row_under_the_header_is_skipped(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Результаты"
    ws.append(list(OLYMPIAD.headers))
    ws.append(list(range(1, len(OLYMPIAD.headers) + 1)))
    ws.append([olympiad_row()[h] for h in OLYMPIAD.headers])
    path = tmp_path / "numbered.xlsx"
    wb.save(path)
    header, frames = read_all(path, OLYMPIAD)
    assert header.header_rows == (1, 2)
    assert header.notes == ["строка 2 с номерами столбцов (1, 2, 3, …) пропущена"]
    assert [(r, rec["Код ОО"], rec["Балл"]) for r, rec in rows_of(frames)] == [
        (3, "010001", "35.5")
    ]


def test_header_problems_name_missing_unknown_and_duplicate_columns(tmp_path):
    def book(name, header_rows):
        wb = openpyxl.Workbook()
        wb.active.title = "Результаты"
        for row in header_rows:
            wb.active.append(row)
        wb.save(tmp_path / name)
        return tmp_path / name

    heads = [h for h in OLYMPIAD.headers if h != "Статус"] + ["Статус участника"]
    with pytest.raises(HeaderProblem) as exc:
        read_xlsx_header(book("missing.xlsx", [["Результаты олимпиад"], heads]), OLYMPIAD)
    assert str(exc.value) == (
        "в заголовке нет обязательных столбцов: «Статус»; неизвестные столбцы: "
        "«Статус участника» (лист «Результаты», заголовок: строка 2)"
    )
    with pytest.raises(HeaderProblem) as exc:
        read_xlsx_header(book("other.xlsx", [[], ["Фамилия", "Имя", "Телефон"]]), OLYMPIAD)
    assert str(exc.value).startswith(
        "в заголовке нет обязательных столбцов: «Учебный год», «Мероприятие»"
    )
    # nothing recognised: the row may be data (a headerless file), so nothing of it is quoted
    assert "Фамилия" not in str(exc.value)
    assert str(exc.value).endswith(
        "первая строка не похожа на заголовок (возможно, строка заголовка пропущена)."
        " Заголовок не распознан ни по "
        "одному столбцу — проверьте, что это файл «Результаты олимпиад и конкурсов (лист "
        "«Результаты»)» и что таблица на листе «Результаты» (просмотрены первые 20 строк, "
        "лист «Результаты»)"
    )
    with pytest.raises(HeaderProblem) as exc:
        read_xlsx_header(book("dup.xlsx", [[*OLYMPIAD.headers, "Класс "]]), OLYMPIAD)
    assert str(exc.value) == (
        "столбец «Класс» встречается в заголовке дважды (лист «Результаты», строка 1)"
    )
    with pytest.raises(HeaderProblem, match="файл пуст: лист «Результаты» пуст"):
        read_xlsx_header(book("empty.xlsx", []), OLYMPIAD)
    with pytest.raises(HeaderProblem, match="файл пуст: лист «Результаты» пуст"):
        read_xlsx_header(book("blank.xlsx", [[None, "  "], [], [""]]), OLYMPIAD)


def test_files_that_are_not_xlsx_are_rejected_with_a_reason(tmp_path):
    cases = {
        "broken.xlsx": b"PK\x03\x04 this is not a zip archive at all",
        "old.xlsx": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600,
        "text.xlsx": "Год;Код АТЕ\n2024;01\n".encode("cp1251"),
        "empty.xlsx": b"",
    }
    expected = {
        "broken.xlsx": "повреждённый или неизвестный формат",
        "old.xlsx": "это книга старого формата Excel 97–2003 (.xls)",
        "text.xlsx": "это текстовый файл (например, CSV)",
        "empty.xlsx": "файл пуст",
    }
    for name, content in cases.items():
        (tmp_path / name).write_bytes(content)
        with pytest.raises(HeaderProblem) as exc:
            read_xlsx_header(tmp_path / name, VPR)
        assert str(exc.value).startswith("файл не является книгой Excel (.xlsx): "), name
        assert expected[name] in str(exc.value), name
    docx = tmp_path / "letter.xlsx"
    with zipfile.ZipFile(docx, "w") as zf:
        zf.writestr("word/document.xml", "<w:document/>")
    with pytest.raises(HeaderProblem, match=r"\(\.xlsx\): это документ Word"):
        read_xlsx_header(docx, VPR)


def test_table_typed_into_one_column_with_semicolons(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    heads = [h for h in VPR.headers if h != "З"] + ["З1"]
    ws.append([";".join(heads)])
    ws.append(["2024;01;270001;5;А;S-1;1;7;3;;X"])
    ws.append([None])
    ws.append(["2024;01;270001;5;А;S-2;1;8;4;4;1"])
    path = tmp_path / "vpr_csv_like.xlsx"
    wb.save(path)
    header, frames = read_all(path, VPR)
    assert header.split_column == 0 and header.columns == heads
    assert header.notes == [
        "таблица была записана в один столбец через «;» — разделена по столбцам"
    ]
    assert [(r, list(rec.values())) for r, rec in rows_of(frames)] == [
        (2, ["2024", "01", "270001", "5", "А", "S-1", "1", "7", "3", "", "", ""]),
        (4, ["2024", "01", "270001", "5", "А", "S-2", "1", "8", "4", "4", "1", ""]),
    ]


# ---------------------------------------------------------------------------------------
# templates


def test_templates_have_headers_lists_number_checks_text_codes_and_instructions(tmp_path):
    paths = write_templates(tmp_path)
    assert [p.name for p in paths] == ["olympiad_template.xlsx", "career_template.xlsx"]
    for path, spec in zip(paths, (OLYMPIAD, CAREER), strict=True):
        wb = openpyxl.load_workbook(path)
        assert wb.sheetnames == [spec.sheet, INSTRUCTION_SHEET]
        ws = wb[spec.sheet]
        assert [c.value for c in ws[1]] == list(spec.headers)
        assert ws.freeze_panes == "A2"
        letter = {h: openpyxl.utils.get_column_letter(i) for i, h in enumerate(spec.headers, 1)}
        checks = {}
        for dv in ws.data_validations.dataValidation:
            for rng in str(dv.sqref).split():
                checks[rng] = (dv.type, dv.operator, dv.formula1, dv.formula2)
        for code in ("Код АТЕ", "Код ОО", "Учебный год"):
            assert ws.column_dimensions[letter[code]].number_format == "@"
        instructions = [c.value for c in wb[INSTRUCTION_SHEET]["A"] if c.value]
        assert set(spec.headers) <= set(instructions)
        text = " ".join(str(c.value) for row in wb[INSTRUCTION_SHEET].iter_rows() for c in row)
        assert "2023/2024" in text and "заменяет ранее загруженный файл" in text

        by_head = {h: checks.get(f"{letter[h]}2:{letter[h]}1048576") for h in spec.headers}
        check = by_head.__getitem__

        if spec is OLYMPIAD:
            assert ws.column_dimensions[letter["СНИЛС"]].number_format == "@"
            assert check("Мероприятие") == (
                "list", None, '"ВсОШ,Большие вызовы,НТО,Сириус,Код будущего,Большая перемена"',
                None,
            )  # fmt: skip
            assert check("Этап") == (
                "list", None,
                '"школьный,муниципальный,региональный,заключительный,отборочный,'
                'обучение завершено"',
                None,
            )  # fmt: skip
            assert check("Статус") == ("list", None, '"участник,призёр,победитель"', None)
            assert check("Класс") == ("whole", "between", "4", "11")
            assert check("Балл") == ("decimal", "greaterThanOrEqual", "0", None)
            assert check("Максимальный балл") == ("decimal", "greaterThanOrEqual", "0", None)
        else:
            assert check("Уровень единой модели профориентации") == (
                "list", None, '"базовый,основной,продвинутый"', None,
            )  # fmt: skip
            for head in CAREER.headers[3:15]:
                assert check(head) == ("whole", "greaterThanOrEqual", "0", None), head
            assert "одна строка — одна школа за один учебный год" in text


def test_filled_templates_read_back_exactly(tmp_path):
    olympiad_path, career_path = write_templates(tmp_path / "blank")
    wb = openpyxl.load_workbook(olympiad_path)
    ws = wb["Результаты"]
    rows = [
        olympiad_row(),
        olympiad_row(**{"Мероприятие": "НТО", "Этап": "отборочный", "Предмет": "Робототехника",
                        "Балл": None, "Максимальный балл": None, "Статус": "участник",
                        "СНИЛС": "98765432100", "Класс": 11, "Код ОО": "000123"}),
        olympiad_row(**{"Этап": "региональный", "Балл": 48, "Статус": "победитель"}),
    ]  # fmt: skip
    for row in rows:
        ws.append([row[h] for h in OLYMPIAD.headers])
    filled = tmp_path / "olympiad_010001.xlsx"
    wb.save(filled)
    header, frames = read_all(filled, OLYMPIAD)
    assert header.columns == list(OLYMPIAD.headers) and header.unknown == [] and not header.notes
    assert [r for r, _ in rows_of(frames)] == [2, 3, 4]
    assert [list(rec.values()) for _, rec in rows_of(frames)] == [
        ["2023/2024", "ВсОШ", "школьный", "Математика", "9", "01", "010001", "123-456-789 01",
         "35.5", "50", "призёр", ""],
        ["2023/2024", "НТО", "отборочный", "Робототехника", "11", "01", "000123", "98765432100",
         "", "", "участник", ""],
        ["2023/2024", "ВсОШ", "региональный", "Математика", "9", "01", "010001",
         "123-456-789 01", "48", "50", "победитель", ""],
    ]  # fmt: skip

    wb = openpyxl.load_workbook(career_path)
    wb["Отчёт"].append(CAREER_VALUES)
    wb["Отчёт"].append(["2023/2024", "01", "010002", *([0] * 12), None])
    filled = tmp_path / "career_010001.xlsx"
    wb.save(filled)
    header, frames = read_all(filled, CAREER)
    assert header.columns == list(CAREER.headers) and header.sheet == "Отчёт"
    assert [(r, list(rec.values())) for r, rec in rows_of(frames)] == [
        (2, [*CAREER_TEXTS, ""]),
        (3, ["2023/2024", "01", "010002", *(["0"] * 12), "", ""]),
    ]


# ---------------------------------------------------------------------------------------
# feedback


def test_feedback_report_lists_rejected_and_corrected_rows_without_personal_data(
    warehouse, tmp_path
):
    from ingestion.db import ensure_schema

    conn = psycopg2.connect(warehouse)
    ensure_schema(conn)
    person_key = "f" * 64
    with conn.cursor() as cur:
        cur.execute(
            "create table if not exists audit.corrections"
            " (load_id bigint, source_row integer, note text)"
        )
        cur.execute("insert into audit.runs (landing_dir) values ('/landing') returning run_id")
        run_id = cur.fetchone()[0]
        cur.execute(
            "insert into audit.loads (run_id, source, rel_path, file_name, sha256, status,"
            " message, rows_read, rows_loaded, rows_quarantined, started_at) values"
            " (%s, 'olympiad', 'uploads/olympiad/oly <1>.xlsx', 'oly <1>.xlsx', 'a', 'loaded',"
            " 'загружено строк: 3, в карантине: 2', 5, 3, 2, '2024-05-20 10:15:00+03'),"
            " (%s, 'career', 'uploads/career/report.xlsx', 'report.xlsx', 'b', 'rejected',"
            " 'Файл отклонён: в заголовке нет обязательных столбцов: «Код ОО». Копия файла"
            " сохранена в карантине: bbbb_report.xlsx', 0, 0, 0, now())"
            " returning load_id",
            (run_id, run_id),
        )
        loaded_id, rejected_id = (r[0] for r in cur.fetchall())
        rejected_rows = [
            (7, "«Статус»: недопустимое значение «лауреат» (допустимо: участник, призёр, "
                "победитель)",
             {"source_row": 7, "school_year": "2023/2024", "event": "ВсОШ", "stage": "школьный",
              "subject": "Химия", "grade": 10, "ate_code": "01", "school_code": "010001",
              "person_key": person_key, "score": 10, "status": None,
              "extra": {"СНИЛС": "123-456-789 01"}}),
            (3, "«Класс»: значение «3» меньше 4",
             {"source_row": 3, "school_year": "2023/2024", "event": "НТО", "stage": "отборочный",
              "subject": "Физика", "grade": None, "ate_code": "01", "school_code": "010001",
              "person_key": person_key, "status": "участник"}),
        ]  # fmt: skip
        for row, reason, data in rejected_rows:
            cur.execute(
                "insert into audit.quarantine (load_id, source_row, reason, row_data)"
                " values (%s, %s, %s, %s)",
                (loaded_id, row, reason, json.dumps(data, ensure_ascii=False)),
            )
        cur.execute(
            "insert into audit.corrections (load_id, source_row, note) values"
            " (%s, 4, '«Класс»: число введено как текст «9 » — принято 9'),"
            " (%s, 2, '«Балл»: число введено как текст «12,5» — принято 12,5')",
            (loaded_id, loaded_id),
        )
    conn.commit()

    out = tmp_path / "feedback"
    path = write_feedback(conn, loaded_id, out)
    assert path == out / f"замечания_{loaded_id}_oly_1.xlsx"
    page = path.with_suffix(".html").read_text(encoding="utf-8")
    ws = openpyxl.load_workbook(path)["Замечания"]
    cells = [[c for c in row if c is not None] for row in ws.iter_rows(values_only=True)]
    cells = [row for row in cells if row]
    assert cells[0] == ["Результат загрузки файла «oly <1>.xlsx»"]
    summary = {row[0]: row[1] for row in cells[1:11] if len(row) == 2}
    assert summary["Файл"] == "oly <1>.xlsx"
    assert summary["Статус"] == "загружен"
    assert re.fullmatch(r"2[01]\.05\.2024 \d\d:\d\d \(UTC[+-]\d\d:\d\d\)", summary["Получен"])
    assert (
        summary["Строк прочитано"],
        summary["Строк принято"],
        summary["Строк отклонено"],
        summary["Строк исправлено автоматически"],
    ) == (5, 3, 2, 2)
    start = cells.index(["Отклонённые строки (2)"])
    assert cells[start + 1] == ["Строка в Excel", "Причина", "Значения строки"]
    assert cells[start + 2] == [
        3,
        "«Класс»: значение «3» меньше 4",
        "Учебный год: 2023/2024; Мероприятие: НТО; Этап: отборочный; Предмет: Физика; "
        "Код АТЕ: 01; Код ОО: 010001; Статус: участник",
    ]
    assert cells[start + 3][0] == 7
    assert cells[start + 3][2] == (
        "Учебный год: 2023/2024; Мероприятие: ВсОШ; Этап: школьный; Предмет: Химия; "
        "Класс: 10; Код АТЕ: 01; Код ОО: 010001"
    )
    start = cells.index(["Исправлено автоматически (2)"])
    assert cells[start + 1 : start + 4] == [
        ["Строка в Excel", "Что исправлено"],
        [2, "«Балл»: число введено как текст «12,5» — принято 12,5"],
        [4, "«Класс»: число введено как текст «9 » — принято 9"],
    ]
    assert cells[-3:-1] == [["Что делать"], [RESEND]]

    assert '<meta charset="utf-8">' in page and "<script" not in page
    assert "oly &lt;1&gt;.xlsx" in page and "oly <1>" not in page
    assert "«Статус»: недопустимое значение «лауреат»" in page
    assert "«Класс»: значение «3» меньше 4" in page
    assert "принято 12,5" in page and RESEND in page
    for text in (page, *(str(v) for row in cells for v in row)):
        assert not SNILS_PATTERN.search(text)
        assert person_key not in text

    path = write_feedback(conn, rejected_id, out)
    page = path.with_suffix(".html").read_text(encoding="utf-8")
    cells = [
        [c for c in row if c is not None]
        for row in openpyxl.load_workbook(path)["Замечания"].iter_rows(values_only=True)
    ]
    summary = {row[0]: row[1] for row in cells if len(row) == 2}
    assert summary["Статус"] == "отклонён полностью"
    assert summary["Причина"] == ("Файл отклонён: в заголовке нет обязательных столбцов: «Код ОО»")
    assert "Отклонённые строки" not in page and "карантин" not in page
    assert "«Код ОО»" in page and RESEND_FILE in page
    conn.close()
