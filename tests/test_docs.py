"""The API reference covers the public API.

``docs/api.rst`` lists the packages whose pages Sphinx generates from their
``__all__``, and names the top-level re-exports by hand; a public name added
to either must reach it. ``make docs`` builds the pages themselves.
"""

import importlib
import re
from pathlib import Path

import skimb

API = Path(__file__).resolve().parent.parent / "docs" / "api.rst"


def _documented_packages():
    text = API.read_text(encoding="utf-8")
    return re.findall(r"^   (skimb\.\w+)$", text, flags=re.M)


def test_every_public_package_has_a_page():
    packages = {
        f"skimb.{path.name}"
        for path in Path(skimb.__file__).parent.iterdir()
        if path.is_dir() and (path / "__init__.py").exists()
        if not path.name.startswith("_")
    } | {"skimb.plotting"}
    assert packages == set(_documented_packages())


def test_every_top_level_name_is_documented_in_its_package():
    text = API.read_text(encoding="utf-8")
    packages = [importlib.import_module(p) for p in _documented_packages()]
    for name in skimb.__all__:
        obj = getattr(skimb, name)
        documented = any(
            obj is package
            or (name in package.__all__ and getattr(package, name) is obj)
            for package in packages
        )
        assert documented, f"skimb.{name} is in no documented package's __all__"
        # The top-level list of api.rst names it (skimb.<package>.<name>, or
        # the package itself).
        assert re.search(rf"skimb\.(\w+\.)?{name}\b", text), name
