"""``python -m synthetic OUT_DIR [--seed N] [--scale X] [--no-errors]
[--sources ege,oge,vpr,olympiad,career,diagnostic]``."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from .core import SOURCES, generate


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Write a synthetic region's landing folder.")
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument(
        "--no-errors", action="store_true", help="do not inject the deliberate mistakes"
    )
    parser.add_argument(
        "--sources",
        default=",".join(SOURCES),
        help="comma-separated sources to write besides the reference data (default: all)",
    )
    args = parser.parse_args(argv)
    summary = generate(
        args.out_dir,
        seed=args.seed,
        scale=args.scale,
        inject_errors=not args.no_errors,
        sources=tuple(s.strip() for s in args.sources.split(",") if s.strip()),
    )
    print(json.dumps(summary, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
