"""skimb.datasets._registry: the suites, built on first use, and name resolution."""

import pytest

from skimb.datasets import PREFIXES, SUITES
from skimb.datasets._registry import _Suites, resolve


def _never():
    raise AssertionError("the list was built")


def test_suites_know_their_keys_without_building_a_list():
    suites = _Suites({"a": _never, "b": lambda: ["x:1"]})

    assert "a" in suites and "c" not in suites
    assert list(suites) == ["a", "b"] and len(suites) == 2
    assert suites["b"] == ["x:1"]
    with pytest.raises(KeyError):
        suites["c"]


def test_suites_build_each_list_once():
    calls = []
    suites = _Suites({"a": lambda: calls.append(1) or ["x:1"]})

    assert suites["a"] is suites["a"]
    assert calls == [1]


def test_suites_can_be_patched_like_a_dict(monkeypatch):
    suites = _Suites({"a": lambda: ["x:1"]})
    monkeypatch.setitem(suites, "a", ["x:2"])
    monkeypatch.setitem(suites, "new", ["x:3"])

    assert dict(suites) == {"a": ["x:2"], "new": ["x:3"]}
    monkeypatch.undo()
    assert dict(suites) == {"a": ["x:1"]}


def test_suites_is_the_public_mapping():
    assert list(SUITES) == ["keel-binary", "keel-multiclass", "imblearn"]
    assert PREFIXES == ("keel", "imblearn", "openml")


@pytest.mark.parametrize(
    "name, expected",
    [
        ("keel:Yeast4", ("keel", "yeast4")),
        ("KEEL:page-blocks", ("keel", "page_blocks")),
        ("imblearn:ozone_level", ("imblearn", "ozone_level")),
        ("openml: Credit-G ", ("openml", "credit-g")),
        ("openml:31", ("openml", "31")),
    ],
)
def test_resolve_gives_the_canonical_key(name, expected):
    assert resolve(name) == expected
