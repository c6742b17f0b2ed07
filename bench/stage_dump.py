"""What staging would COPY for every file of a landing folder, without a database: proof
that a change to reading, parsing or COPY formatting changed no staged value.

    python -m bench.stage_dump LANDING OUT.txt [CHUNK_ROWS]

Per file: the header (encoding, columns, unknown, notes), the rows read, then the COPY
statement and the text of all its chunks, or the Russian reason the file is rejected.
Chunk boundaries are not written: the fast path stages the end of a file in smaller
chunks than the pandas path (fast.TAIL_ROWS), with the same rows. Run before and after a
change on the same folder (e.g. `synthetic.generate(dir, seed=1, scale=0.3)`) and compare
with `cmp`.
The pseudonymisation key is fixed here, so person keys are comparable too. It stages as
`stage_file` does (`source.copy_chunks`): `EDU_DWH_FAST_CSV=0` dumps the pandas path only,
to compare with the CSV fast path (ingestion/read/fast.py).
"""

from __future__ import annotations

import fnmatch
import sys
from pathlib import Path

from ingestion import loader
from ingestion.encoding import EncodingProblem
from ingestion.messages import csv_problem
from ingestion.read import HeaderProblem, open_source
from sources import SOURCES

SECRET = b"stage-dump"


class _Cursor:
    def __init__(self, out: list[str]):
        self.out = out

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        pass

    def copy_expert(self, sql, buf, size=8192) -> None:
        text = buf.read()  # a fast chunk's UTF-8 bytes (the connection says UTF8), or str
        self.out += [sql, text.decode("utf-8") if isinstance(text, bytes) else text]


class _Connection:
    """Records the COPY statements and their text instead of sending them."""

    encoding = "UTF8"

    def __init__(self):
        self.out: list[str] = []

    def cursor(self) -> _Cursor:
        return _Cursor(self.out)


def _spec(root: Path, path: Path):
    folder = path.relative_to(root).parent.as_posix()
    for spec in SOURCES.values():
        if spec.folder == folder and any(fnmatch.fnmatch(path.name, p) for p in spec.patterns):
            return spec
    return None


def dump(root: Path, out, chunk_rows: int | None = None) -> None:
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        spec = _spec(root, path)
        if spec is None:
            continue
        out.write(f"=== {path.relative_to(root)} ({spec.name})\n")
        try:
            source = open_source(path, spec)
        except (EncodingProblem, HeaderProblem, UnicodeDecodeError) as exc:
            out.write(f"REJECT-OPEN {type(exc).__name__}: {exc}\n")
            continue
        conn = _Connection()
        with source:
            h = source.header
            out.write(f"HEADER {h.encoding} {h.columns} unknown={h.unknown}")
            out.write(f" notes={loader._header_notes(h)}\n")
            try:
                rows = 0
                args = (SECRET,) if chunk_rows is None else (SECRET, chunk_rows)
                for chunk, n in source.copy_chunks(*args):
                    rows += n
                    loader._copy_frame(conn, "raw._stage_1", chunk, 1)
                out.write(f"ROWS {rows}\n")
            except Exception as exc:  # as stage_file words it
                out.write(
                    f"REJECT-READ {exc if isinstance(exc, HeaderProblem) else csv_problem(exc)}\n"
                )
        statement = None  # each COPY statement once while it repeats: chunk boundaries
        for sql, text in zip(conn.out[::2], conn.out[1::2], strict=True):  # are not compared
            if sql != statement:
                out.write(sql + "\n")
                statement = sql
            out.write(text if text.endswith("\n") or not text else text + "\n")


def main() -> None:
    root, target = Path(sys.argv[1]), Path(sys.argv[2])
    chunk_rows = int(sys.argv[3]) if len(sys.argv) > 3 else None
    with open(target, "w", encoding="utf-8") as out:
        dump(root, out, chunk_rows)


if __name__ == "__main__":
    main()
