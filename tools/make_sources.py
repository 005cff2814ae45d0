"""Write docs/sources.md from the course's sources data (course_lib/data/sources.toml).

    python tools/make_sources.py           # rewrite docs/sources.md
    python tools/make_sources.py --check   # exit 1 if docs/sources.md is out of date (what the drift test checks)
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from course_lib.sources import render_markdown  # noqa: E402

TARGET = ROOT / "docs" / "sources.md"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="only report whether docs/sources.md is current")
    args = ap.parse_args(argv)
    text = render_markdown()
    if args.check:
        current = TARGET.read_text(encoding="utf-8") if TARGET.exists() else ""
        if current != text:
            print(f"{TARGET.relative_to(ROOT)} is out of date: run python tools/make_sources.py")
            return 1
        print(f"{TARGET.relative_to(ROOT)} is up to date")
        return 0
    TARGET.write_text(text, encoding="utf-8")
    print(f"wrote {TARGET.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
