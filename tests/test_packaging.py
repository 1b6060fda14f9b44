"""The wheel ships every package folder: pyproject's explicit `packages` list names each one."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _listed() -> set[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return set(config["tool"]["setuptools"]["packages"])


def test_every_python_package_folder_is_listed() -> None:
    folders = {
        ".".join(p.parent.relative_to(ROOT).parts)
        for p in (ROOT / "surveykit").rglob("__init__.py")
        if "__pycache__" not in p.parts
    }
    missing = sorted(folders - _listed())
    assert not missing, f"add to [tool.setuptools] packages in pyproject.toml: {missing}"


def test_listed_packages_exist() -> None:
    mapped = {"surveykit.instruments": ROOT / "instruments", "surveykit.reports": ROOT / "reports"}
    for name in _listed():
        head = next((m for m in mapped if name == m or name.startswith(m + ".")), None)
        rest = name.split(".")[len(head.split(".")) :] if head else name.split(".")
        folder = mapped[head].joinpath(*rest) if head else ROOT.joinpath(*rest)
        assert folder.is_dir(), f"pyproject lists {name}, but {folder.relative_to(ROOT)} is not a folder"
