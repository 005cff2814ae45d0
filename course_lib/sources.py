"""The course's bibliography: every source key the text cites, read from ``course_lib/data/sources.toml``.

    >>> from course_lib import sources
    >>> s = sources.get("S12")
    >>> s.title, s.solidity_label
    ('Exponential Backoff And Jitter', 'Primary text')
    >>> sources.cited_keys("the race [S1c][S1d], the timeline [S1e, S1f]")
    ['S1c', 'S1d', 'S1e', 'S1f']

``docs/sources.md`` is generated from the data by ``render_markdown()`` (``python tools/make_sources.py``); each
entry is a level-3 heading that is just its key, so ``docs/sources.md#S1e`` opens that entry both in JupyterLab
(which gives a heading the id of its text) and on the course website (whose slug function keeps the text as is).
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data" / "sources.toml"

#: A citation key as the text writes it: S, a number, an optional lower-case letter (S1e, S2, S13b).
KEY = r"S\d+[a-z]?"
#: A bracketed citation of one key or several separated by commas: [S1e] or [S1e, S1f].
CITATION = re.compile(rf"\[({KEY}(?:\s*,\s*{KEY})*)\]")

GROUPS = {
    "pes": "The AWS post-event summary, read through its copies",
    "narrative": "The incident narrative and talks",
    "models": "Models of the race",
    "metastability": "Metastable failures",
    "methods": "Simulation, backoff and formal methods",
    "context": "Context",
    "automation": "Automation and people",
}
SOLIDITY = {
    "primary": "Primary text",
    "secondary": "Secondary summary",
    "as-reported": "As reported by the Pragmatic Engineer",
    "interpretation": "The course's interpretation",
}
FIELDS = ("key", "group", "authors", "title", "venue", "date", "url", "solidity", "how", "used_for")
PES_URL = "https://aws.amazon.com/message/101925/"


@dataclass(frozen=True)
class Source:
    """One bibliography entry."""

    key: str
    group: str
    authors: str
    title: str
    venue: str
    date: str
    url: str
    solidity: str
    how: str
    used_for: str

    @property
    def solidity_label(self) -> str:
        """Say in words how solid the source is (e.g. 'Primary text')."""
        return SOLIDITY[self.solidity]

    @property
    def anchor(self) -> str:
        """Return the fragment that opens this entry in docs/sources.md (the key itself)."""
        return self.key


def _sort_key(key: str) -> tuple[int, str]:
    m = re.fullmatch(r"S(\d+)([a-z]?)", key)
    return int(m.group(1)), m.group(2)


def parse(text: str) -> dict[str, Source]:
    """Parse and validate sources data in TOML *text*; return the entries by key, in key order.

    Raises ValueError naming the entry and the field for a missing or unknown field, a malformed or repeated
    key, an unknown group or solidity, or a URL that is not https.
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str of TOML, not {type(text).__name__}")
    rows = tomllib.loads(text).get("source", [])
    if not rows:
        raise ValueError("sources data has no [[source]] entries")
    out: dict[str, Source] = {}
    for i, row in enumerate(rows):
        where = f"source #{i + 1} ({row.get('key', '?')})"
        missing = [f for f in FIELDS if f not in row]
        unknown = sorted(set(row) - set(FIELDS))
        if missing or unknown:
            raise ValueError(f"{where}: missing fields {missing}, unknown fields {unknown}")
        if not all(isinstance(row[f], str) for f in FIELDS):
            raise ValueError(f"{where}: every field must be a string")
        if not re.fullmatch(KEY, row["key"]):
            raise ValueError(f"{where}: key must look like S1, S12 or S1e")
        if row["key"] in out:
            raise ValueError(f"{where}: key {row['key']} is listed twice")
        if row["group"] not in GROUPS:
            raise ValueError(f"{where}: group must be one of {sorted(GROUPS)}")
        if row["solidity"] not in SOLIDITY:
            raise ValueError(f"{where}: solidity must be one of {sorted(SOLIDITY)}")
        if row["url"] and not row["url"].startswith("https://"):
            raise ValueError(f"{where}: url must start with https:// (or be empty when none is known)")
        for f in ("title", "venue", "solidity", "how", "used_for"):
            if not row[f].strip():
                raise ValueError(f"{where}: {f} is empty")
        out[row["key"]] = Source(**{f: row[f] for f in FIELDS})
    return {k: out[k] for k in sorted(out, key=_sort_key)}


@cache
def load() -> dict[str, Source]:
    """Return every entry of the course's sources data, by key, in key order."""
    return parse(DATA.read_text(encoding="utf-8"))


def get(key: str) -> Source:
    """Return the entry for *key* (e.g. 'S1e'); KeyError names the key and the known ones."""
    entries = load()
    if key not in entries:
        raise KeyError(f"no source {key!r}; known keys: {', '.join(entries)}")
    return entries[key]


def cited_keys(text: str) -> list[str]:
    """Return every key cited in *text* as [S1e] or [S1e, S1f], in order of appearance (repeats kept)."""
    return [k.strip() for m in CITATION.finditer(text) for k in m.group(1).split(",")]


def _link_keys(text: str) -> str:
    """Turn the citations inside an entry's own text into links to the other entries on the same page."""
    return CITATION.sub(lambda m: "[" + ", ".join(f"[{k.strip()}](#{k.strip()})"
                                                  for k in m.group(1).split(",")) + "]", text)


def _link_urls(text: str) -> str:
    return re.sub(r"(?<![<(])(https://[^\s)]+?)(?=[.,;)]*(?:\s|$))", r"<\1>", text)


def render_markdown(entries: dict[str, Source] | None = None) -> str:
    """Return the text of docs/sources.md for *entries* (default: the course's data)."""
    entries = load() if entries is None else entries
    lines = [
        "# Sources",
        "",
        "<!-- Generated from course_lib/data/sources.toml by `python tools/make_sources.py`: edit the data, not"
        " this page. -->",
        "",
        "Every key the course cites, such as [S1e], has an entry here: who wrote it, where it appeared, where to "
        "open it, what the course takes from it, and how much weight it can carry. The labels for how solid a "
        "source is:",
        "",
        "- **Primary text**: the source itself, or a word-for-word copy of it. AWS's post-event summary (PES, "
        f"<{PES_URL}>) was read through such copies, [S1a] to [S1h]; each agrees with the others.",
        "- **Secondary summary**: someone else's summary, model or reading of a primary source.",
        "- **As reported by the Pragmatic Engineer**: what AWS engineers said, in Gergely Orosz's reporting "
        "[S2]. The course says *as reported* wherever it uses it.",
        "- **The course's interpretation**: the course's own reading (for example, calling EC2's recovery a "
        "metastable failure). The chapters label it where they make it.",
        "",
        "Where the record gives no number (fleet sizes, thresholds, timings inside AWS), the value in a model is "
        "a labelled *model choice*, not a fact from any source here.",
    ]
    lines = lines[:4] + [_link_keys(ln) for ln in lines[4:]]
    for group, heading in GROUPS.items():
        members = [s for s in entries.values() if s.group == group]
        if not members:
            continue
        lines += ["", f"## {heading}"]
        for s in members:
            who = f"{s.authors}. " if s.authors else ""
            when = f", {s.date}" if s.date else ""
            where = f" <{s.url}>" if s.url else " (no link recorded: look it up by its title)"
            lines += ["", f"### {s.key}", "",
                      f"{who}**{s.title}**. {s.venue}{when}.{where}", "",
                      f"- **How solid:** {s.solidity_label}. {_link_urls(_link_keys(s.how))}",
                      f"- **Used for:** {_link_urls(_link_keys(s.used_for))}"]
    return "\n".join(lines) + "\n"
