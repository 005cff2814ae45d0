"""Turn every bare citation key ([S1e], [S1e, S1f]) into a relative link to its entry in docs/sources.md.

    python tools/link_citations.py                  # rewrite notebooks/, solutions/, docs/ and README.md in place
    python tools/link_citations.py docs             # only some paths (files or folders)
    python tools/link_citations.py --check          # change nothing; list what would change, exit 1 if anything

``[S1e]`` in ``notebooks/02_x.ipynb`` becomes ``[[S1e](../docs/sources.md#S1e)]`` and ``[S1e, S1f]`` becomes
``[[S1e](../docs/sources.md#S1e), [S1f](../docs/sources.md#S1f)]``: the brackets stay as the reader knows them, the
key is the link, and the relative path works in JupyterLab (which opens the Markdown file at the heading whose id
is the key) and on the course website (which keeps the same relative layout).  Only Markdown is touched: the
markdown cells of notebooks (never code cells or outputs), and .md files; fenced code blocks, inline code spans
and HTML comments are left alone, and so is ``docs/sources.md`` itself (it is generated with its own links).
A key already linked is left as it is, except that a link to the wrong path is corrected, so running the tool
twice changes nothing.  After rewriting solutions/, regenerate exercises/ with ``python tools/make_exercises.py``.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ROOT / "docs" / "sources.md"
DEFAULT_PATHS = ("notebooks", "solutions", "docs", "README.md")
KEY = r"S\d+[a-z]?"
# A bare citation: [S1e] or [S1e, S1f] that is not itself link text (not followed by "(").
BARE = re.compile(rf"(?<!\[)\[({KEY}(?:\s*,\s*{KEY})*)\](?!\()")
# A key that is already a link to its entry: [S1e](<anything>sources.md#S1e)
LINKED = re.compile(rf"\[({KEY})\]\(([^)\s]*sources\.md)#({KEY})\)")
# Regions that are not prose: fenced code blocks, HTML comments, inline code spans.
FENCE = re.compile(r"^(?P<f>`{3,}|~{3,}).*?$.*?^(?P=f)[ \t]*$", re.M | re.S)
COMMENT = re.compile(r"<!--.*?-->", re.S)
CODE_SPAN = re.compile(r"(`+)(?:(?!\1).)+?\1", re.S)


def link_target(path: Path) -> str:
    """Return the relative path from the folder of *path* to docs/sources.md, with forward slashes."""
    return os.path.relpath(SOURCES, path.resolve().parent).replace(os.sep, "/")


def _protected(text: str) -> list[tuple[int, int]]:
    spans = [m.span() for m in FENCE.finditer(text)] + [m.span() for m in COMMENT.finditer(text)]

    def inside(i: int) -> bool:
        return any(a <= i < b for a, b in spans)

    spans += [m.span() for m in CODE_SPAN.finditer(text) if not inside(m.start())]
    return sorted(spans)


def link_markdown(text: str, target: str) -> str:
    """Return Markdown *text* with every bare key linked to ``target#KEY`` (idempotent)."""
    out, pos = [], 0
    for a, b in [*_protected(text), (len(text), len(text))]:
        if a < pos:
            continue
        out.append(_link_prose(text[pos:a], target))
        out.append(text[a:b])
        pos = b
    return "".join(out)


def _link_prose(text: str, target: str) -> str:
    def one(key: str) -> str:
        return f"[{key}]({target}#{key})"

    text = LINKED.sub(lambda m: one(m.group(1)) if m.group(1) == m.group(3) else m.group(0), text)
    return BARE.sub(lambda m: "[" + ", ".join(one(k.strip()) for k in m.group(1).split(",")) + "]", text)


def process_file(path: Path, write: bool) -> list[str]:
    """Link the citations in one notebook or Markdown file; return a line per changed cell (or the file)."""
    target = link_target(path)
    rel = path.resolve().relative_to(ROOT).as_posix() if path.resolve().is_relative_to(ROOT) else str(path)
    if path.suffix == ".md":
        text = path.read_text(encoding="utf-8")
        new = link_markdown(text, target)
        if new == text:
            return []
        if write:
            path.write_text(new, encoding="utf-8")
        return [f"{rel}: {len(BARE.findall(text))} bare citation(s)"]
    import nbformat

    nb = nbformat.read(path, as_version=4)
    changed = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "markdown":
            continue
        new = link_markdown(cell.source, target)
        if new != cell.source:
            changed.append(f"{rel}: cell {i}: {len(BARE.findall(cell.source))} bare citation(s)")
            cell.source = new
    if changed and write:
        nbformat.write(nb, path)
    return changed


def files_under(paths: list[str]) -> list[Path]:
    """Return the notebooks and Markdown files named by *paths* (folders are searched one level deep)."""
    found: list[Path] = []
    for p in paths:
        path = (ROOT / p) if not Path(p).is_absolute() else Path(p)
        if path.is_dir():
            found += sorted(x for x in path.iterdir() if x.suffix in (".ipynb", ".md"))
        elif path.exists():
            found.append(path)
        else:
            raise SystemExit(f"no such file or folder: {p}")
    return [f for f in found if f.resolve() != SOURCES.resolve()]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("paths", nargs="*", default=list(DEFAULT_PATHS), help="files or folders (default: %(default)s)")
    ap.add_argument("--check", action="store_true", help="change nothing; exit 1 if a bare key is left")
    args = ap.parse_args(argv)
    changes = [line for f in files_under(args.paths) for line in process_file(f, write=not args.check)]
    for line in changes:
        print(("would link " if args.check else "linked ") + line)
    if args.check:
        print(f"{len(changes)} place(s) with bare citation keys" if changes else "every citation key is linked")
        return 1 if changes else 0
    if any(c.startswith("solutions/") for c in changes):
        print("solutions/ changed: regenerate exercises/ with python tools/make_exercises.py")
    return 0


if __name__ == "__main__":
    sys.exit(main())
