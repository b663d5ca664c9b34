"""Public docstrings document exactly their signature's parameters (numpydoc)."""

import inspect

import pytest
from _instances import public_estimators
from numpydoc.docscrape import NumpyDocString

import skimb

ESTIMATORS = [cls.__name__ for cls in public_estimators()]
METHODS = ["fit", "partial_fit", "predict", "predict_proba"]

# Warning classes take a message, as every Warning does: no Parameters.
PUBLIC = [
    name
    for name in skimb.__all__
    if inspect.isfunction(getattr(skimb, name))
    or (
        inspect.isclass(getattr(skimb, name))
        and not issubclass(getattr(skimb, name), Warning)
    )
]


def _signature_names(obj):
    """Parameter names in signature order, ``*args``/``**kwargs`` starred."""
    names = []
    for param in inspect.signature(obj).parameters.values():
        if param.name == "self":
            continue
        stars = {param.VAR_POSITIONAL: "*", param.VAR_KEYWORD: "**"}
        names.append(stars.get(param.kind, "") + param.name)
    return names


def _docstring(obj):
    doc = inspect.getdoc(obj)
    assert doc, f"{obj.__qualname__} has no docstring"
    return NumpyDocString(doc)


def _documented_names(doc):
    """Names in the Parameters section; ``a, b : type`` documents both."""
    return [
        name.strip() for param in doc["Parameters"] for name in param.name.split(",")
    ]


def _check_parameters(obj):
    doc = _docstring(obj)
    assert _documented_names(doc) == _signature_names(obj)
    return doc


def test_the_public_names_are_checked():
    # a new public class or function joins the checks below by itself; this
    # guards against the filter silently dropping them all
    assert {"NetClassifier", "SimpleNet", "compare", "load", "save"} <= set(PUBLIC)
    assert "datasets" not in PUBLIC  # a module: its functions are not re-exported


@pytest.mark.parametrize("name", PUBLIC)
def test_public_parameters_documented_in_order(name):
    _check_parameters(getattr(skimb, name))


@pytest.mark.parametrize(
    "name", [n for n in PUBLIC if inspect.isfunction(getattr(skimb, n))]
)
def test_public_functions_document_what_they_return(name):
    assert _docstring(getattr(skimb, name))["Returns"]


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("estimator", ESTIMATORS)
def test_estimator_methods_documented(estimator, method):
    doc = _check_parameters(getattr(getattr(skimb, estimator), method))
    assert doc["Returns"], f"{estimator}.{method} documents no Returns"


def test_documented_names_are_parsed_as_expected():
    """The checker itself: a reordered, a missing and an extra name all fail."""

    def f(a, b=1, *args, c, **kwargs):
        """Summary.

        Parameters
        ----------
        a, b : int
            Numbers.
        *args
            More.
        c : int
            Keyword-only.
        **kwargs
            Passed on.
        """

    assert _documented_names(_docstring(f)) == _signature_names(f)

    def g(a, b):
        """Summary.

        Parameters
        ----------
        b : int
        a : int
        c : int
        """

    assert _documented_names(_docstring(g)) == ["b", "a", "c"]
    with pytest.raises(AssertionError):
        _check_parameters(g)
