"""The course website: built with Sphinx from the committed outputs, offline, with every page a learner needs.

``tools/build_site.py`` stages the course and runs Sphinx (myst-nb, sphinx-book-theme).  The fast tests build
without a kernel (widgets become notes) into a temporary folder; the Chromium test builds as ``make site`` does
(widget pictures included) and opens the landing page, a chapter, a solution (the toggle) and the search page
with every request to the network refused and recorded.  The palette tests scan ``course_lib/plots`` for colours
that are not in the Okabe–Ito palette of ``course_lib/plots/style.py`` (accessibility: colour-blind-safe plots).
"""

from __future__ import annotations

import ast
import html as htmllib
import itertools
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import browser_support as B
import pytest

ROOT = B.ROOT
sys.path.insert(0, str(ROOT / "tools"))
import build_site  # noqa: E402

CHAPTERS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
KINDS = ("notebooks", "exercises", "solutions")


def _page(site: Path, rel: str) -> str:
    return (site / rel).read_text(encoding="utf-8")


def _article(page: str) -> str:
    """Return the main article of a built page (without the sidebars)."""
    m = re.search(r'<article class="bd-article">(.*?)</article>', page, re.S)
    assert m, "no article in page"
    return m.group(1)


def _prose(fragment: str) -> str:
    """Return the text of an HTML fragment outside code blocks and code spans."""
    fragment = re.sub(r"<(pre|code)\b.*?</\1>", " ", fragment, flags=re.S)
    return htmllib.unescape(re.sub(r"<[^>]+>", "", fragment))


@pytest.fixture(scope="module")
def quick_site(tmp_path_factory):
    """Build the site from the committed outputs (no kernel) into a temporary directory."""
    tmp = tmp_path_factory.mktemp("site")
    stats = build_site.build(tmp / "_site", execute=False, stage_dir=tmp / "src", log=lambda *_: None)
    return tmp / "_site", stats


def test_build_has_no_warnings(quick_site):
    """Sphinx builds every page without a warning (a warning usually means a broken reference)."""
    _, stats = quick_site
    assert stats["warnings"] == []
    assert stats["chapters"] == len(CHAPTERS)


def test_every_internal_link_resolves(quick_site):
    """Every href/src inside the site points at a page or anchor that exists."""
    assert build_site.broken_links(quick_site[0]) == []


def test_nothing_is_loaded_from_the_network(quick_site):
    """No page loads a script, stylesheet, image or font from http(s): the site works from a USB stick."""
    site = quick_site[0]
    assert build_site.remote_assets(site) == []
    for page in build_site.pages(site):
        text = page.read_text(encoding="utf-8")
        assert "mathjax" not in text.lower() and "require.js" not in text and "mermaid" not in text.lower()


def test_sidebar_lists_every_chapter_exercise_and_solution(quick_site):
    """Every page's sidebar links each chapter, its exercises and its solutions, the sources and the guide."""
    site = quick_site[0]
    for rel in ("index.html", "notebooks/" + CHAPTERS[-1].stem + ".html", "docs/sources.html"):
        nav = re.search(r'<nav class="[^"]*bd-docs-nav.*?</nav>', _page(site, rel), re.S).group(0)
        here = (site / rel).parent
        targets = {(here / h).resolve().relative_to(site.resolve()).as_posix()
                   for h in re.findall(r'href="([^"#]+)', nav)} | {rel}
        for nb in CHAPTERS:
            for kind in KINDS:
                if (ROOT / kind / nb.name).exists():
                    assert f"{kind}/{nb.stem}.html" in targets, f"{rel}: sidebar misses {kind}/{nb.stem}"
        assert {"docs/sources.html", "docs/instructor-guide.html", "docs/instructor-notes.html"} <= targets


def test_landing_page_has_the_chapter_map_and_how_to_start(quick_site):
    """The landing page says what the course is and for whom, maps each chapter to its question and minutes."""
    page = _prose(_article(_page(quick_site[0], "index.html")))
    known = tomllib.loads((ROOT / "docs" / "site" / "chapters.toml").read_text(encoding="utf-8"))["chapters"]
    assert "Who it is for" in page and "How to start" in page and "Binder" in page and "JupyterHub" in page
    for nb in CHAPTERS:
        info = build_site.chapter_info(nb)
        assert info["short"] in page
        if str(info["num"]) in known:
            question = known[str(info["num"])]["question"].replace("*", "")
            assert question in page and known[str(info["num"])]["minutes"] in page


def test_readme_chapter_table_matches_the_site(quick_site):
    """The README's chapter minutes and questions are the site's (docs/site/chapters.toml): one set of numbers."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    known = tomllib.loads((ROOT / "docs" / "site" / "chapters.toml").read_text(encoding="utf-8"))["chapters"]
    for num, row in known.items():
        line = next((ln for ln in readme.splitlines() if ln.startswith(f"| {num} |")), None)
        assert line is not None, f"README has no row for chapter {num}"
        assert row["question"] in line and f"| {row['minutes']} |" in line, line


def test_chapters_show_figures_with_alt_text_and_widget_notes(quick_site):
    """Each chapter page shows its figures (each with alt text) and a note in place of every live widget."""
    site = quick_site[0]
    for nb in CHAPTERS:
        article = _article(_page(site, f"notebooks/{nb.stem}.html"))
        assert article.count('class="course-static-widget"') == B.expected_widget_outputs(nb)
        assert "application/vnd.jupyter.widget-view+json" not in article
        imgs = re.findall(r"<img\b[^>]*>", article)
        for img in imgs:
            alt = re.search(r'alt="([^"]*)"', img)
            assert alt and alt.group(1).strip() and not alt.group(1).endswith(".png"), f"{nb.stem}: {img[:120]}"


def test_headings_are_in_order(quick_site):
    """Each page has one h1 and never skips a heading level going down (screen-reader navigation)."""
    for page in build_site.pages(quick_site[0]):
        if page.name in ("genindex.html", "search.html"):
            continue
        levels = [int(h) for h in re.findall(r"<h([1-6])\b", _article(page.read_text(encoding="utf-8")))]
        assert levels.count(1) == 1, f"{page.name}: {levels.count(1)} h1"
        jumps = [(a, b) for a, b in itertools.pairwise(levels) if b > a + 1]
        assert not jumps, f"{page.relative_to(quick_site[0])}: heading levels jump {jumps}"


def test_every_citation_links_to_its_bibliography_entry(quick_site):
    """No bare [S1e] is left in a page's prose; each key links to sources.html#KEY, and that entry exists."""
    site = quick_site[0]
    anchors = set(re.findall(r'id="(S\d+[a-z]?)"', _page(site, "docs/sources.html")))
    assert anchors
    linked = 0
    for page in build_site.pages(site):
        if page.name in ("genindex.html", "search.html"):
            continue
        article = _article(page.read_text(encoding="utf-8"))
        prose = re.sub(r"<(pre|code)\b.*?</\1>", " ", article, flags=re.S)
        bare = re.findall(r"\[S\d+[a-z]?(?:,\s*S\d+[a-z]?)*\]", prose)
        assert not bare, f"{page.relative_to(site)}: bare citation keys {bare[:5]}"
        for key in re.findall(r'href="[^"]*sources\.html#([Ss]\d+[a-z]?)"', article):
            linked += 1
            assert key in anchors or key.upper()[:1] + key[1:] in anchors, f"{page.name}: no entry {key}"
    assert linked > 100


def test_solutions_fold_their_code_and_show_no_markers(quick_site):
    """Solution code sits behind a toggle; no page shows nbgrader's BEGIN/END SOLUTION markers."""
    site = quick_site[0]
    for page in build_site.pages(site):
        assert "BEGIN SOLUTION" not in page.read_text(encoding="utf-8"), page.name
    for path in sorted((ROOT / "solutions").glob("[0-9][0-9]_*.ipynb")):
        solutions = path.read_text(encoding="utf-8").count("### BEGIN SOLUTION")
        article = _article(_page(site, f"solutions/{path.stem}.html"))
        assert article.count("<details") >= solutions > 0, path.stem


def test_instructor_notes_are_kept_off_learner_pages(quick_site):
    """Chapter pages have no Instructor notes section; the instructor section has each chapter's notes."""
    site = quick_site[0]
    notes = _page(site, "docs/instructor-notes.html")
    for nb in CHAPTERS:
        for kind in KINDS:
            if (site / kind / f"{nb.stem}.html").exists():
                article = _article(_page(site, f"{kind}/{nb.stem}.html"))
                assert not re.search(r"<h[1-6][^>]*>Instructor notes", article), f"{kind}/{nb.stem}"
        assert build_site.chapter_info(nb)["title"] in htmllib.unescape(notes)
    assert "instructor-guide" in notes


def test_no_launch_link_without_a_repository(quick_site):
    """Without a repository URL no page shows a Binder / JupyterHub link (and so none is broken)."""
    for page in build_site.pages(quick_site[0]):
        if page.parent.name == "docs":
            continue  # the instructor guide explains the Binder URL in a code span; it is not a link
        text = page.read_text(encoding="utf-8")
        assert "mybinder.org/v2" not in text and "hub/user-redirect" not in text, page.name


def test_launch_buttons_follow_the_configured_repository(tmp_path):
    """With one repository URL set, chapter pages get Binder and JupyterHub launch links built from it."""
    stats = build_site.build(tmp_path / "_site", execute=False, repo_url="https://github.com/org/course",
                             branch="v1", hub="https://hub.example.org", stage_dir=tmp_path / "src",
                             log=lambda *_: None, only=[CHAPTERS[0].stem[:2]])
    assert stats["warnings"] == []
    assert build_site.remote_assets(tmp_path / "_site") == []  # the launch buttons' logos are local too
    page = _page(tmp_path / "_site", f"notebooks/{CHAPTERS[0].stem}.html")
    assert f"https://mybinder.org/v2/gh/org/course/v1?urlpath=lab/tree/notebooks/{CHAPTERS[0].stem}.ipynb" in page
    assert ("https://hub.example.org/hub/user-redirect/git-pull?repo=https%3A//github.com/org/course"
            f"&urlpath=lab/tree/course/notebooks/{CHAPTERS[0].stem}.ipynb&branch=v1") in page
    with pytest.raises(RuntimeError, match=r"github\.com or gitlab\.com"):
        build_site.build(tmp_path / "_bad", execute=False, repo_url="https://example.org/x",
                         stage_dir=tmp_path / "src2", log=lambda *_: None, only=[CHAPTERS[0].stem[:2]])


def test_link_checker_reports_a_broken_link(tmp_path):
    """The link checker names a missing page and a missing anchor; the asset check names a CDN script."""
    (tmp_path / "a.html").write_text("<a href='b.html'>b</a><a href='a.html#nope'>x</a><p id='yes'></p>"
                                     "<a href='#yes'>ok</a><script src='https://cdn.example/x.js'></script>"
                                     "<a href='https://example.org'>fine</a>", encoding="utf-8")
    assert build_site.broken_links(tmp_path) == ["a.html: b.html (no such file)",
                                                 "a.html: a.html#nope (no such anchor)"]
    assert build_site.remote_assets(tmp_path) == ["a.html: <script src=https://cdn.example/x.js>"]


def test_staging_folds_solutions_and_cuts_instructor_notes():
    """The staging steps: markers dropped and the cell folded; the notes section cut from where its heading is."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# T"),
                nbformat.v4.new_code_cell("def f():\n    ### BEGIN SOLUTION\n    return 1\n    ### END SOLUTION\nq1.check()"),
                nbformat.v4.new_markdown_cell("> box [S2]\n\n## Instructor notes\n\n- 10 min"),
                nbformat.v4.new_markdown_cell("### Discussion\n\nWhy?")]
    assert build_site.fold_solutions(nb) == 1
    assert nb.cells[1].source == "def f():\n    return 1\nq1.check()"
    assert "hide-input" in nb.cells[1].metadata["tags"]
    notes = build_site.split_instructor_notes(nb)
    assert notes == "- 10 min\n\n### Discussion\n\nWhy?"
    assert [c.source for c in nb.cells if c.cell_type == "markdown"] == ["# T", "> box [S2]"]


@pytest.mark.browser
def test_site_in_chromium_offline(tmp_path_factory, request):
    """As `make site` builds it: landing page, a chapter (figures and widget pictures decode), a solution's toggle
    opens, and search finds a chapter; no request leaves the machine."""
    B.require_chromium()
    out = tmp_path_factory.mktemp("site_full") / "_site"
    done = subprocess.run([sys.executable, str(ROOT / "tools" / "build_site.py"), "--out", str(out), "--check"],
                          cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, f"make site failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    context = B.shared_browser().new_context(viewport=B.VIEWPORT)
    request.addfinalizer(B.close_shared_browser)
    remote: list[str] = []
    context.route(re.compile(r"^(https?|wss?)://"), lambda route: (remote.append(route.request.url), route.abort()))
    page = context.new_page()
    try:
        page.goto((out / "index.html").as_uri(), wait_until="load")
        assert page.locator("table.course-chapter-map tbody tr").count() == len(CHAPTERS)
        assert page.locator("nav.bd-docs-nav a.reference").count() >= 3 * len(CHAPTERS)
        B.screenshot(page, "site_index", full_page=False)

        chapter = CHAPTERS[min(2, len(CHAPTERS) - 1)]
        page.goto((out / "notebooks" / f"{chapter.stem}.html").as_uri(), wait_until="load")
        imgs = page.evaluate("() => [...document.querySelectorAll('article img')].map(i => [i.naturalWidth, i.alt])")
        assert imgs and all(w > 0 and alt for w, alt in imgs), imgs
        assert page.locator(".course-static-widget img").count() == B.expected_widget_outputs(chapter)
        assert page.locator("a.reference[href*='sources.html#']").count() > 0
        assert page.locator(".prev-next-area a").count() >= 1
        B.screenshot(page, "site_chapter", full_page=False)

        solution = sorted((out / "solutions").glob("*.html"))[0]
        page.goto(solution.as_uri(), wait_until="load")
        fold = page.locator("article details.hide").first
        code = fold.locator(".cell_input, pre").first
        assert not code.is_visible()
        fold.locator("summary").click()
        code.wait_for(state="visible", timeout=5000)
        assert "### BEGIN" not in fold.inner_text()
        page.wait_for_timeout(500)  # the fold opens with a short fade
        B.screenshot(page, "site_solution", full_page=False)

        page.goto((out / "search.html").as_uri() + "?q=metastable", wait_until="load")
        hits = page.locator("#search-results a")
        hits.first.wait_for(timeout=15000)
        assert any("notebooks/" in (h.get_attribute("href") or "") for h in hits.all()), "search found no chapter"
    except BaseException:
        B.screenshot(page, "FAILED_site")
        raise
    finally:
        context.close()
    assert remote == [], f"pages asked the network for: {remote}"


# ---------------------------------------------------------------- accessibility: palette colours only

COLOUR_KEYWORDS = {"color", "colour", "c", "colors", "fc", "ec", "facecolor", "facecolors", "edgecolor",
                   "edgecolors", "mfc", "mec", "markerfacecolor", "markeredgecolor", "ecolor"}
NEUTRALS = {"black", "white", "none", "k", "w", "transparent", "inherit"}
CMAPS = {"viridis", "cividis", "Greys", "gray", "binary"}
HEX = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})$")
FMT_WITH_COLOUR = re.compile(r"^[-.:,ov^<>1-4sp*hH+xXDd|_]*[bgrcmy][-.:,ov^<>1-4sp*hH+xXDd|_]*$")


def palette_hexes() -> set[str]:
    """Return the hex colours defined in course_lib/plots/style.py (lower case)."""
    text = (ROOT / "course_lib" / "plots" / "style.py").read_text(encoding="utf-8")
    return {h.lower() for h in re.findall(r"#[0-9a-fA-F]{6}", text)}


def foreign_colours(source: str, allowed_hex: set[str]) -> list[str]:
    """Return 'line: colour' for colour literals in *source* that are not palette colours or neutrals."""
    bad = []

    def literal(node, line):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            v = node.value
            ok = (v.lower() in allowed_hex if v.startswith("#") else
                  v in NEUTRALS or re.fullmatch(r"0?\.\d+|[01](\.0*)?", v) is not None)
            if not ok:
                bad.append(f"{line}: {v!r}")
        elif isinstance(node, ast.List | ast.Tuple):
            for elt in node.elts:
                literal(elt, line)

    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and HEX.match(node.value) \
                and node.value.lower() not in allowed_hex:
            bad.append(f"{node.lineno}: {node.value!r}")
        if not isinstance(node, ast.Call):
            continue
        for kw in node.keywords:
            if kw.arg in COLOUR_KEYWORDS:
                literal(kw.value, kw.value.lineno)
            elif kw.arg == "cmap" and isinstance(kw.value, ast.Constant) and kw.value.value not in CMAPS:
                bad.append(f"{kw.value.lineno}: cmap {kw.value.value!r}")
        if isinstance(node.func, ast.Attribute) and node.func.attr in ("plot", "semilogy", "loglog", "step"):
            for arg in node.args:
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str) and FMT_WITH_COLOUR.match(arg.value):
                    bad.append(f"{arg.lineno}: format {arg.value!r} picks a non-palette colour")
    return sorted(set(bad), key=lambda s: (int(s.split(":")[0]), s))


def test_palette_scanner_flags_foreign_colours():
    """The scanner accepts palette colours and neutrals and flags other hex, named and format-string colours."""
    allowed = palette_hexes()
    src = ("ax.plot(x, y, color='#0072B2'); ax.plot(x, y, 'r--'); ax.plot(x, y, 'o-', color='black')\n"
           "ax.bar(x, y, color=['#E69F00', 'red']); ax.imshow(z, cmap='jet'); ax.axhline(0, c='#123456')\n")
    assert foreign_colours(src, allowed) == ["1: format 'r--' picks a non-palette colour",
                                             "2: '#123456'", "2: 'red'", "2: cmap 'jet'"]


@pytest.mark.parametrize("module", sorted(p.name for p in (ROOT / "course_lib" / "plots").glob("*.py")
                                          if p.name not in ("style.py", "__init__.py")))
def test_plot_helpers_use_only_palette_colours(module):
    """Each plot helper module draws only with Okabe–Ito palette colours (plus black, white and greys)."""
    source = (ROOT / "course_lib" / "plots" / module).read_text(encoding="utf-8")
    assert foreign_colours(source, palette_hexes()) == []
