"""Build the course website (static HTML) into _site/ from the executed notebooks.

    python tools/build_site.py                   # execute chapters for widget snapshots, write _site/
    python tools/build_site.py --no-execute      # use the committed outputs only (faster; widgets become a note)
    python tools/build_site.py --out /tmp/site --repo myorg/anatomy-of-an-outage --ref main
    python tools/build_site.py --check           # build, then verify that every internal link resolves

Why nbconvert and not Jupyter Book: nbconvert is already installed with JupyterLab, works offline, and turns an
executed notebook into one self-contained HTML page with its PNG figures embedded, which is all a read-first
site needs.  Jupyter Book (v2 / mystmd) is not installed, would be a new dependency, and fetches its theme and
Node tooling on first build, which an offline CI cannot do.  The navigation (index, prev/next, launch links) is a
few lines of HTML added around each page here.

Widgets: a static page has no kernel, so an Experiment cannot be live.  The build re-executes each chapter with
nbclient, keeps the widget state, and replaces every widget by a snapshot at its starting settings (the controls'
values as text, the readout and the plot), under a note saying where to run it live.

Launch links: ``make lab`` locally, or Binder at
``https://mybinder.org/v2/gh/<repo>/<ref>?urlpath=lab/tree/notebooks/<chapter>.ipynb``.  ``<repo>`` is the
GitHub ``owner/name`` of the course; pass ``--repo`` or set ``COURSE_REPO`` (the placeholder below is used
otherwise, and the page says so).
"""

from __future__ import annotations

import argparse
import html
import json
import os
import posixpath
import re
import shutil
import sys
import time
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

ROOT = Path(__file__).resolve().parent.parent
REPO_PLACEHOLDER = "OWNER/anatomy-of-an-outage"  # replace with the real GitHub owner/name (or set COURSE_REPO)
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
STATE_MIME = "application/vnd.jupyter.widget-state+json"
TITLE = "Anatomy of an Outage"
DOCS = {"instructor-guide.md": "Instructor guide", "accessibility.md": "Accessibility"}

CSS = """
.course-nav{font:14px/1.5 system-ui,sans-serif;background:#f5f7fa;border-bottom:1px solid #d0d7de;
  padding:.6em 1.2em;display:flex;flex-wrap:wrap;gap:.4em 1.2em;align-items:center}
.course-nav a{color:#0b5cad;text-decoration:none}.course-nav a:hover{text-decoration:underline}
.course-nav .home{font-weight:600}.course-nav .spacer{flex:1}
.course-launch{font:14px/1.5 system-ui,sans-serif;margin:1em 1.2em;padding:.6em 1em;border-left:4px solid #0072B2;
  background:#eef6fc}
.course-launch code{background:#fff;padding:0 .3em}
.course-static-widget{border:1px dashed #7f7f7f;padding:.5em .8em;margin:.3em 0;font:13px/1.5 system-ui,sans-serif}
.course-static-widget .note{color:#444;font-style:italic;margin-bottom:.3em}
.course-static-widget .controls span{display:inline-block;margin-right:1.2em}
.course-static-widget img{max-width:100%}
.course-readout{font-family:ui-monospace,monospace}
"""


# ---------------------------------------------------------------- reading the course


def chapters() -> list[Path]:
    """Return the chapter notebooks in order."""
    return sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def chapter_title(nb: dict, fallback: str) -> tuple[str, str]:
    """Return (title, one-sentence summary) from the notebook's first markdown cell."""
    for cell in nb["cells"]:
        if cell["cell_type"] != "markdown":
            continue
        lines = "".join(cell["source"]).splitlines()
        title = next((ln.lstrip("#").strip() for ln in lines if ln.startswith("# ")), fallback)
        body = " ".join(ln.strip() for ln in lines if ln.strip() and not ln.startswith("#"))
        body = re.sub(r"\*\*|`|\[(S\w+)\]", "", body.split("**")[0] if "**" in body else body)
        first = re.split(r"(?<=[.!?])\s", body.strip(), maxsplit=1)[0]
        return title, first
    return fallback, ""


def execute_with_widget_state(path: Path) -> dict:
    """Execute *path* with nbclient, keeping the widget state, and return the notebook."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=600, kernel_name="python3", store_widget_state=True,
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    return nb


# ---------------------------------------------------------------- widgets -> static snapshots


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


def render_widget(states: dict, ref, depth: int = 0) -> str:
    """Render a widget model (and its children) as static HTML: control values, readouts, output images."""
    model = _model(states, ref)
    if model is None or depth > 8:
        return ""
    name, s = model.get("model_name", ""), model.get("state", {})
    if name in ("VBoxModel", "HBoxModel", "BoxModel", "GridBoxModel", "AccordionModel", "TabModel"):
        inner = "".join(render_widget(states, c, depth + 1) for c in s.get("children", []))
        return f"<div class='controls'>{inner}</div>" if name == "HBoxModel" else f"<div>{inner}</div>"
    if name == "HTMLModel":
        return f"<div>{s.get('value', '')}</div>"
    if name == "OutputModel":
        parts = []
        for out in s.get("outputs", []):
            data = out.get("data", {})
            if "image/png" in data:
                parts.append(f"<img alt='plot' src='data:image/png;base64,{data['image/png']}'>")
            elif out.get("output_type") == "stream":
                parts.append(f"<pre>{html.escape(out.get('text', ''))}</pre>")
            elif "text/plain" in data:
                parts.append(f"<pre>{html.escape(str(data['text/plain']))}</pre>")
        return "".join(parts)
    if name == "ButtonModel":
        return ""
    text = _control_text(model)
    return f"<span>{text}</span>" if text else ""


def staticise_widgets(nb: dict, where: str) -> int:
    """Replace every widget view output by a static snapshot (or a note); return how many were replaced."""
    states = nb.get("metadata", {}).pop("widgets", {}).get(STATE_MIME, {}).get("state", {})
    count = 0
    for cell in nb["cells"]:
        for i, out in enumerate(cell.get("outputs", [])):
            data = out.get("data", {})
            if WIDGET_MIME not in data:
                continue
            count += 1
            snapshot = render_widget(states, data[WIDGET_MIME].get("model_id"))
            note = ("Interactive experiment: live in JupyterLab or on Binder (links at the top of this page)."
                    + (" Below: its starting settings, readout and plot." if snapshot else ""))
            body = f"<div class='course-static-widget'><div class='note'>{note}</div>{snapshot}</div>"
            cell["outputs"][i] = {"output_type": "display_data", "metadata": {},
                                  "data": {"text/html": body, "text/plain": f"[interactive experiment, {where}]"}}
    return count


# ---------------------------------------------------------------- pages


def binder_url(repo: str, ref: str, rel: str) -> str:
    return f"https://mybinder.org/v2/gh/{repo}/{ref}?urlpath=lab/tree/{rel}"


def nav_html(depth: int, entries: list[dict], index: int | None, kind: str = "chapter") -> str:
    """Return the navigation bar: home, chapters, previous / next."""
    up = "../" * depth
    links = [f"<a class='home' href='{up}index.html'>{TITLE}</a>"]
    links += [f"<a href='{up}notebooks/{e['stem']}.html' title='{html.escape(e['title'])}'>{e['num']}</a>"
              for e in entries]
    if index is not None:
        links.append("<span class='spacer'></span>")
        if index > 0:
            p = entries[index - 1]
            links.append(f"<a rel='prev' href='{up}{kind}s/{p['stem']}.html'>← {html.escape(p['short'])}</a>")
        if index + 1 < len(entries):
            n = entries[index + 1]
            links.append(f"<a rel='next' href='{up}{kind}s/{n['stem']}.html'>{html.escape(n['short'])} →</a>")
    return f"<nav class='course-nav'>{' '.join(links)}</nav>"


def launch_html(entry: dict, kind: str, repo: str, ref: str) -> str:
    """Return the 'run it yourself' box for one page."""
    rel = f"{kind}/{entry['stem']}.ipynb"
    placeholder = (" (the Binder link uses a placeholder repository until the course sets "
                   "<code>COURSE_REPO</code> / <code>--repo</code>)" if repo == REPO_PLACEHOLDER else "")
    siblings = " · ".join(f"<a href='../{k}/{entry['stem']}.html'>{label}</a>"
                          for k, label in (("notebooks", "chapter"), ("exercises", "exercises"),
                                           ("solutions", "solutions")) if k != kind)
    return (f"<div class='course-launch'><b>Run it live:</b> locally, <code>make lab</code> and open "
            f"<code>{rel}</code>; or <a href='{binder_url(repo, ref, rel)}'>launch on Binder</a>{placeholder}. "
            f"Widgets on this page are static snapshots. Also: {siblings}.</div>")


def export_page(nb: dict, title: str) -> str:
    """Convert a notebook dict to a full HTML page with nbconvert's lab template."""
    import nbformat
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(template_name="lab")
    body, _ = exporter.from_notebook_node(nbformat.from_dict(nb), resources={"metadata": {"name": title}})
    return body


def wrap(page: str, head_extra: str, top: str, bottom: str = "") -> str:
    """Insert our style, navigation and launch box into an nbconvert page."""
    page = page.replace("</head>", f"<style>{CSS}</style>{head_extra}</head>", 1)
    page = re.sub(r"(<body[^>]*>)", lambda m: m.group(1) + top, page, count=1)
    return page.replace("</body>", bottom + "</body>", 1)


def rewrite_links(page: str, page_rel: str, built: set[str], repo: str, ref: str) -> str:
    """Point links to .ipynb / .md files at their built pages, and other repo files at GitHub."""

    def fix(m):
        attr, quote, url = m.group(1), m.group(2), m.group(3)
        parts = urlsplit(url)
        if parts.scheme or url.startswith(("#", "data:", "//", "mailto:")) or not parts.path:
            return m.group(0)
        target = posixpath.normpath(posixpath.join(posixpath.dirname(page_rel), unquote(parts.path)))
        frag = f"#{parts.fragment}" if parts.fragment else ""
        for old in (".ipynb", ".md"):
            if target.endswith(old) and target[: -len(old)] + ".html" in built:
                new = posixpath.relpath(target[: -len(old)] + ".html", posixpath.dirname(page_rel) or ".")
                return f"{attr}={quote}{new}{frag}{quote}"
        if target in built or target.startswith(".."):
            return m.group(0)
        return f"{attr}={quote}https://github.com/{repo}/blob/{ref}/{target}{frag}{quote}"

    return re.sub(r"\b(href|src)=(['\"])([^'\"]*)\2", fix, page)


def github_slug(text: str) -> str:
    """Return the anchor GitHub gives a heading, so '#a-full-day' works on GitHub and on the site alike."""
    text = re.sub(r"<[^>]+>|[`*_]", "", text).strip().lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def markdown_page(path: Path, title: str, entries: list[dict]) -> str:
    """Render a docs/*.md file as a simple page with the course navigation."""
    import mistune
    from mistune.toc import add_toc_hook

    md = mistune.create_markdown(escape=False, plugins=["strikethrough", "table", "url"])
    add_toc_hook(md, min_level=1, max_level=4, heading_id=lambda token, _i: github_slug(token["text"]))
    body = md(path.read_text(encoding="utf-8"))
    return (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
            f"<style>{CSS} body{{margin:0}} main{{max-width:52em;margin:1em auto;padding:0 1em;"
            f"font:15px/1.6 system-ui,sans-serif}} table{{border-collapse:collapse}} td,th{{border:1px solid "
            f"#ccc;padding:.2em .5em}} code{{background:#f3f3f3}}</style></head><body>"
            f"{nav_html(1, entries, None)}<main>{body}</main></body></html>")


def index_page(entries: list[dict], docs: list[tuple[str, str]], repo: str, ref: str) -> str:
    """Return the home page: the chapter table and links to exercises, solutions and instructor pages."""
    rows = "".join(
        f"<tr><td>{e['num']}</td><td><a href='notebooks/{e['stem']}.html'>{html.escape(e['title'])}</a>"
        f"<br><small>{html.escape(e['summary'])}</small></td>"
        f"<td><a href='exercises/{e['stem']}.html'>exercises</a></td>"
        f"<td><a href='solutions/{e['stem']}.html'>solutions</a></td></tr>" for e in entries)
    doc_links = "".join(f"<li><a href='docs/{name}'>{html.escape(t)}</a></li>" for name, t in docs)
    return f"""<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{TITLE}</title>
<style>{CSS} body{{margin:0}} main{{max-width:60em;margin:1em auto;padding:0 1em;font:15px/1.6 system-ui,sans-serif}}
table{{border-collapse:collapse;width:100%}} td,th{{border-bottom:1px solid #ddd;padding:.4em;vertical-align:top;
text-align:left}}</style></head><body>{nav_html(0, entries, None)}<main>
<h1>{TITLE}</h1>
<p>An interactive course on how large distributed systems fail, told through the AWS us-east-1 outage of
19–20 October 2025. Each chapter is a Jupyter notebook; these pages show them with their figures, and widgets as
static snapshots. To run the experiments: <code>make lab</code> in a clone, or
<a href='{binder_url(repo, ref, "notebooks/" + entries[0]["stem"] + ".ipynb") if entries else "#"}'>Binder</a>.</p>
<table><thead><tr><th>#</th><th>Chapter</th><th colspan='2'>Practice</th></tr></thead><tbody>{rows}</tbody></table>
<h2>For instructors</h2><ul>{doc_links}</ul>
</main></body></html>"""


def build(out: Path, execute: bool = True, repo: str = REPO_PLACEHOLDER, ref: str = "main",
          log=print) -> list[Path]:
    """Build the whole site into *out*; return the pages written."""
    import nbformat

    if out.exists():
        shutil.rmtree(out)
    (out / "docs").mkdir(parents=True)
    entries = []
    for path in chapters():
        nb = json.loads(path.read_text(encoding="utf-8"))
        title, summary = chapter_title(nb, path.stem)
        num = path.stem[:2]
        short = re.sub(r"^Chapter\s+\d+\s*[—–-]\s*", "", title).split(":")[0]
        entries.append({"stem": path.stem, "num": num, "title": title, "summary": summary, "short": short})
    docs = [(name.replace(".md", ".html"), label) for name, label in DOCS.items() if (ROOT / "docs" / name).exists()]
    pages: dict[str, str] = {"index.html": index_page(entries, docs, repo, ref)}
    for kind in ("notebooks", "exercises", "solutions"):
        for i, e in enumerate(entries):
            src = ROOT / kind / f"{e['stem']}.ipynb"
            if not src.exists():
                continue
            start = time.perf_counter()
            nb = execute_with_widget_state(src) if (execute and kind == "notebooks") else \
                nbformat.read(src, as_version=4)
            n = staticise_widgets(nb, kind)
            label = {"notebooks": e["title"], "exercises": f"Exercises {e['num']}",
                     "solutions": f"Solutions {e['num']}"}[kind]
            page = wrap(export_page(nb, label), "", nav_html(1, entries, i, kind.rstrip("s")) +
                        launch_html(e, kind, repo, ref))
            pages[f"{kind}/{e['stem']}.html"] = page
            log(f"  {kind}/{e['stem']}: {n} widgets, {time.perf_counter() - start:.1f} s")
    for name, label in DOCS.items():
        if (ROOT / "docs" / name).exists():
            pages[f"docs/{name.replace('.md', '.html')}"] = markdown_page(ROOT / "docs" / name, label, entries)
    written = []
    for rel, page in pages.items():
        dest = out / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_text(rewrite_links(page, rel, set(pages), repo, ref), encoding="utf-8")
        written.append(dest)
    return written


# ---------------------------------------------------------------- link check


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links: list[tuple[str, str]] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        for key in ("id", "name"):
            if a.get(key):
                self.ids.add(a[key])
        if tag == "a" and a.get("href"):
            self.links.append(("href", a["href"]))
        if tag in ("img", "script") and a.get("src"):
            self.links.append(("src", a["src"]))
        if tag == "link" and a.get("href"):
            self.links.append(("href", a["href"]))


def parse(path: Path) -> _Links:
    p = _Links()
    p.feed(path.read_text(encoding="utf-8"))
    return p


def broken_links(site: Path) -> list[str]:
    """Return 'page: link' for every internal link (file and #fragment) that does not resolve."""
    parsed = {p: parse(p) for p in site.rglob("*.html")}
    bad = []
    for page, info in parsed.items():
        for _, url in info.links:
            parts = urlsplit(url)
            if parts.scheme or url.startswith(("data:", "//", "mailto:")):
                continue
            target = (page.parent / unquote(parts.path)).resolve() if parts.path else page
            if not target.is_file():
                bad.append(f"{page.relative_to(site)}: {url} (no such file)")
            elif (parts.fragment and target in parsed
                  and not {parts.fragment, unquote(parts.fragment)} & parsed[target].ids):  # as browsers match
                bad.append(f"{page.relative_to(site)}: {url} (no such anchor)")
    return bad


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "_site")
    parser.add_argument("--no-execute", action="store_true", help="do not re-run chapters for widget snapshots")
    parser.add_argument("--repo", default=os.environ.get("COURSE_REPO", REPO_PLACEHOLDER))
    parser.add_argument("--ref", default=os.environ.get("COURSE_REF", "main"))
    parser.add_argument("--check", action="store_true", help="fail if an internal link does not resolve")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    pages = build(args.out, execute=not args.no_execute, repo=args.repo, ref=args.ref)
    print(f"wrote {len(pages)} pages to {args.out} in {time.perf_counter() - start:.1f} s")
    if args.check:
        bad = broken_links(args.out)
        print("\n".join(bad) or "every internal link resolves")
        return 1 if bad else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())


