"""The options of a run, each defined once: name, default, check and help.

:class:`RunConfig` is the table. :func:`skimb.compare` and
:func:`skimb.benchmark` validate their keyword arguments with it (and take
their Parameters text from it), and the ``skimb`` command adds one flag per
option by iterating over it, so the function, the validation and the CLI
cannot drift apart. The checks are those of :mod:`skimb._utils.validation`
where it has them, so that an option's error reads as an estimator's.
"""

import inspect
import numbers
import os
from dataclasses import MISSING, dataclass, field, fields

import joblib
import torch

from .._utils.device import resolve_device
from .._utils.validation import Boolean, InstanceOf, check_number, check_param, one_of
from ..datasets._imbalance import IMBALANCE_RECIPES, check_imbalance_options
from ..estimators import BUDGET
from ..metrics._operating_point import OPERATING_POINT_FORMS, check_operating_point
from ..metrics._registry import recommendable_metrics
from ..nn import SimpleNet, SmallCNN
from ._methods import DEFAULT_METHODS, METHODS, RECIPES, REPLACED
from ._preprocessing import ENCODINGS, MAX_CATEGORIES, SCALINGS

__all__ = [
    "CAP_EPOCHS",
    "COMMANDS",
    "RunConfig",
    "option_defaults",
    "options_doc",
    "run_options",
]

#: The functions (and ``skimb`` sub-commands) that take run options.
COMMANDS = ("compare", "benchmark")

_BOTH = frozenset(COMMANDS)
_COMPARE = frozenset({"compare"})
_BENCHMARK = frozenset({"benchmark"})


def _option(
    default, kind, help, check, *, commands=_BOTH, benchmark=MISSING, shown=None, **cli
):
    """A :class:`RunConfig` field.

    ``kind`` is the numpydoc type, ``help`` the text of both the docstring
    and ``--help``, ``check(value, name)`` returns the normalised value or
    raises; ``benchmark`` overrides the default for :func:`skimb.benchmark`;
    ``shown`` is the default as the docstring writes it (its repr if None).
    ``cli`` holds what the flag needs beyond the defaults (``parse``: the
    argparse ``type``; ``off``: one more flag that turns a boolean off).
    """
    defaults = {c: default for c in commands}
    if benchmark is not MISSING:
        defaults["benchmark"] = benchmark
    metadata = dict(
        kind=kind, help=help, check=check, defaults=defaults, shown=shown, cli=cli
    )
    return field(default=default, metadata=metadata)


# ---- the checks --------------------------------------------------------------
# Each ``check(value, name)`` returns the normalised value or raises a
# TypeError or ValueError naming the option, the allowed values and what was
# received.


def _number(target_type=numbers.Real, **bounds):
    return lambda value, name: check_number(value, name, target_type, **bounds)


def _optional_integer(min_val):
    allowed = f"None or an integer >= {min_val}"
    check = _number(numbers.Integral, min_val=min_val, allowed=allowed)
    return lambda value, name: None if value is None else check(value, name)


def _batch_size(value, name):
    if value is None or (isinstance(value, str) and value == "auto"):
        return value
    allowed = "None, 'auto' or an integer >= 1"
    if isinstance(value, str):
        raise ValueError(f"{name} must be {allowed}; got {value!r}.")
    return check_number(value, name, numbers.Integral, min_val=1, allowed=allowed)


def _recipe_number(value, name):
    # The ranges belong to make_imbalanced: ask it, the other numbers valid.
    valid = dict(majority_keep=1.0, minority_keep=1.0, ratio=2.0)
    check_imbalance_options("none", majority_class=None, **{**valid, name: value})
    return value


def _instance(types, words):
    return lambda value, name: check_param(name, value, [InstanceOf(types, words)])


#: The nets ``net`` names; any torch module class or instance goes too.
NETS = {"simple": SimpleNet, "cnn": SmallCNN}


def _net(value, name):
    if isinstance(value, torch.nn.Module) or (
        isinstance(value, type) and issubclass(value, torch.nn.Module)
    ):
        return value
    if isinstance(value, str) and value in NETS:
        return value
    allowed = ", ".join(repr(n) for n in NETS)
    kind = TypeError if not isinstance(value, str) else ValueError
    raise kind(
        f"{name} must be one of {allowed}, or a torch module class or instance; "
        f"got {value!r}."
    )


def net_record(settings):
    """Net settings as the results record them: the module by its name."""
    module = settings["module"]
    name = (
        module.__name__ if isinstance(module, type) else f"{type(module).__name__}(...)"
    )
    return {**settings, "module": name}


def _flag(value, name):
    return bool(check_param(name, value, [Boolean()]))


_optional_text = _instance((str, type(None)), "a str or None")
_optional_path = _instance((str, os.PathLike, type(None)), "a str, a path or None")
# A class label or column name: one value, not a list of them.
_label = _instance((str, numbers.Number, type(None)), "a single label (str or int)")


def _one_of(allowed_values, *, optional=False):
    def check(value, name):
        if (value is None and optional) or (
            isinstance(value, str) and value in allowed_values
        ):
            return value
        allowed = one_of(allowed_values) + (" or None" * optional)
        raise ValueError(f"{name} must be {allowed}; got {value!r}.")

    return check


def _methods(value, name):
    try:
        names = [value] if isinstance(value, str) else list(value)
    except TypeError:
        raise TypeError(
            f"{name} must be a non-empty subset of {list(METHODS)}; got {value!r}."
        ) from None
    replaced = [m for m in names if m in REPLACED]
    if replaced:
        raise ValueError(
            f"{name}: {replaced[0]!r} is no longer a method of its own; use "
            f"{REPLACED[replaced[0]]}."
        )
    unknown = [m for m in names if m not in METHODS]
    if unknown or not names:
        raise ValueError(
            f"{name} must be a non-empty subset of {list(METHODS)}, a net "
            f"method followed by +{' or +'.join(RECIPES)} (a training recipe; "
            "+smooth needs a cross-entropy loss); got "
            f"{names!r}" + (f" (unknown: {unknown})." if unknown else ".")
        )
    if len(set(names)) < len(names):
        raise ValueError(f"{name} must not repeat a method; got {names!r}.")
    return tuple(names)


def _recipes(value, name):
    if (isinstance(value, str) and value == "auto") or (
        isinstance(value, list) and value == ["auto"]  # --recipes auto
    ):
        return "auto"
    names = [value] if isinstance(value, str) else value
    try:
        names = list(names)
    except TypeError:
        names = None
    if names is None or any(r not in RECIPES for r in names):
        raise ValueError(
            f"{name} must be 'auto' or a sequence of names from {list(RECIPES)}; "
            f"got {value!r}."
        )
    return tuple(dict.fromkeys(names))


def _with_recipes(methods, recipes):
    """``methods`` with, after each net method, that method trained with
    each recipe that applies to it (and is not listed yet)."""
    out = []
    for method in methods:
        out.append(method)
        if "+" in method:
            continue
        out += [
            f"{method}+{r}"
            for r in recipes
            if f"{method}+{r}" in METHODS and f"{method}+{r}" not in methods
        ]
    unused = [r for r in recipes if not any(m.endswith(f"+{r}") for m in out)]
    if unused:
        raise ValueError(
            f"recipes: {unused[0]!r} applies to none of methods {list(methods)} "
            "(recipes train nets; +smooth needs a cross-entropy loss)."
        )
    return tuple(out)


def _seeds(value, name):
    try:
        seeds = list(value)
    except TypeError:
        seeds = None
    if not seeds or any(
        isinstance(s, bool) or not isinstance(s, numbers.Integral) or s < 0
        for s in seeds
    ):
        raise ValueError(f"{name} must be non-negative integers; got {value!r}.")
    return tuple(int(s) for s in seeds)


def _n_jobs(value, name):
    if isinstance(value, str) and value == "auto":
        return value
    if value == -1 and not isinstance(value, bool):
        return -1
    return check_number(
        value, name, numbers.Integral, min_val=1, allowed="'auto', -1 or an int >= 1"
    )


_FRACTION = _number(
    min_val=0,
    max_val=1,
    include_boundaries="neither",
    allowed="a float in the open interval (0, 1)",
)


def _recommendable(value, name):
    # Read at each call: a metric added to the table is a choice at once.
    return _one_of([m.name for m in recommendable_metrics()])(value, name)


def _device(value, name):
    allowed = "'auto', 'cpu', 'cuda', 'cuda:<index>', 'mps' or a torch.device"
    if not isinstance(value, (str, torch.device)):
        raise TypeError(f"{name} must be {allowed}; got {value!r}.")
    try:
        torch.device(resolve_device(value))
    except RuntimeError:
        raise ValueError(f"{name} must be {allowed}; got {value!r}.") from None
    # Whether the device exists is the estimator's check: a remote Dask
    # worker may have the GPU this process lacks.
    return value


# ---- the table ---------------------------------------------------------------
#: max_epochs=None under budget='auto': a cap for early stopping. The fixed
#: budget (budget='fixed') is the estimators' own: BUDGET's epochs and batch.
CAP_EPOCHS = 100
#: The width of every net's hidden layer unless given: SimpleNet's own.
HIDDEN_UNITS = inspect.signature(SimpleNet).parameters["hidden_units"].default


@dataclass(frozen=True)
class RunConfig:
    """The validated options of one :func:`skimb.compare` or
    :func:`skimb.benchmark` call.

    Each field is one option; its metadata hold the numpydoc type
    (``kind``), the help text, the check and the commands that take it.
    Building a config checks every value (``TypeError`` or ``ValueError``
    naming the option, the allowed values and what was received) and keeps
    the normalised one (``seeds`` as a tuple of ints, say).

    Examples
    --------
    >>> RunConfig(cv=3).cv
    3
    >>> RunConfig(cv=1)
    Traceback (most recent call last):
    ...
    ValueError: cv must be an integer >= 2; got 1.
    """

    target: object = _option(
        None,
        "str or None",
        "The label column of a table file or DataFrame; labels may be strings.",
        _label,
        commands=_COMPARE,
    )
    name: object = _option(
        None,
        "str or None",
        "The data set's name in the results (default: the built-in name, the "
        "file's stem, or 'data').",
        _optional_text,
        commands=_COMPARE,
    )
    methods: tuple = _option(
        DEFAULT_METHODS,
        "sequence of str",
        "Names from skimb.evaluation.METHODS (comma-separated on the command "
        f"line): {', '.join(METHODS)}. A net method followed by +recipe trains "
        "its net with a recipe of skimb.evaluation.RECIPES, and its rows carry "
        "that name: "
        + "; ".join(f"+{k}: {r.description}" for k, r in RECIPES.items())
        + ".",
        _methods,
        shown="DEFAULT_METHODS",
        parse="names",
    )
    recipes: object = _option(
        "auto",
        "'auto' or sequence of str",
        "Training recipes of skimb.evaluation.RECIPES to try on every net "
        "method of methods that takes them, as extra rows named "
        "method+recipe (comma-separated on the command line): "
        + ", ".join(RECIPES)
        + ". 'auto' asks the data: l2 for sparse input (a bag of words, "
        "where a net without it overfits the few positives), none otherwise.",
        _recipes,
        parse="names",
    )
    imbalance: object = _option(
        None,
        "{'none', 'seed', 'step', 'longtail'} or None",
        "Recipe applied to the training part (the test part stays untouched). "
        "None means 'seed' for built-in data (class 0 keeps 90%, the others "
        "10%) and 'none' for a user's data, which is imbalanced already.",
        _one_of(IMBALANCE_RECIPES, optional=True),
        commands=_COMPARE,
    )
    majority_class: object = _option(
        None,
        "label or None",
        "The class the 'seed' recipe keeps mostly; None means 0 for built-in "
        "data and the most frequent class for a user's data.",
        _label,
        commands=_COMPARE,
        parse="label",
    )
    majority_keep: float = _option(
        0.9,
        "float",
        "The fraction of the majority class the 'seed' recipe keeps.",
        _recipe_number,
        commands=_COMPARE,
    )
    minority_keep: float = _option(
        0.1,
        "float",
        "The fraction of every other class the 'seed' recipe keeps.",
        _recipe_number,
        commands=_COMPARE,
    )
    ratio: float = _option(
        10.0,
        "float",
        "The imbalance ratio of the 'step' and 'longtail' recipes.",
        _recipe_number,
        commands=_COMPARE,
    )
    positive_label: object = _option(
        None,
        "label or None",
        "The positive class of a binary problem, for average precision, "
        "ROC-AUC and the Brier score; None means the minority class.",
        _label,
        commands=_COMPARE,
        parse="label",
    )
    cv: int = _option(
        5,
        "int",
        "Stratified folds on the (imbalanced) training part.",
        _number(numbers.Integral, min_val=2),
    )
    seeds: tuple = _option(
        (0,),
        "sequence of int",
        "Each seed repeats everything (imbalance draw, folds, nets, "
        "resamplers); comma-separated on the command line.",
        _seeds,
        parse="ints",
    )
    budget: str = _option(
        "auto",
        "{'auto', 'fixed'}",
        "The nets' training budget. 'auto' is the data's: batch_size='auto' "
        f"({BUDGET.batch_size} on small tables, growing with the rows, the "
        "learning rate scaled with it) and early stopping on a stratified "
        "validation part cut from each fold's training rows before any "
        "resampling, so max_epochs is only a cap. 'fixed' is the tutorial's budget of "
        f"earlier versions: batch {BUDGET.batch_size}, {BUDGET.max_epochs} epochs, "
        "no early stopping.",
        _one_of(["auto", "fixed"]),
    )
    max_epochs: object = _option(
        None,
        "int or None",
        f"Epochs of every net; under budget='auto' the most a net may train. "
        f"None means {CAP_EPOCHS} under 'auto' (a cap high enough that "
        "early stopping, not the cap, ends nearly every fit, so the verdict "
        "does not hang on it, and a bound on a fit that never stalls) and "
        f"{BUDGET.max_epochs} under 'fixed'. Under 'auto' a fold with too few "
        f"rows to stop on trains {BUDGET.max_epochs} epochs (or the cap, if "
        "lower) whatever the cap: use budget='fixed' to train such nets "
        "longer.",
        _optional_integer(0),
        parse="int",
    )
    batch_size: object = _option(
        None,
        "int, 'auto' or None",
        "Mini-batch size of every net; None means 'auto' under budget='auto' "
        f"and {BUDGET.batch_size} under 'fixed'.",
        _batch_size,
        parse="batch",
    )
    scaling: str = _option(
        "smooth-clip",
        "{'smooth-clip', 'standard', 'quantile'}",
        "How a table's numeric columns are scaled for every method but "
        "gradient boosting, after median imputation with missing-value "
        "indicators: robust scaling with smooth clipping "
        "(skimb.SmoothClipScaler), standard scaling, or a normal-output "
        "quantile transform.",
        _one_of(SCALINGS),
    )
    encoding: str = _option(
        "target",
        "{'target', 'one-hot'}",
        f"How a table's categorical column of more than {MAX_CATEGORIES} "
        "levels is encoded for every method but gradient boosting: "
        "scikit-learn's TargetEncoder (each level as its shrunk, cross-fitted "
        "mean of the labels), scaled as the numeric columns, or one-hot on "
        f"its {MAX_CATEGORIES} most frequent levels (the rest one column). "
        "Columns with fewer levels are one-hot encoded either way.",
        _one_of(ENCODINGS),
    )
    lr: float = _option(
        BUDGET.lr,
        "float",
        "Learning rate of every net.",
        _number(min_val=0, include_boundaries="neither"),
    )
    hidden_units: int = _option(
        HIDDEN_UNITS,
        "int",
        "Width of every net's hidden layer (of the 'simple' net).",
        _number(numbers.Integral, min_val=1),
    )
    net: object = _option(
        "simple",
        "{'simple', 'cnn'}, torch module class or instance",
        "The net every net method trains: 'simple' (SimpleNet, the seed's "
        "perceptron), 'cnn' (SmallCNN, on images: the data's image shape, or "
        "a square of flat pixels), or a module of your own (a class is sized "
        "at fit where it takes n_features, n_classes or input_shape).",
        _net,
    )
    device: object = _option(
        "auto",
        "str or torch.device",
        "Where the nets train: 'auto' (CUDA when present), 'cpu', 'cuda', ...",
        _device,
    )
    test_size: float = _option(
        0.25, "float", "The held-out part of each data set.", _FRACTION
    )
    data_dir: object = _option(
        None,
        "str, path or None",
        "The folder holding MNIST/raw or FashionMNIST/raw.",
        _optional_path,
        commands=_COMPARE,
    )
    download: bool = _option(
        False,
        "bool",
        "Let torchvision download MNIST-style data (online only).",
        _flag,
        commands=_COMPARE,
    )
    reference: str = _option(
        "baseline",
        "str",
        "The method every other one is counted wins, ties and losses against.",
        _one_of(METHODS),
        commands=_BENCHMARK,
    )
    n_jobs: object = _option(
        "auto",
        "int or 'auto'",
        "Tasks in parallel through joblib: a comparison's nets (a share "
        "per worker, each share in one loop) and other methods' folds, a "
        "benchmark's data sets (each then runs serially, its nets in one "
        "loop). 'auto' (a comparison's default) uses every core as a worker "
        "when the nets' estimated training work pays for starting the "
        "workers, on a CPU, as many as a quarter of the available memory "
        "holds (each worker's runtime and its copy of the data), and one "
        "process whose torch threads share the cores otherwise "
        "(skimb.evaluation.auto_workers).",
        _n_jobs,
        benchmark=1,
        shown="'auto' (compare), 1 (benchmark)",
        parse="jobs",
    )
    scheduler: object = _option(
        None,
        "str or None",
        "Address of a Dask distributed scheduler; tasks go there through "
        "joblib's 'dask' backend.",
        _optional_text,
    )
    dask: bool = _option(
        False,
        "bool",
        "Start a local Dask cluster (n_jobs workers) for the run.",
        _flag,
    )
    output: object = _option(
        "skimb-results",
        "str, path or None",
        "Folder for the results, rewritten atomically as the run goes: "
        "results.csv, summary.csv, results.json and the plots (a benchmark: "
        "those of each data set in OUTPUT/<data set>/, ranks.csv and "
        "benchmark.json in OUTPUT); None writes nothing.",
        _optional_path,
        benchmark="skimb-benchmark",
    )
    resume: bool = _option(
        False,
        "bool",
        "Keep the results already in output (for the same data set, class "
        "counts and settings) and run only the rest.",
        _flag,
    )
    progress: bool = _option(True, "bool", "Show a progress bar.", _flag, off="--quiet")
    plots: bool = _option(
        True,
        "bool",
        "Write the PNG plots into output (a benchmark: each data set's).",
        _flag,
        benchmark=False,
    )
    operating_point: object = _option(
        None,
        "str, OperatingPoint, array-like or None",
        "Where decisions are taken and scored: "
        + OPERATING_POINT_FORMS
        + ". None means 'f1' for a binary problem and 'balanced' for a "
        "multiclass one. A threshold is chosen on out-of-fold scores, never on "
        "the rows it is scored on; the table shows precision, recall and the "
        "alert rate there, and the saved model decides there.",
        check_operating_point,
        commands=_COMPARE,
    )
    recommend_for: str = _option(
        "average_precision",
        "{" + ", ".join(repr(m.name) for m in recommendable_metrics()) + "}",
        "The metric the methods are ranked on and the saved model "
        "(OUTPUT/model.skimb) is recommended for: the fit on the whole "
        "training part (first seed) with its preprocessing, deciding at the "
        "operating point. The default, average precision, does not depend on "
        "the threshold.",
        _recommendable,
        commands=_COMPARE,
    )
    fit_many: bool = _option(
        True,
        "bool",
        "Train all of the nets (every net method, fold and seed) in one loop "
        "(skimb.estimators.fit_many; several when their resampled sets would "
        "take over a quarter of the available memory): the same results as "
        "one fit at a time, to float tolerance, in less time. With n_jobs or "
        "Dask each worker trains a share of them in one loop. False fits one "
        "net at a time.",
        _flag,
    )

    def __post_init__(self):
        for f in fields(self):
            value = f.metadata["check"](getattr(self, f.name), f.name)
            object.__setattr__(self, f.name, value)
        if self.recipes and self.recipes != "auto":
            methods = _with_recipes(self.methods, self.recipes)
            object.__setattr__(self, "methods", methods)
        if self.resume and self.output is None:
            raise ValueError("resume=True needs an output folder; got output=None.")

    @classmethod
    def from_call(cls, command, values):
        """The config of one ``command`` call whose arguments are ``values``
        (a mapping that may hold other names too)."""
        return cls(**{f.name: values[f.name] for f in run_options(command)})

    def net_settings(self, image_shape=None):
        """The settings every net of the run gets (``max_epochs`` and
        ``batch_size`` resolved from ``budget``, the module from ``net``,
        sized to ``image_shape`` where it takes ``input_shape``)."""
        auto = self.budget == "auto"
        epochs, batch = self.max_epochs, self.batch_size
        if epochs is None:
            epochs = CAP_EPOCHS if auto else BUDGET.max_epochs
        if batch is None:
            batch = "auto" if auto else BUDGET.batch_size
        module = NETS.get(self.net, self.net) if isinstance(self.net, str) else self.net
        shape = {}
        if module is SimpleNet:
            shape["module__hidden_units"] = self.hidden_units
        elif isinstance(module, type) and image_shape is not None:
            if "input_shape" in inspect.signature(module).parameters:
                shape["module__input_shape"] = tuple(image_shape)
        return dict(
            max_epochs=epochs,
            batch_size=batch,
            lr=self.lr,
            module=module,
            **shape,
            device=self.device,
            early_stopping=auto,
            verbose=0,
        )

    @property
    def unstopped_epochs(self):
        """The epochs of a net that does not stop early (its fold has too few
        rows to stop on, or its method's schedule is counted in epochs):
        under 'fixed' every net's; under 'auto' the fixed budget's
        ``BUDGET.max_epochs``, or the cap when it is lower, so that the cap
        moves only the nets that stop early."""
        if self.max_epochs is None:
            return BUDGET.max_epochs
        if self.budget == "fixed":
            return self.max_epochs
        return min(self.max_epochs, BUDGET.max_epochs)

    @property
    def on_dask(self):
        """Whether tasks go to a Dask cluster (a local one, or the user's)."""
        return self.dask or self.scheduler is not None

    @property
    def parallel(self):
        """Whether tasks leave this process (joblib workers or Dask)."""
        jobs = self.n_jobs not in (1, "auto")  # 'auto' is resolved by the run
        return jobs or self.on_dask

    @property
    def n_workers(self):
        """How many tasks run at once: 1 in a serial run; on Dask every
        worker of the cluster (inside its joblib backend; outside it, as
        many as this machine's cores)."""
        if not self.parallel:
            return 1
        return joblib.effective_n_jobs(-1 if self.on_dask else self.n_jobs)


def run_options(command):
    """The :class:`RunConfig` fields ``command`` takes, in signature order."""
    if command not in COMMANDS:
        raise ValueError(f"command must be one of {COMMANDS}; got {command!r}.")
    return [f for f in fields(RunConfig) if command in f.metadata["defaults"]]


def option_defaults(command):
    """Option name -> its default for ``command``."""
    return {f.name: f.metadata["defaults"][command] for f in run_options(command)}


def options_doc(command):
    """The numpydoc Parameters entries of ``command``'s options, indented for
    a function's docstring (substituted for its ``{options}`` field)."""
    import textwrap

    entries = []
    for f in run_options(command):
        default = f.metadata["shown"] or repr(f.metadata["defaults"][command])
        text = textwrap.fill(f.metadata["help"], 72)
        entries.append(
            f"{f.name} : {f.metadata['kind']}, default={default}\n"
            + textwrap.indent(text, " " * 8)
        )
    return "\n    ".join(entries)
