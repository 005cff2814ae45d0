"""The course's sources: every cited key resolves, every entry is cited, links point at their entries.

Also: docs/sources.md is what the data generates (drift), tools/link_citations.py links keys idempotently and
leaves code alone, and no file in the repository points outside it (at the maintainers' shared folder).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from conftest import ROOT

from course_lib import sources

sys.path.insert(0, str(ROOT / "tools"))
import link_citations
import make_sources

CITING = ["notebooks", "solutions", "exercises", "docs", "course_lib", "README.md"]
GENERATED = {ROOT / "docs" / "sources.md", sources.DATA, ROOT / "course_lib" / "sources.py"}  # the bibliography itself
SKIP_DIRS = {".git", ".venv", ".hypothesis", "artifacts", "_site", "build", "node_modules", "__pycache__",
             ".pytest_cache", ".ipynb_checkpoints"}


def _files(where: list[str], suffixes=(".ipynb", ".md", ".py", ".toml")) -> list[Path]:
    out = []
    for w in where:
        p = ROOT / w
        if p.is_file():
            out.append(p)
        elif p.is_dir():
            out += sorted(f for f in p.rglob("*") if f.suffix in suffixes and not SKIP_DIRS & set(f.parts))
    return [f for f in out if f not in GENERATED]


def _text(path: Path) -> str:
    """Return the text a reader sees: a notebook's cell sources (not its outputs), or the file."""
    if path.suffix == ".ipynb":
        nb = json.loads(path.read_text(encoding="utf-8"))
        return "\n".join("".join(c["source"]) for c in nb["cells"])
    return path.read_text(encoding="utf-8")


def _citations() -> dict[str, list[str]]:
    """Map each cited key to the files (relative paths) citing it, bare or linked."""
    found: dict[str, list[str]] = {}
    linked = re.compile(rf"\[({sources.KEY})\]\([^)\s]*sources\.md#{sources.KEY}\)")
    for f in _files(CITING):
        text = _text(f)
        keys = sources.cited_keys(text) + linked.findall(text)
        for k in keys:
            found.setdefault(k, [])
            rel = f.relative_to(ROOT).as_posix()
            if rel not in found[k]:
                found[k].append(rel)
    return found


# ---------------------------------------------------------------- the data


def test_data_loads_with_every_field():
    """Each entry has a key, a title, a venue, how it was read, what it is used for and a solidity label."""
    entries = sources.load()
    assert len(entries) >= 20
    for key, s in entries.items():
        assert s.key == key and s.title and s.venue and s.how and s.used_for
        assert s.solidity_label in sources.SOLIDITY.values()
        assert s.url == "" or s.url.startswith("https://")
    assert sources.get("S2").solidity == "as-reported"
    assert sources.get("S8").url.endswith("hotos21-s11-bronson.pdf")
    with pytest.raises(KeyError, match="no source 'S99'"):
        sources.get("S99")


@pytest.mark.parametrize(("change", "message"), [
    (lambda t: t.replace('key = "S2"', 'key = "S-2"'), "key must look like"),
    (lambda t: t.replace('key = "S3"', 'key = "S2"'), "listed twice"),
    (lambda t: t.replace('solidity = "secondary"', 'solidity = "solid"', 1), "solidity must be one of"),
    (lambda t: t.replace('group = "models"', 'group = "misc"', 1), "group must be one of"),
    (lambda t: t.replace("https://sigops.org", "http://sigops.org"), "url must start with https://"),
    (lambda t: t.replace('how = "The full paper."', 'hw = "The full paper."', 1), "missing fields"),
    (lambda t: t.replace('venue = "Amazon Route 53 API Reference"', 'venue = " "'), "venue is empty"),
])
def test_bad_data_is_rejected_with_a_message_naming_the_entry(change, message):
    """A malformed entry raises ValueError naming the entry and the fault."""
    text = sources.DATA.read_text(encoding="utf-8")
    changed = change(text)
    assert changed != text
    with pytest.raises(ValueError, match=message):
        sources.parse(changed)
    with pytest.raises(TypeError, match="text must be a str"):
        sources.parse(None)


def test_cited_keys_reads_single_and_grouped_citations():
    """[S1e], [S1c][S1d] and [S1b, S1e] are all read; plain brackets and links are not keys."""
    assert sources.cited_keys("a [S1c][S1d] b [S1b, S1e] c [note] [S12](x)") == ["S1c", "S1d", "S1b", "S1e", "S12"]


def test_sources_page_is_generated_from_the_data():
    """docs/sources.md is exactly what the data renders (run python tools/make_sources.py after editing it)."""
    assert (ROOT / "docs" / "sources.md").read_text(encoding="utf-8") == sources.render_markdown()
    assert make_sources.main(["--check"]) == 0


def test_sources_page_has_one_heading_per_key():
    """Each entry is a heading that is just its key, so sources.md#S1e opens it in JupyterLab and on the site."""
    text = sources.render_markdown()
    headings = re.findall(r"^### (\S+)$", text, re.M)
    # one heading per key (the page lists the keys group by group, so compare as a multiset)
    assert sorted(headings) == sorted(sources.load()) and len(headings) == len(set(headings))
    for s in sources.load().values():
        assert s.solidity_label in text.split(f"### {s.key}\n", 1)[1].split("###", 1)[0]


# ---------------------------------------------------------------- the text cites the data


def test_every_cited_key_resolves():
    """Every key cited in a notebook, solution, exercise, doc or course_lib module has an entry."""
    unknown = {k: files for k, files in _citations().items() if k not in sources.load()}
    assert unknown == {}, f"cited but not in course_lib/data/sources.toml: {unknown}"


def test_every_entry_is_cited_somewhere():
    """No entry is dead weight: each is cited at least once outside the bibliography itself."""
    cited = _citations()
    uncited = [k for k in sources.load() if k not in cited]
    assert uncited == [], f"entries cited nowhere: {uncited}"


def test_every_citation_link_points_at_its_entry():
    """A linked key's path is the right relative path to docs/sources.md from that file, and its anchor is the key."""
    bad = []
    pattern = re.compile(rf"\[({sources.KEY})\]\(([^)\s]*sources\.md)#([^)\s]*)\)")
    for f in _files(["notebooks", "solutions", "exercises", "docs", "README.md"], (".ipynb", ".md")):
        for key, path, anchor in pattern.findall(_text(f)):
            if path != link_citations.link_target(f) or anchor != key or key not in sources.load():
                bad.append(f"{f.relative_to(ROOT)}: [{key}]({path}#{anchor})")
    assert bad == []


def test_docs_cite_with_links():
    """Every key in docs/ and the README is a link to its entry (tools/link_citations.py has been run)."""
    assert link_citations.main(["--check", "docs", "README.md"]) == 0


def test_notebooks_and_solutions_cite_with_links():
    """Every key in the chapters' and solutions' markdown is a link (apply: python tools/link_citations.py)."""
    assert link_citations.main(["--check", "notebooks", "solutions"]) == 0


def test_no_file_points_outside_the_repository():
    """No file names the maintainers' shared folder (its paths do not exist in a learner's clone)."""
    pattern = re.compile(r"\.\./" + "shared" + r"\b|\bshared/(?:facts|guide|reviews|hooks)/|outage-" + "facts\\.md")
    offenders = []
    for f in sorted(ROOT.rglob("*")):
        rel = f.relative_to(ROOT)
        if not f.is_file() or SKIP_DIRS & set(rel.parts) or rel.parts[0].endswith(".egg-info"):
            continue
        try:
            text = f.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        if pattern.search(text):
            offenders.append(rel.as_posix())
    assert offenders == [], f"files pointing at the shared folder outside the repository: {offenders}"


# ---------------------------------------------------------------- the linking tool


def test_link_markdown_links_bare_keys_and_is_idempotent():
    """Bare keys become links; code spans, fences, comments and existing links stay; a second run changes nothing."""
    text = ("See [S1c][S1d] and [S1b, S1e].\n`[S2]` stays, <!-- [S3] --> stays\n```\n[S2] in code\n```\n"
            "[S12](https://example.org) is someone else's link.\n")
    once = link_citations.link_markdown(text, "../docs/sources.md")
    assert once == (
        "See [[S1c](../docs/sources.md#S1c)][[S1d](../docs/sources.md#S1d)] and "
        "[[S1b](../docs/sources.md#S1b), [S1e](../docs/sources.md#S1e)].\n`[S2]` stays, <!-- [S3] --> stays\n"
        "```\n[S2] in code\n```\n[S12](https://example.org) is someone else's link.\n")
    assert link_citations.link_markdown(once, "../docs/sources.md") == once


def test_link_markdown_corrects_a_link_with_the_wrong_path():
    """A key linked with another folder's relative path is re-pointed."""
    assert link_citations.link_markdown("[[S2](sources.md#S2)]", "../docs/sources.md") == \
        "[[S2](../docs/sources.md#S2)]"


def test_link_target_is_relative_to_each_folder():
    """Notebooks, solutions and exercises link ../docs/sources.md; docs link sources.md; the README docs/sources.md."""
    assert link_citations.link_target(ROOT / "notebooks" / "x.ipynb") == "../docs/sources.md"
    assert link_citations.link_target(ROOT / "solutions" / "x.ipynb") == "../docs/sources.md"
    assert link_citations.link_target(ROOT / "docs" / "guide.md") == "sources.md"
    assert link_citations.link_target(ROOT / "README.md") == "docs/sources.md"


def test_notebook_rewrite_touches_only_markdown_cells(tmp_path):
    """In a notebook, markdown cells are linked; code cells and their outputs are left exactly as they were."""
    folder = tmp_path / "notebooks"
    folder.mkdir()
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("The race [S1c]."),
                nbformat.v4.new_code_cell("print('[S1c]')", outputs=[
                    nbformat.v4.new_output("stream", text="[S1c]\n")])]
    path = folder / "01_x.ipynb"
    nbformat.write(nb, path)
    assert link_citations.main(["--check", str(path)]) == 1
    assert link_citations.main([str(path)]) == 0
    after = nbformat.read(path, as_version=4)
    target = link_citations.link_target(path)
    assert after.cells[0].source == f"The race [[S1c]({target}#S1c)]."
    assert after.cells[1].source == "print('[S1c]')" and after.cells[1].outputs[0]["text"] == "[S1c]\n"
    assert link_citations.main(["--check", str(path)]) == 0


def test_command_line_check_mode_changes_nothing(tmp_path):
    """`--check` lists what it would link and exits 1, without writing."""
    doc = tmp_path / "page.md"
    doc.write_text("A fact [S2].\n", encoding="utf-8")
    done = subprocess.run([sys.executable, str(ROOT / "tools" / "link_citations.py"), "--check", str(doc)],
                          capture_output=True, text=True)
    assert done.returncode == 1 and "would link" in done.stdout
    assert doc.read_text(encoding="utf-8") == "A fact [S2].\n"
