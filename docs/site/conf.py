"""Sphinx configuration of the course website (built by tools/build_site.py, never by hand).

The build stages the course into a temporary source tree with the repository's layout (notebooks/, exercises/,
solutions/, docs/) and runs Sphinx on it with this file: myst-nb renders the committed notebook outputs
(nothing is executed here), sphinx-book-theme gives the sidebar, search and prev/next, sphinx-togglebutton the
solution toggles.  Options come from environment variables that tools/build_site.py sets:

    COURSE_REPO_URL       https://github.com/<owner>/<repo> (or GitLab): turns on the repository and launch
                          buttons (Binder, and JupyterHub when COURSE_JUPYTERHUB_URL is set); unset, none is shown
    COURSE_REPO_BRANCH    the branch the launch buttons open (default main)
    COURSE_JUPYTERHUB_URL e.g. https://hub.example.org (optional)
"""

from __future__ import annotations

import os
import sys
from urllib.parse import urlsplit

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # course_slug

project = "Anatomy of an Outage"
author = "the course authors"
copyright = "the course authors (MIT licence)"
html_title = "Anatomy of an Outage"

extensions = ["myst_nb", "sphinx_togglebutton"]
root_doc = "index"
exclude_patterns = ["_build", "**.ipynb_checkpoints"]
templates_path = []
html_static_path = ["_static"]
html_css_files = ["course.css"]

# Notebooks: render what is stored, never execute; widgets were replaced by static pictures while staging.
smartquotes = False  # keep quotes as written, so page text matches the notebooks word for word
nb_execution_mode = "off"
nb_ipywidgets_js = {}  # no require.js / widget manager from a CDN: no page has a live widget
nb_merge_streams = True
nb_code_prompt_show = "Show the solution code"  # only solution cells are folded (tools/build_site.py)
nb_code_prompt_hide = "Hide the solution code"
nb_output_stderr = "remove"

# Markdown: headings get anchors whose slug is the heading text as written, as JupyterLab makes them, so one
# relative link (../docs/sources.md#S1e) opens the same entry in JupyterLab and here.
myst_heading_anchors = 3
myst_heading_slug_func = "course_slug.slug"
myst_enable_extensions = ["colon_fence", "deflist"]
suppress_warnings = ["myst.header"]  # notebooks start at a level-1 title and skip no levels; guides may

# Offline: Sphinx adds MathJax (from a CDN) only to a page with math, and no page has any (no dollar-math
# extension); tools/build_site.py --check fails if a page loads anything from the network.

repo_url = os.environ.get("COURSE_REPO_URL", "").strip().rstrip("/")
branch = os.environ.get("COURSE_REPO_BRANCH", "").strip() or "main"
hub = os.environ.get("COURSE_JUPYTERHUB_URL", "").strip().rstrip("/")

html_theme = "sphinx_book_theme"
html_theme_options = {
    "show_toc_level": 2,
    "home_page_in_toc": True,
    "show_navbar_depth": 1,
    "navigation_with_keys": True,
    "use_download_button": True,
    "use_fullscreen_button": False,
    "footer_content_items": [],
    "extra_footer": "<p>Anatomy of an Outage: an open course on how large distributed systems fail. "
                    "Built from the notebooks' stored outputs; nothing on these pages is fetched from the "
                    "network.</p>",
}
if repo_url:
    host = urlsplit(repo_url).netloc.lower()
    if host not in ("github.com", "gitlab.com"):
        raise ValueError(f"COURSE_REPO_URL must be a github.com or gitlab.com repository, not {repo_url!r}")
    html_theme_options |= {
        "repository_url": repo_url,
        "repository_branch": branch,
        "path_to_docs": "",
        "use_repository_button": True,
        "launch_buttons": {"binderhub_url": "https://mybinder.org", "notebook_interface": "jupyterlab",
                           **({"jupyterhub_url": hub} if hub else {})},
    }
