"""Heading slugs for the course website.

A heading that is a citation key (``### S1e`` in docs/sources.md) keeps its text as the anchor, as JupyterLab
does (it gives a rendered heading the id of its text, spaces turned into "-"), so the relative link
``../docs/sources.md#S1e`` opens the same entry in JupyterLab and on the website.  Every other heading gets
GitHub's anchor (lower case, punctuation dropped, spaces to "-"), so a guide's ``#a-full-day`` works on GitHub and
on the website alike.
"""

import re


def slug(text: str) -> str:
    """Return the anchor of a heading whose text is *text*."""
    text = text.strip()
    if re.fullmatch(r"S\d+[a-z]?", text):
        return text
    text = re.sub(r"<[^>]+>|[`*_]", "", text).lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")
