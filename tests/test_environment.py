"""One source of truth for dependencies: pyproject.toml declares them, requirements/*.txt lock them, environment.yml
(Binder / conda) installs the runtime lock, and every third-party import in the code is declared."""

from __future__ import annotations

import ast
import re
import sys
import tomllib

import yaml
from conftest import ROOT
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

LOCKS = {"lab": ROOT / "requirements" / "lab.txt", "test": ROOT / "requirements" / "test.txt"}
# import name -> distribution name, where they differ
IMPORT_TO_DIST = {"PIL": "pillow", "yaml": "pyyaml", "IPython": "ipython", "jupyter_client": "jupyter-client",
                  "sphinx": "sphinx", "myst_nb": "myst-nb"}
TEST_ONLY = {"pytest", "nbval", "playwright", "ruff", "voila", "simpy", "sphinx", "myst-nb", "sphinx-book-theme"}


def _project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def _requirements(extra: str | None = None) -> list[Requirement]:
    project = _project()
    reqs = list(project["dependencies"]) + (project["optional-dependencies"][extra] if extra else [])
    return [Requirement(r) for r in reqs]


def _pins(path) -> dict[str, str]:
    """Return {distribution: version} pinned in a lock file; every pin must carry at least one hash."""
    text = path.read_text(encoding="utf-8")
    pins = {}
    for block in re.split(r"\n(?=[A-Za-z0-9])", text):
        m = re.match(r"([A-Za-z0-9_.\-]+)==([^\s;\\]+)", block)
        if m:
            assert "--hash=sha256:" in block, f"{path.name}: {m.group(1)} has no hash"
            pins[canonicalize_name(m.group(1))] = m.group(2)
    return pins


def test_locks_pin_every_declared_dependency_within_its_bounds():
    """Each lock pins every direct dependency of its set at a version pyproject.toml allows."""
    for name, extra in (("lab", None), ("test", "test")):
        pins = _pins(LOCKS[name])
        for req in _requirements(extra):
            dist = canonicalize_name(req.name)
            assert dist in pins, f"requirements/{name}.txt does not pin {dist}: run make lock"
            assert req.specifier.contains(pins[dist], prereleases=True), (
                f"requirements/{name}.txt pins {dist}=={pins[dist]}, pyproject wants {req.specifier}: run make lock")


def test_runtime_lock_has_no_test_toolchain_and_locks_agree():
    """make lab installs only the runtime; packages in both locks are pinned at the same version."""
    lab, test = _pins(LOCKS["lab"]), _pins(LOCKS["test"])
    assert not TEST_ONLY & set(lab), f"test-only packages in the runtime lock: {TEST_ONLY & set(lab)}"
    assert set(lab) <= set(test)
    assert {d: (v, test[d]) for d, v in lab.items() if test[d] != v} == {}


def test_locks_come_from_pypi_and_name_their_refresh_command():
    """The locks were compiled from PyPI only (no other index, no local paths) by `make lock`."""
    for path in LOCKS.values():
        text = path.read_text(encoding="utf-8")
        assert "#    make lock" in text
        assert not re.search(r"^\s*(-i|--index-url|--extra-index-url|-f|--find-links)\b", text, re.M)
        assert "file://" not in text and "/opt/" not in text
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "--index-url https://pypi.org/simple" in makefile and "--generate-hashes" in makefile


def test_environment_yml_installs_the_runtime_lock():
    """Binder / conda: Python as pyproject requires, pip, and the runtime lock; postBuild adds the library."""
    env = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    assert env["channels"] == ["conda-forge"]
    plain = [d for d in env["dependencies"] if isinstance(d, str)]
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    python = next(d for d in plain if d.startswith("python"))
    assert python.split("=", 1)[1] == _project()["requires-python"].lstrip(">=")
    assert sorted(plain) == sorted([python, "pip"]), "conda packages would be a second source of truth"
    assert pip == ["-r requirements/lab.txt"]
    post = (ROOT / "postBuild").read_text(encoding="utf-8")
    assert "pip install --no-deps -e ." in post


def test_makefile_installs_from_the_locks():
    """make lab installs requirements/lab.txt with hashes; make test adds requirements/test.txt."""
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    lab = makefile.split("$(LAB_STAMP):", 1)[1].split("\n\n", 1)[0]
    test = makefile.split("$(TEST_STAMP):", 1)[1].split("\n\n", 1)[0]
    assert "--require-hashes -r requirements/lab.txt" in lab and "requirements/test.txt" not in lab
    assert "--require-hashes -r requirements/test.txt" in test
    assert re.search(r"^lab: \$\(LAB_STAMP\)", makefile, re.M) and re.search(r"^test: \$\(TEST_STAMP\)",
                                                                               makefile, re.M)


def _imports(folder: str) -> set[str]:
    names = set()
    for path in (ROOT / folder).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
    return names


def _third_party(names: set[str]) -> set[str]:
    # The repository's own modules: the library, and every script or test module a folder imports by name
    # (pytest puts tests/ on the path, so one test file may import another's shared constants).
    local = {"course_lib"} | {p.stem for folder in ("tests", "tools", "benchmarks", "docs/site")
                              for p in (ROOT / folder).glob("*.py")}
    return {n for n in names if n not in sys.stdlib_module_names and n not in local}


def test_every_direct_import_is_declared():
    """course_lib's imports are runtime dependencies; tools', tests' and benchmarks' are runtime or test ones."""
    runtime = {canonicalize_name(r.name) for r in _requirements()}
    everything = runtime | {canonicalize_name(r.name) for r in _requirements("test")}

    def dist(name: str) -> str:
        return canonicalize_name(IMPORT_TO_DIST.get(name, name))

    missing_runtime = sorted(n for n in _third_party(_imports("course_lib")) if dist(n) not in runtime)
    assert missing_runtime == [], f"course_lib imports undeclared runtime packages: {missing_runtime}"
    other = set().union(*(_imports(f) for f in ("tools", "tests", "benchmarks", "docs/site")))
    missing = sorted(n for n in _third_party(other) if dist(n) not in everything)
    assert missing == [], f"imported but not declared in pyproject.toml: {missing}"


def test_lab_opens_markdown_rendered_so_citation_links_land_on_their_entry():
    """make lab, the plain-pip path and Binder install the Lab override that opens .md files as a preview."""
    import json

    overrides = json.loads((ROOT / "tools" / "lab_overrides.json").read_text(encoding="utf-8"))
    viewers = overrides["@jupyterlab/docmanager-extension:plugin"]["defaultViewers"]
    assert viewers == {"markdown": "Markdown Preview"}
    for name in ("Makefile", "postBuild", "README.md"):
        assert "tools/lab_overrides.json" in (ROOT / name).read_text(encoding="utf-8"), name
