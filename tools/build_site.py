"""Build the course website (a Sphinx book: myst-nb + sphinx-book-theme) into _site/, offline.

    python tools/build_site.py                    # what `make site` runs: widget pictures included, into _site/
    python tools/build_site.py --no-execute       # faster: no kernel at all, each widget becomes a note only
    python tools/build_site.py --check            # then fail on a broken internal link or a remote asset
    python tools/build_site.py --repo-url https://github.com/OWNER/anatomy-of-an-outage --branch main
    COURSE_REPO_URL=https://github.com/OWNER/REPO COURSE_JUPYTERHUB_URL=https://hub.example.org make site

How it works.  The course is staged into ``build/site-src/`` with the repository's layout, so every relative link
the notebooks and docs use (``../docs/sources.md#S1e``) works unchanged, and Sphinx renders the stage with
``docs/site/conf.py``.  Notebook outputs are the committed ones (``nb_execution_mode = "off"``).  While staging:

- chapters: the ``## Instructor notes`` section is cut out (it goes to ``docs/instructor-notes.md``, in the
  site's instructor section); each widget output becomes a static picture of its starting settings (the build
  runs the chapter once with nbclient to get it; ``--no-execute`` skips that) under a note on running it live;
  each figure gets alt text from the notebook (a ``mystnb.image.alt`` cell metadata, else the figure's title in
  the cell, else the first sentence of the markdown above it);
- solutions: the ``### BEGIN/END SOLUTION`` marker lines are dropped and the solution cells fold behind a toggle;
- every citation key is a link to its entry in the bibliography (``docs/sources.md``, generated from the course's
  sources data), as ``tools/link_citations.py`` writes them;
- links to repository files that are not pages point at the repository (``--repo-url``), or become plain text.

Launch buttons (Binder, JupyterHub) and the repository button appear only when a repository URL is given
(``--repo-url`` or ``COURSE_REPO_URL``); without one, the pages show no launch link at all.  No page loads anything
from the network: MathJax and require.js are off, and ``--check`` fails on any ``http(s)`` script, stylesheet or
image.
"""

from __future__ import annotations

import argparse
import html
import json
import os
import posixpath
import re
import shutil
import subprocess
import sys
import time
import tomllib
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import link_citations  # noqa: E402

CONF_DIR = ROOT / "docs" / "site"
STAGE = ROOT / "build" / "site-src"
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
STATE_MIME = "application/vnd.jupyter.widget-state+json"
KINDS = ("notebooks", "exercises", "solutions")
INSTRUCTOR_HEADING = re.compile(r"^##\s+Instructor notes\s*$", re.M)
MARKER = re.compile(r"^[ \t]*### (BEGIN|END) SOLUTION[ \t]*\n?", re.M)
LIVE_NOTE = ("This experiment is interactive. On this page you see its starting settings; to move its controls, "
             "run the chapter live: {how}.")
LIVE_NOTE_BARE = "This experiment is interactive: run the chapter live to use it ({how})."
HOW_LAUNCH = "<code>make lab</code> on your machine, or the launch button at the top of this page"
HOW_LOCAL = ("<code>make lab</code> on your machine, or on Binder or a JupyterHub as the home page "
             "explains")


# ---------------------------------------------------------------- the course as it is on disk


def chapters() -> list[Path]:
    """Return the chapter notebooks in order (every notebooks/NN_*.ipynb; nothing is hard-coded)."""
    return sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def chapter_map() -> dict[int, dict]:
    """Return docs/site/chapters.toml: for each chapter number, its question and minutes."""
    data = tomllib.loads((CONF_DIR / "chapters.toml").read_text(encoding="utf-8"))
    return {int(k): v for k, v in data.get("chapters", {}).items()}


def _first_sentence(text: str) -> str:
    lines = [re.sub(r"^\s*(?:[-*+]|\d+[.)])\s+", "", ln) for ln in text.splitlines()]
    body = " ".join(ln.strip() for ln in lines if ln.strip() and not ln.lstrip().startswith(("#", ">")))
    body = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", body)
    body = re.sub(r"\*\*|`|\[S\w+(?:,\s*S\w+)*\]", "", body)
    body = re.sub(r"\s+([.,;:!?])", r"\1", re.sub(r"\s+", " ", body)).strip()
    return re.split(r"(?<=[.!?])\s", body, maxsplit=1)[0] if body else ""


def chapter_info(path: Path) -> dict:
    """Return number, title, short title, question and minutes of one chapter notebook."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    first = next(("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown"), "")
    title = next((ln[2:].strip() for ln in first.splitlines() if ln.startswith("# ")), path.stem)
    num = int(path.stem[:2])
    known = chapter_map().get(num, {})
    short = re.sub(r"^Chapter\s+\d+\s*[—–-]\s*", "", title)
    return {"stem": path.stem, "num": num, "title": title, "short": short,
            "question": known.get("question") or _first_sentence(first), "minutes": known.get("minutes", "")}


# ---------------------------------------------------------------- widgets -> static pictures


def execute_with_widget_state(path: Path) -> dict:
    """Execute a copy of *path* with nbclient, keeping the widget state; return the executed notebook."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=600, kernel_name="python3", store_widget_state=True, allow_errors=True,
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    return nb


def execution_errors(nb) -> list[str]:
    """Return 'cell N: ename: evalue' for every error output of an executed notebook."""
    return [f"cell {i}: {o.get('ename')}: {o.get('evalue')}" for i, c in enumerate(nb["cells"])
            for o in c.get("outputs", []) if o.get("output_type") == "error"]


def _model(states: dict, ref) -> dict | None:
    key = ref[len("IPY_MODEL_"):] if isinstance(ref, str) and ref.startswith("IPY_MODEL_") else ref
    return states.get(key)


def _control_text(model: dict) -> str | None:
    """Return 'description: value' for a control model, or None for a non-control."""
    name, s = model.get("model_name", ""), model.get("state", {})
    desc = html.escape(s.get("description", "") or "")
    if name == "CheckboxModel":
        return f"{'☑' if s.get('value') else '☐'} {desc}"
    if "index" in s and "_options_labels" in s:
        labels, i = s["_options_labels"], s["index"]
        value = labels[i] if isinstance(i, int) and 0 <= i < len(labels) else ""
        return f"{desc}: <b>{html.escape(str(value))}</b>"
    if "value" in s and name.endswith(("SliderModel", "TextModel", "ToggleButtonModel")):
        return f"{desc}: <b>{html.escape(str(s['value']))}</b>"
    return None


def render_widget(states: dict, ref, alt: str, depth: int = 0) -> str:
    """Render a widget model (and its children) as static HTML: control values, readouts, output images."""
    model = _model(states, ref)
    if model is None or depth > 8:
        return ""
    name, s = model.get("model_name", ""), model.get("state", {})
    if name in ("VBoxModel", "HBoxModel", "BoxModel", "GridBoxModel", "AccordionModel", "TabModel"):
        inner = "".join(render_widget(states, c, alt, depth + 1) for c in s.get("children", []))
        return f"<div class='controls'>{inner}</div>" if name == "HBoxModel" else f"<div>{inner}</div>"
    if name == "HTMLModel":
        return f"<div>{s.get('value', '')}</div>"
    if name == "OutputModel":
        parts = []
        for out in s.get("outputs", []):
            data = out.get("data", {})
            if "image/png" in data:
                parts.append(f"<img alt='{html.escape(alt, quote=True)}' "
                             f"src='data:image/png;base64,{data['image/png'].strip()}'>")
            elif out.get("output_type") == "stream":
                parts.append(f"<pre>{html.escape(out.get('text', ''))}</pre>")
            elif "text/plain" in data:
                parts.append(f"<pre>{html.escape(str(data['text/plain']))}</pre>")
        return "".join(parts)
    text = _control_text(model)
    return f"<span>{text}</span>" if text else ""


def staticise_widgets(nb, executed=None, alt: str = "the experiment's plot", launch: bool = False) -> int:
    """Replace every widget output of *nb* by a static picture from *executed* (or a note); return the count.

    *executed* is the same notebook run with its widget state stored; without it each widget becomes a note.
    """
    states = {}
    if executed is not None:
        states = executed.get("metadata", {}).get("widgets", {}).get(STATE_MIME, {}).get("state", {})
    pictures = [[o for o in c.get("outputs", []) if WIDGET_MIME in o.get("data", {})]
                for c in (executed["cells"] if executed is not None else [])]
    count = 0
    for ci, cell in enumerate(nb["cells"]):
        widgets_seen = 0
        for i, out in enumerate(cell.get("outputs", [])):
            if WIDGET_MIME not in out.get("data", {}):
                continue
            snapshot = ""
            if executed is not None and ci < len(pictures) and widgets_seen < len(pictures[ci]):
                ref = pictures[ci][widgets_seen]["data"][WIDGET_MIME].get("model_id")
                snapshot = render_widget(states, ref, alt)
            widgets_seen += 1
            count += 1
            note = (LIVE_NOTE if snapshot else LIVE_NOTE_BARE).format(how=HOW_LAUNCH if launch else HOW_LOCAL)
            body = f"<div class=\"course-static-widget\"><p class=\"note\">{note}</p>{snapshot}</div>"
            import nbformat

            cell["outputs"][i] = nbformat.from_dict({"output_type": "display_data", "metadata": {},
                                                     "data": {"text/html": body,
                                                              "text/plain": "[interactive experiment]"}})
    return count


# ---------------------------------------------------------------- staging one notebook


def split_instructor_notes(nb) -> str:
    """Cut the '## Instructor notes' section (to the end of the notebook) out of *nb*; return its Markdown."""
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] != "markdown":
            continue
        m = INSTRUCTOR_HEADING.search(cell["source"])
        if not m:
            continue
        notes = [cell["source"][m.end():].strip()]
        notes += [c["source"].strip() for c in nb["cells"][i + 1:] if c["cell_type"] == "markdown"]
        before = cell["source"][:m.start()].rstrip()
        nb["cells"] = nb["cells"][:i] + ([cell] if before else [])
        if before:
            cell["source"] = before
        return "\n\n".join(n for n in notes if n)
    return ""


def figure_alt(nb, index: int) -> str:
    """Return alt text for the figure(s) of code cell *index*: metadata, the plot's title, or the text above it."""
    cell = nb["cells"][index]
    meta = cell.get("metadata", {}).get("mystnb", {}).get("image", {}).get("alt")
    if meta:
        return meta
    m = re.search(r"""(?:set_title|suptitle|title=)\(?\s*(?:f?)(["'])(.+?)\1""", cell.get("source", ""))
    if m:
        return "Figure: " + m.group(2)
    for prev in reversed(nb["cells"][:index]):
        if prev["cell_type"] == "markdown":
            sentence = _first_sentence(prev["source"])
            if sentence:
                return "Figure: " + sentence[:200]
    return "Figure"


def add_alt_text(nb) -> int:
    """Give every code cell that shows an image its alt text (cell metadata myst-nb reads); return the count."""
    n = 0
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] == "code" and any("image/png" in o.get("data", {}) for o in cell.get("outputs", [])):
            meta = cell.setdefault("metadata", {}).setdefault("mystnb", {})
            meta.setdefault("image", {})["alt"] = figure_alt(nb, i)
            n += 1
    return n


def fold_solutions(nb) -> int:
    """Drop the BEGIN/END SOLUTION marker lines and fold each solution cell's code; return how many."""
    n = 0
    for cell in nb["cells"]:
        if cell["cell_type"] == "code" and MARKER.search(cell["source"]):
            cell["source"] = MARKER.sub("", cell["source"]).rstrip()
            tags = cell.setdefault("metadata", {}).setdefault("tags", [])
            if "hide-input" not in tags:
                tags.append("hide-input")
            n += 1
    return n


def relink(text: str, src_rel: str, dest_rel: str, pages: set[str], repo_url: str, branch: str) -> str:
    """Rewrite relative Markdown links of a text written at *src_rel* so they work from *dest_rel* on the site.

    A link to a staged page (.ipynb / .md) is kept (made relative to *dest_rel*); a link to another repository
    file points at the repository when *repo_url* is set, else becomes its plain text.
    """
    text = link_citations.link_markdown(text, posixpath.relpath("docs/sources.md", posixpath.dirname(src_rel)
                                                                or "."))

    def fix(m):
        label, url = m.group(1), m.group(2)
        parts = urlsplit(url)
        if parts.scheme or url.startswith(("#", "mailto:", "data:")) or not parts.path:
            return m.group(0)
        target = posixpath.normpath(posixpath.join(posixpath.dirname(src_rel), unquote(parts.path)))
        frag = f"#{parts.fragment}" if parts.fragment else ""
        if target in pages:
            return f"[{label}]({posixpath.relpath(target, posixpath.dirname(dest_rel) or '.')}{frag})"
        if repo_url and (ROOT / target).exists():
            return f"[{label}]({repo_url}/blob/{branch}/{target}{frag})"
        return label

    return re.sub(r"(?<!!)\[((?:[^\[\]]|\[[^\]]*\])*)\]\(([^)\s]+)\)", fix, text)


# ---------------------------------------------------------------- staging the whole course


def landing_page(entries: list[dict], repo_url: str, hub: str) -> str:
    """Return the Markdown of the landing page: docs/site/index.md with the chapter map and the toctrees."""
    rows = ["| | Chapter | The question it answers | Minutes | Practice |", "|---|---|---|---|---|"]
    for e in entries:
        practice = " · ".join(f"[{label}]({kind}/{e['stem']}.ipynb)" for kind, label in
                              (("exercises", "exercises"), ("solutions", "solutions"))
                              if (ROOT / kind / f"{e['stem']}.ipynb").exists())
        rows.append(f"| {e['num']} | [{e['short']}](notebooks/{e['stem']}.ipynb) | {e['question']} | "
                    f"{e['minutes'] or '—'} | {practice} |")
    table = "```{list-table}\n:header-rows: 1\n:class: course-chapter-map\n:widths: 4 30 46 10 10\n\n"
    table += "* - \n  - Chapter\n  - The question it answers\n  - Minutes\n  - Practice\n"
    for row in rows[2:]:
        cells = [c.strip() for c in row.strip("|").split("|")]
        table += "* - " + "\n  - ".join(c or " " for c in cells) + "\n"
    table += "```"
    if repo_url:
        launch = ("Use the rocket button at the top of any chapter to open it live on Binder"
                  + (" or on the course's JupyterHub" if hub else "")
                  + f". The course's repository: <{repo_url}>. Binder reads `environment.yml`, which installs "
                  "the same locked packages as `make lab`.")
    else:
        launch = ("Point mybinder.org (or your BinderHub) at the course's repository: it reads "
                  "`environment.yml`, which installs the same locked packages as `make lab`. On a JupyterHub, "
                  "install the course once into the users' environment (see the instructor guide). These pages "
                  "show launch buttons once the site is built with the repository's address "
                  "(`COURSE_REPO_URL=https://github.com/OWNER/REPO make site`).")
    total = _total_hours(entries)
    trees = []
    for e in entries:
        items = [f"{e['short']} <notebooks/{e['stem']}>"]
        items += [f"{label} <{kind}/{e['stem']}>" for kind, label in (("exercises", "Exercises"),
                                                                        ("solutions", "Solutions"))
                  if (ROOT / kind / f"{e['stem']}.ipynb").exists()]
        trees.append((f"Chapter {e['num']}", items))
    trees.append(("Reference", ["Sources <docs/sources>"]))
    instr = ["Instructor guide <docs/instructor-guide>", "Instructor notes, chapter by chapter "
             "<docs/instructor-notes>"]
    if (ROOT / "docs" / "authoring.md").exists():
        instr.append("Authoring guide <docs/authoring>")
    trees.append(("For instructors", instr))
    toc = "\n\n".join(f"```{{toctree}}\n:caption: {cap}\n:hidden:\n:maxdepth: 1\n\n" + "\n".join(items) + "\n```"
                      for cap, items in trees)
    text = (CONF_DIR / "index.md").read_text(encoding="utf-8")
    text = text.replace("{{CHAPTER_MAP}}", table).replace("{{LAUNCH}}", launch).replace("{{TOCTREES}}", toc)
    return text.replace("{{TOTAL}}", total)


def _total_hours(entries: list[dict]) -> str:
    lo = hi = 0
    for e in entries:
        nums = [int(x) for x in re.findall(r"\d+", e["minutes"])]
        if nums:
            lo, hi = lo + nums[0], hi + nums[-1]
    if not hi:
        return "a day"
    return f"{lo / 60:.0f}–{hi / 60:.0f} hours" if round(lo / 60) != round(hi / 60) else f"{hi / 60:.0f} hours"


def instructor_notes_page(notes: list[tuple[dict, str]]) -> str:
    """Return the Markdown page that collects each chapter's instructor notes."""
    out = ["# Instructor notes, chapter by chapter", "",
           "Each chapter notebook ends with a section of notes for whoever teaches it: timing, what to show, "
           "discussion questions. On the website they are collected here, so learners' pages stay about the "
           "material. The [instructor guide](instructor-guide.md) has the workshop plans and timings."]
    for e, text in notes:
        text = re.sub(r"^(#{2,5}) ", lambda m: "#" * min(6, len(m.group(1)) + 1) + " ", text, flags=re.M)
        out += ["", f"## {e['title']}", "", f"From the end of [the chapter](../notebooks/{e['stem']}.ipynb).",
                "", text]
    return "\n".join(out) + "\n"


def stage(dest: Path, execute: bool, repo_url: str = "", branch: str = "main", hub: str = "",
          log=print, only: list[str] | None = None) -> dict:
    """Write the Sphinx source tree for the site into *dest*; return counts of what was done.

    *only* limits the chapters to those whose file name starts with one of the given prefixes ("00", ...).
    """
    import nbformat

    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    entries = [chapter_info(p) for p in chapters() if not only or p.name.startswith(tuple(only))]
    pages = {f"{k}/{e['stem']}.ipynb" for e in entries for k in KINDS if (ROOT / k / f"{e['stem']}.ipynb").exists()}
    docs = ["sources.md", "instructor-guide.md", "authoring.md"]
    pages |= {f"docs/{d}" for d in docs if (ROOT / "docs" / d).exists()} | {"docs/instructor-notes.md"}
    stats = {"widgets": 0, "pictures": 0, "figures": 0, "solutions": 0, "notes": 0, "warnings": []}
    notes = []
    for e in entries:
        for kind in KINDS:
            src = ROOT / kind / f"{e['stem']}.ipynb"
            if not src.exists():
                continue
            rel = f"{kind}/{e['stem']}.ipynb"
            start = time.perf_counter()
            nb = nbformat.read(src, as_version=4)
            nb.metadata.pop("widgets", None)
            executed = execute_with_widget_state(src) if execute and kind == "notebooks" else None
            errors = execution_errors(executed) if executed is not None else []
            if errors:
                more = f" (and {len(errors) - 1} later cells)" if len(errors) > 1 else ""
                stats["warnings"].append(f"WARNING: {rel} failed to run for its widget pictures: {errors[0]}{more}")
            alt = f"The starting picture of an experiment in {e['title']}"
            n = staticise_widgets(nb, executed, alt, launch=bool(repo_url))
            stats["widgets"] += n
            stats["pictures"] += n if executed is not None else 0
            text = split_instructor_notes(nb)
            if text and kind == "notebooks":
                notes.append((e, relink(text, rel, "docs/instructor-notes.md", pages, repo_url, branch)))
                stats["notes"] += 1
            if kind == "solutions":
                stats["solutions"] += fold_solutions(nb)
            stats["figures"] += add_alt_text(nb)
            for cell in nb.cells:
                if cell.cell_type == "markdown":
                    cell.source = relink(cell.source, rel, rel, pages, repo_url, branch)
            (dest / kind).mkdir(exist_ok=True)
            nbformat.write(nb, dest / rel)
            log(f"  staged {rel}: {n} widget(s){' (pictures)' if executed is not None else ''}, "
                f"{time.perf_counter() - start:.1f} s")
    (dest / "docs").mkdir()
    for d in docs:
        if (ROOT / "docs" / d).exists():
            text = (ROOT / "docs" / d).read_text(encoding="utf-8")
            if d != "sources.md":
                text = relink(text, f"docs/{d}", f"docs/{d}", pages, repo_url, branch)
            (dest / "docs" / d).write_text(text, encoding="utf-8")
    (dest / "docs" / "instructor-notes.md").write_text(instructor_notes_page(notes), encoding="utf-8")
    index = relink(landing_page(entries, repo_url, hub), "index.md", "index.md", pages, repo_url, branch)
    (dest / "index.md").write_text(index, encoding="utf-8")
    stats["chapters"] = len(entries)
    return stats


# ---------------------------------------------------------------- building


def build(out: Path, execute: bool = True, repo_url: str = "", branch: str = "main", hub: str = "",
          stage_dir: Path = STAGE, log=print, only: list[str] | None = None) -> dict:
    """Stage the course and run Sphinx into *out*; return the staging counts plus Sphinx's warnings."""
    stats = stage(stage_dir, execute, repo_url, branch, hub, log, only)
    if out.exists():
        shutil.rmtree(out)
    env = dict(os.environ, COURSE_REPO_URL=repo_url, COURSE_REPO_BRANCH=branch, COURSE_JUPYTERHUB_URL=hub)
    doctrees = stage_dir.parent / (stage_dir.name + "-doctrees")
    shutil.rmtree(doctrees, ignore_errors=True)
    done = subprocess.run([sys.executable, "-m", "sphinx", "-b", "html", "-q", "-c", str(CONF_DIR),
                           "-d", str(doctrees), str(stage_dir), str(out)],
                          env=env, capture_output=True, text=True)
    warnings = [ln for ln in (done.stderr or "").splitlines() if "WARNING" in ln or "ERROR" in ln]
    if done.returncode != 0:
        raise RuntimeError(f"sphinx-build failed ({done.returncode}):\n{done.stdout[-3000:]}\n{done.stderr[-5000:]}")
    (out / ".nojekyll").write_text("", encoding="utf-8")
    stats["warnings"] += warnings
    return stats


# ---------------------------------------------------------------- checks on the built site


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links: list[tuple[str, str, str]] = []  # (tag, attribute, url)
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        for key in ("id", "name"):
            if a.get(key):
                self.ids.add(a[key])
        for attr in ("href", "src"):
            if a.get(attr) and tag in ("a", "link", "script", "img", "iframe", "source", "video", "audio"):
                self.links.append((tag, attr, a[attr]))


def parse(path: Path) -> _Links:
    p = _Links()
    p.feed(path.read_text(encoding="utf-8"))
    return p


def pages(site: Path) -> list[Path]:
    """Return the site's HTML pages (not the theme's HTML templates under _static/)."""
    return sorted(p for p in site.rglob("*.html") if "_static" not in p.relative_to(site).parts)


def broken_links(site: Path) -> list[str]:
    """Return 'page: link (why)' for every internal link (file and #fragment) that does not resolve."""
    parsed = {p: parse(p) for p in pages(site)}
    bad = []
    for page, info in parsed.items():
        for _tag, _attr, url in info.links:
            parts = urlsplit(url)
            if parts.scheme or url.startswith(("data:", "//", "mailto:")):
                continue
            target = (page.parent / unquote(parts.path)).resolve() if parts.path else page
            if target.is_dir():
                target = target / "index.html"
            if not target.is_file():
                bad.append(f"{page.relative_to(site)}: {url} (no such file)")
            elif (parts.fragment and target in parsed
                  and not {parts.fragment, unquote(parts.fragment)} & parsed[target].ids):
                bad.append(f"{page.relative_to(site)}: {url} (no such anchor)")
    return bad


def remote_assets(site: Path) -> list[str]:
    """Return 'page: tag url' for every script, stylesheet, image or frame loaded from the network."""
    bad = []
    for page in pages(site):
        for tag, attr, url in parse(page).links:
            remote = url.startswith(("http://", "https://", "//"))
            if remote and not (tag == "a" or (tag == "link" and attr == "href" and _is_plain_link(page, url))):
                bad.append(f"{page.relative_to(site)}: <{tag} {attr}={url}>")
    for css in sorted(site.rglob("*.css")):
        for url in re.findall(r"""url\(\s*['"]?((?:https?:)?//[^'")\s]+)""", css.read_text(errors="replace")):
            bad.append(f"{css.relative_to(site)}: url({url})")
    return bad


def _is_plain_link(page: Path, url: str) -> bool:
    """Say whether <link href=url> on *page* is a navigation link (rel=canonical etc.), not a loaded resource."""
    text = page.read_text(encoding="utf-8")
    for m in re.finditer(r"<link\b[^>]*>", text):
        if url in m.group(0):
            rel = re.search(r"""rel=["']?([^"' >]+)""", m.group(0))
            return bool(rel) and rel.group(1) not in ("stylesheet", "preload", "modulepreload", "icon",
                                                      "prefetch", "manifest")
    return False


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=ROOT / "_site")
    ap.add_argument("--no-execute", action="store_true", help="no kernel: widgets become notes, not pictures")
    ap.add_argument("--repo-url", default=os.environ.get("COURSE_REPO_URL", ""),
                    help="https://github.com/OWNER/REPO: enables launch and repository buttons (default: none)")
    ap.add_argument("--branch", default=os.environ.get("COURSE_REPO_BRANCH", "") or "main")
    ap.add_argument("--jupyterhub-url", default=os.environ.get("COURSE_JUPYTERHUB_URL", ""))
    ap.add_argument("--check", action="store_true", help="fail on a broken internal link or a remote asset")
    args = ap.parse_args(argv)
    start = time.perf_counter()
    stats = build(args.out, execute=not args.no_execute, repo_url=args.repo_url.rstrip("/"),
                  branch=args.branch, hub=args.jupyterhub_url.rstrip("/"))
    print(f"wrote {len(pages(args.out))} pages to {args.out} in {time.perf_counter() - start:.1f} s: {stats['chapters']} "
          f"chapters, {stats['widgets']} widgets ({stats['pictures']} as pictures), {stats['figures']} figure "
          f"cells with alt text, {stats['solutions']} folded solutions, {stats['notes']} instructor-notes sections")
    for w in stats["warnings"]:
        print(w)
    if args.check:
        bad = broken_links(args.out) + remote_assets(args.out)
        print("\n".join(bad) or "every internal link resolves; nothing is loaded from the network")
        return 1 if bad or stats["warnings"] else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
