"""The run configuration: each option once, with a default, a check and a
help text; compare, benchmark and the CLI all follow it."""

import inspect

import pytest

from skimb import benchmark, compare
from skimb.cli import build_parser
from skimb.evaluation._options import (
    COMMANDS,
    RunConfig,
    option_defaults,
    run_options,
)

ALL = [f for f in RunConfig.__dataclass_fields__.values()]

# A value each option refuses, and the error it gets. A new option must add
# one here (test_every_option_has_a_bad_value).
BAD = {
    "target": (["label"], TypeError),
    "name": (3, TypeError),
    "methods": (["magic"], ValueError),
    "imbalance": ("zipf", ValueError),
    "majority_class": ([0], TypeError),
    "majority_keep": (1.5, ValueError),
    "minority_keep": (0, ValueError),
    "ratio": (1.0, ValueError),
    "positive_label": ({"a"}, TypeError),
    "cv": (1, ValueError),
    "seeds": ([-1], ValueError),
    "budget": ("data", ValueError),
    "max_epochs": (-1, ValueError),
    "batch_size": ("big", ValueError),
    "scaling": ("minmax", ValueError),
    "encoding": ("ordinal", ValueError),
    "recipes": (["dropout"], ValueError),
    "lr": (0, ValueError),
    "hidden_units": (2.5, TypeError),
    "net": ("resnet", ValueError),
    "device": ("tpu", ValueError),
    "test_size": (1.0, ValueError),
    "data_dir": (3, TypeError),
    "download": ("yes", TypeError),
    "reference": ("nope", ValueError),
    "n_jobs": (0, ValueError),
    "scheduler": (8786, TypeError),
    "dask": ("yes", TypeError),
    "output": (3, TypeError),
    "resume": ("yes", TypeError),
    "progress": ("yes", TypeError),
    "plots": (1, TypeError),
    "operating_point": ("top-k=3", ValueError),
    "recommend_for": ("accuracy", ValueError),
    "fit_many": ("no", TypeError),
}

FUNCTIONS = {"compare": compare, "benchmark": benchmark}


@pytest.mark.parametrize("option", ALL, ids=lambda f: f.name)
def test_every_option_has_a_default_a_check_and_a_help(option):
    meta = option.metadata
    assert callable(meta["check"])
    assert meta["help"].strip() and meta["kind"].strip()
    assert meta["defaults"] and set(meta["defaults"]) <= set(COMMANDS)
    for default in meta["defaults"].values():
        meta["check"](default, option.name)  # every default passes its check


def test_every_option_has_a_bad_value():
    assert set(BAD) == {f.name for f in ALL}


@pytest.mark.parametrize("name", BAD)
def test_a_bad_value_is_refused_naming_the_option(name):
    value, error = BAD[name]
    with pytest.raises(error, match=rf"^{name} must be .*; got "):
        RunConfig(**{name: value})


@pytest.mark.parametrize(
    "command, name",
    [(c, f.name) for c in COMMANDS for f in run_options(c)],
)
def test_the_functions_refuse_it_before_any_work(command, name, tmp_path):
    value, error = BAD[name]
    data = ["keel:ecoli1"] if command == "benchmark" else "digits"
    never = tmp_path / "never"
    kwargs = {"output": never, "progress": False, name: value}
    with pytest.raises(error, match=rf"^{name} must be"):
        FUNCTIONS[command](data, **kwargs)
    assert not never.exists()


@pytest.mark.parametrize("command", COMMANDS)
def test_the_signature_is_the_table(command):
    """compare and benchmark keep explicit keywords (for users and docs):
    the same names, order and defaults as the table."""
    params = inspect.signature(FUNCTIONS[command]).parameters.values()
    keywords = {p.name: p.default for p in params if p.kind is p.KEYWORD_ONLY}
    keywords.pop("suite", None)  # benchmark's data, not a run option
    assert keywords == option_defaults(command)
    assert list(keywords) == [f.name for f in run_options(command)]


@pytest.mark.parametrize("command", COMMANDS)
def test_the_cli_exposes_each_option_with_the_same_default(command):
    parser = build_parser()
    sub = parser._subparsers._group_actions[0].choices[command]
    flags = {s for action in sub._actions for s in action.option_strings}
    for f in run_options(command):
        assert "--" + f.name.replace("_", "-") in flags
    required = ["--suite", "imblearn"] if command == "benchmark" else []
    args = vars(parser.parse_args([command, *required]))
    parsed = {f.name: args[f.name] for f in run_options(command)}
    assert RunConfig(**parsed) == RunConfig(**option_defaults(command))


@pytest.mark.parametrize("command", COMMANDS)
def test_the_docstring_documents_each_option_with_its_help(command):
    doc = inspect.getdoc(FUNCTIONS[command])
    for f in run_options(command):
        assert f"\n{f.name} : {f.metadata['kind']}, default=" in doc
        assert f.metadata["help"].split()[0] in doc


def test_resume_needs_an_output_folder():
    with pytest.raises(ValueError, match="resume=True needs an output folder"):
        RunConfig(resume=True, output=None)


def test_a_retired_method_names_its_replacement():
    with pytest.raises(ValueError, match=r"'posthoc-la' is no longer .* 'baseline'"):
        RunConfig(methods=["baseline", "posthoc-la"])


def test_recommend_for_names_the_allowed_metrics():
    with pytest.raises(
        ValueError,
        match="recommend_for must be one of 'average_precision', 'roc_auc', "
        "'log_loss', 'balanced_accuracy'; got 'f1'",
    ):
        RunConfig(recommend_for="f1")


def test_the_budget_sets_the_nets_settings():
    auto, fixed = RunConfig().net_settings(), RunConfig(budget="fixed").net_settings()
    assert (auto["max_epochs"], auto["batch_size"], auto["early_stopping"]) == (
        100,
        "auto",
        True,
    )
    assert (fixed["max_epochs"], fixed["batch_size"], fixed["early_stopping"]) == (
        30,
        64,
        False,
    )
    given = RunConfig(budget="fixed", max_epochs=5, batch_size=128).net_settings()
    assert (given["max_epochs"], given["batch_size"]) == (5, 128)
    assert RunConfig(batch_size=32).net_settings()["batch_size"] == 32
    with pytest.raises(ValueError, match=r"batch_size must be None, 'auto' or an"):
        RunConfig(batch_size=0)
    with pytest.raises(TypeError, match=r"max_epochs must be None or an integer"):
        RunConfig(max_epochs=2.5)


@pytest.mark.parametrize(
    "budget, cap, epochs",
    [("auto", None, 30), ("auto", 60, 30), ("auto", 12, 12), ("fixed", None, 30)]
    + [("fixed", 60, 60), ("fixed", 12, 12)],
)
def test_a_net_that_cannot_stop_trains_the_fixed_epochs_under_the_cap(
    budget, cap, epochs
):
    assert RunConfig(budget=budget, max_epochs=cap).unstopped_epochs == epochs


def test_under_auto_the_cap_does_not_move_a_small_table_s_rows():
    """No fold of 300 rows keeps 20 minority validation rows: its nets train
    30 epochs, whatever cap above 30; under 'fixed' the epochs are the cap."""
    from sklearn.datasets import make_classification

    X, y = make_classification(300, n_features=5, weights=[0.9], random_state=0)
    kw = dict(methods=["baseline"], cv=2, hidden_units=8, output=None)
    kw |= dict(progress=False, device="cpu")
    at = {cap: compare(X, y, max_epochs=cap, **kw).rows for cap in (40, 100)}
    assert set(at[40]["epochs"]) == {30}
    columns = ["method", "rule", "fold", "balanced_accuracy", "log_loss"]
    assert at[40][columns].equals(at[100][columns])
    fixed = compare(X, y, max_epochs=40, budget="fixed", **kw).rows
    assert set(fixed["epochs"]) == {40}


def test_values_are_normalised():
    import numpy as np

    config = RunConfig(methods="smote", seeds=np.arange(2), cv=np.int64(3))
    assert config.methods == ("smote",)
    assert config.seeds == (0, 1) and all(type(s) is int for s in config.seeds)
    assert type(config.cv) is int
    assert RunConfig(n_jobs=-1).parallel and not RunConfig().parallel


def test_recipes_add_each_net_method_trained_with_them():
    from skimb.evaluation._options import RunConfig

    config = RunConfig(methods=["baseline", "focal", "hgb"], recipes=["smooth", "l2"])
    assert config.methods == (
        "baseline",
        "baseline+smooth",
        "baseline+l2",
        "focal",
        "focal+l2",  # focal loss takes no label smoothing
        "hgb",
    )
    # A method listed with a recipe already is not repeated.
    config = RunConfig(methods=["baseline", "baseline+smooth"], recipes="smooth")
    assert config.methods == ("baseline", "baseline+smooth")
    with pytest.raises(ValueError, match=r"recipes must be 'auto' or a sequence of"):
        RunConfig(recipes=["dropout"])
    with pytest.raises(ValueError, match=r"'smooth' applies to none of methods"):
        RunConfig(methods=["hgb", "focal"], recipes=["smooth"])
