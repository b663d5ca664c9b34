"""Fixtures of the evaluation tests: the digits split and a failing method."""

import pytest
from sklearn.linear_model import LogisticRegression

from skimb.datasets import load_dataset
from skimb.evaluation import METHODS, Method


@pytest.fixture(scope="session")
def split():
    """The built-in digits data, split as ``compare('digits')`` splits it."""
    return load_dataset("digits", random_state=0)


class _Failing(LogisticRegression):
    """A reference-like method whose fit raises what the test asks."""

    error = RuntimeError("deliberate failure")
    failures = None  # None: always; an int: the first that many fits

    def fit(self, X, y):
        cls = type(self)
        if cls.failures is None or cls.failures > 0:
            if cls.failures is not None:
                cls.failures -= 1
            raise cls.error
        return super().fit(X, y)


@pytest.fixture
def failing_method(monkeypatch):
    """``failing_method(name, error, failures=None)`` adds a method to METHODS
    whose fit raises ``error`` (always, or the first ``failures`` times)."""

    def add(name, error, failures=None):
        cls = type("Failing", (_Failing,), {"error": error, "failures": failures})
        monkeypatch.setitem(METHODS, name, Method(cls(), is_net=False))

    return add


@pytest.fixture
def stop_on_any_split(monkeypatch):
    """Early stopping on every validation part that keeps each class, however
    small (the comparison needs 20 rows a class): for tests of the mechanics on
    small data."""
    import skimb.evaluation._plan as plan

    monkeypatch.setattr(plan, "MIN_STOPPING_ROWS", 1)
