"""The course website builds, its internal links resolve, its pages render with figures; plots use the palette.

The site is built by ``tools/build_site.py`` into a temporary directory.  The link test uses the committed outputs
(fast); the Chromium test builds the site as ``make site`` does (chapters re-executed for widget snapshots) and
opens every page from disk with the network blocked.  The palette test scans ``course_lib/plots`` for colours that
are not in the Okabe–Ito palette of ``course_lib/plots/style.py`` (accessibility: colour-blind-safe plots).
"""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from pathlib import Path

import browser_support as B
import pytest

ROOT = B.ROOT
sys.path.insert(0, str(ROOT / "tools"))
import build_site  # noqa: E402

CHAPTERS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def _png_outputs(path: Path) -> int:
    nb = json.loads(path.read_text(encoding="utf-8"))
    return sum("image/png" in o.get("data", {}) for c in nb["cells"] if c["cell_type"] == "code"
               for o in c.get("outputs", []))


@pytest.fixture(scope="module")
def quick_site(tmp_path_factory):
    """Build the site from the committed outputs (no kernel) into a temporary directory."""
    out = tmp_path_factory.mktemp("site") / "_site"
    build_site.build(out, execute=False, log=lambda *_: None)
    return out


def test_every_internal_link_resolves(quick_site):
    """Every href/src inside the site points at a page or anchor that exists."""
    assert build_site.broken_links(quick_site) == []


def test_index_lists_every_chapter_with_practice_pages(quick_site):
    """The home page links each chapter, its exercises and its solutions."""
    index = (quick_site / "index.html").read_text(encoding="utf-8")
    for nb in CHAPTERS:
        for kind in ("notebooks", "exercises", "solutions"):
            if (ROOT / kind / nb.name).exists():
                assert f"{kind}/{nb.stem}.html" in index, f"index misses {kind}/{nb.stem}"


def test_chapter_pages_have_navigation_launch_links_and_static_widgets(quick_site):
    """Each chapter page has prev/next links, a launch box (make lab + Binder) and notes instead of live widgets."""
    for i, nb in enumerate(CHAPTERS):
        page = (quick_site / "notebooks" / f"{nb.stem}.html").read_text(encoding="utf-8")
        assert "make lab" in page and "mybinder.org/v2/gh/" in page
        assert f"urlpath=lab/tree/notebooks/{nb.stem}.ipynb" in page
        assert ("rel='prev'" in page) == (i > 0) and ("rel='next'" in page) == (i < len(CHAPTERS) - 1)
        assert "application/vnd.jupyter.widget-view+json" not in page
        views = B.expected_widget_outputs(nb)
        assert page.count('class="course-static-widget"') == views
        assert page.count("data:image/png;base64,") >= _png_outputs(nb)


def test_binder_repository_can_be_set(tmp_path):
    """The Binder link uses --repo / COURSE_REPO instead of the placeholder when given."""
    assert build_site.binder_url("org/course", "v1", "notebooks/00_the_night.ipynb") == \
        "https://mybinder.org/v2/gh/org/course/v1?urlpath=lab/tree/notebooks/00_the_night.ipynb"
    entry = {"stem": "00_the_night"}
    assert "placeholder" not in build_site.launch_html(entry, "notebooks", "org/course", "main")
    assert "placeholder" in build_site.launch_html(entry, "notebooks", build_site.REPO_PLACEHOLDER, "main")


def test_link_checker_reports_a_broken_link(tmp_path):
    """The link checker names a missing page and a missing anchor."""
    (tmp_path / "a.html").write_text("<a href='b.html'>b</a><a href='a.html#nope'>x</a><p id='yes'></p>"
                                     "<a href='#yes'>ok</a>", encoding="utf-8")
    bad = build_site.broken_links(tmp_path)
    assert bad == ["a.html: b.html (no such file)", "a.html: a.html#nope (no such anchor)"]


@pytest.mark.browser
def test_every_page_renders_with_its_figures_in_chromium(tmp_path_factory, request):
    """In Chromium, offline, every page loads and every image (figures and widget snapshots) has decoded pixels."""
    B.require_chromium()
    out = tmp_path_factory.mktemp("site_full") / "_site"
    # Build as `make site` does, in a child process: nbclient's event loop and Playwright's stay apart.
    done = subprocess.run([sys.executable, str(ROOT / "tools" / "build_site.py"), "--out", str(out), "--check"],
                          cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, f"make site failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    pages = sorted(out.rglob("*.html"))
    failures = []
    context = B.shared_browser().new_context(viewport=B.VIEWPORT)
    request.addfinalizer(B.close_shared_browser)
    context.route(re.compile(r"^https?://"), lambda route: route.abort())  # the site must not need the network
    page = context.new_page()
    for html_path in pages:
        page.goto(html_path.as_uri(), wait_until="load")
        info = page.evaluate("""() => ({
            imgs: [...document.images].map(i => [i.naturalWidth, i.alt]),
            text: document.body.innerText.length,
            nav: !!document.querySelector('nav.course-nav')})""")
        rel = html_path.relative_to(out).as_posix()
        broken = [alt for w, alt in info["imgs"] if w == 0]
        if broken or info["text"] < 200 or not info["nav"]:
            failures.append(f"{rel}: {len(broken)} blank images, {info['text']} chars, nav={info['nav']}")
        if rel.startswith("notebooks/"):
            src = ROOT / rel.replace(".html", ".ipynb")
            want = _png_outputs(src) + B.expected_widget_outputs(src)
            if len(info["imgs"]) < want:
                failures.append(f"{rel}: {len(info['imgs'])} images shown, expected at least {want}")
    B.screenshot(page, "site_last_page")
    context.close()
    assert not failures, "\n".join(failures)


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
