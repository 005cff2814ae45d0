"""environment.yml (conda / Binder) must list the same dependencies and bounds as pyproject.toml."""

from __future__ import annotations

import re
import tomllib

import yaml
from conftest import ROOT
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

CONDA_TO_PYPI = {"matplotlib-base": "matplotlib"}


def _conda_specs():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    specs = {}
    for dep in env["dependencies"]:
        if isinstance(dep, dict):
            continue
        name, spec = re.match(r"^([A-Za-z0-9_.\-]+)\s*(.*)$", dep).groups()
        specs[canonicalize_name(CONDA_TO_PYPI.get(name, name))] = spec.replace(" ", "")
    return env, specs


def _pyproject_requirements():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = [r for group in project.get("optional-dependencies", {}).values() for r in group]
    return project, [Requirement(r) for r in project["dependencies"] + extras]


def test_channels_and_python():
    """The environment uses conda-forge and the Python version pyproject allows."""
    env, specs = _conda_specs()
    project, _ = _pyproject_requirements()
    assert env["channels"] == ["conda-forge"]
    assert specs["python"].lstrip("=") == project["requires-python"].lstrip(">=")


def test_every_pyproject_dependency_is_in_the_environment_with_the_same_bounds():
    """Each runtime and dev dependency appears in environment.yml with identical bounds."""
    _, specs = _conda_specs()
    for req in _pyproject_requirements()[1]:
        name = canonicalize_name(req.name)
        assert name in specs, f"{name} missing from environment.yml"
        assert sorted(specs[name].split(",")) == sorted(str(req.specifier).split(",")), (
            f"{name}: environment.yml {specs[name]!r} vs pyproject {str(req.specifier)!r}")


def test_environment_installs_the_course_library():
    """The pip section installs this checkout, so `course_lib` imports on Binder."""
    env, _ = _conda_specs()
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert "-e ." in pip
