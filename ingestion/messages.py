"""Russian wording for errors that come from libraries in English (pandas' CSV parser,
zip/XLSX readers, PostgreSQL): people reading the run's output, the audit page and the
schools' feedback get a Russian reason, never an English traceback fragment."""

from __future__ import annotations

import re

_CSV_PATTERNS = (
    (
        re.compile(r"Expected (\d+) fields in line (\d+), saw (\d+)"),
        lambda m: (
            f"в строке {m.group(2)} полей {m.group(3)}, а в заголовке {m.group(1)}"
            " (лишний разделитель «;» или перенос строки внутри значения)"
        ),
    ),
    (
        re.compile(r"EOF inside string starting (?:at|with) (?:row|line) (\d+)", re.I),
        lambda m: f"кавычка, открытая в строке {m.group(1)}, не закрыта до конца файла",
    ),
    (
        re.compile(r"EOF inside string", re.I),
        lambda m: "кавычка не закрыта до конца файла",
    ),
    (
        re.compile(r"NULL byte|line contains NUL", re.I),
        lambda m: "в файле есть нулевые байты — это не текстовый CSV",
    ),
    (
        re.compile(r"field larger than field limit", re.I),
        lambda m: "слишком длинное значение в ячейке (вероятно, не закрыта кавычка)",
    ),
)


def csv_problem(exc: BaseException) -> str:
    """Why a CSV could not be parsed, in Russian."""
    text = str(exc)
    for pattern, say in _CSV_PATTERNS:
        found = pattern.search(text)
        if found:
            return "файл не разобран как CSV: " + say(found)
    return f"файл не разобран как CSV (ошибка разбора {type(exc).__name__})"


def broken_book(exc: BaseException) -> str:
    """Why an XLSX could not be read, in Russian (the library's text is not quoted)."""
    kind = type(exc).__name__
    if kind in ("BadZipFile", "ZipError"):  # ZipError etc.: python-calamine's
        return "архив книги повреждён (файл обрезан или не является XLSX)"
    if kind in ("error", "EOFError"):  # zlib.error
        return "сжатые данные книги повреждены (файл обрезан?)"
    if kind in ("SyntaxError", "ParseError", "XMLSyntaxError", "XmlError"):
        return "XML внутри книги повреждён"
    if kind in ("KeyError", "WorksheetNotFound"):
        return "в книге нет обязательной части (лист или таблица строк)"
    if kind == "PasswordError":
        return "книга защищена паролем (сохраните её без пароля)"
    return f"книга не читается ({kind})"


def database_problem(exc: BaseException) -> str:
    """A PostgreSQL error for the run's output, in Russian (SQLSTATE code kept)."""
    code = getattr(exc, "pgcode", None)
    name = type(exc).__name__
    if not code:  # no SQLSTATE: the connection itself broke (server gone, restarted)
        return (
            "нет соединения с базой данных хранилища (сервер недоступен или перезапущен);"
            " проверьте PostgreSQL и EDU_DWH_DSN и запустите конвейер снова — загруженные"
            " данные не повреждены, незавершённые загрузки будут повторены"
        )
    if code and code.startswith("57"):  # operator intervention: shutdown, cancel
        return (
            f"работа базы данных прервана (SQLSTATE {code}); запустите конвейер снова —"
            " незавершённые загрузки будут повторены"
        )
    if code == "53100":
        return "на сервере базы данных закончилось место на диске (SQLSTATE 53100)"
    return f"ошибка базы данных (SQLSTATE {code or '?'}, {name})"
