"""The options of a run, each defined once: name, default, check and help.

:class:`RunConfig` is the table. :func:`skimb.compare` and
:func:`skimb.benchmark` validate their keyword arguments with it (and take
their Parameters text from it), and the ``skimb`` command adds one flag per
option by iterating over it, so the function, the validation and the CLI
cannot drift apart.
"""

from dataclasses import MISSING, dataclass, field, fields

from ..datasets._imbalance import IMBALANCE_RECIPES
from ..metrics._operating_point import OPERATING_POINT_FORMS, check_operating_point
from ..metrics._registry import recommendable_metrics
from . import _checks as check
from ._methods import DEFAULT_METHODS, METHODS
from ._preprocessing import SCALINGS
from ._verdict import check_metric

__all__ = [
    "CAP_EPOCHS",
    "COMMANDS",
    "FIXED_BATCH_SIZE",
    "FIXED_EPOCHS",
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


# ---- the table ---------------------------------------------------------------
#: max_epochs=None under budget='auto': a cap for early stopping.
CAP_EPOCHS = 100
#: The fixed budget of earlier versions (budget='fixed').
FIXED_EPOCHS = 30
FIXED_BATCH_SIZE = 64


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
        check.label,
        commands=_COMPARE,
    )
    name: object = _option(
        None,
        "str or None",
        "The data set's name in the results (default: the built-in name, the "
        "file's stem, or 'data').",
        check.optional_text,
        commands=_COMPARE,
    )
    methods: tuple = _option(
        DEFAULT_METHODS,
        "sequence of str",
        "Names from skimb.evaluation.METHODS (comma-separated on the command "
        f"line): {', '.join(METHODS)}.",
        check.methods,
        shown="DEFAULT_METHODS",
        parse="names",
    )
    imbalance: object = _option(
        None,
        "{'none', 'seed', 'step', 'longtail'} or None",
        "Recipe applied to the training part (the test part stays untouched). "
        "None means 'seed' for built-in data (class 0 keeps 90%, the others "
        "10%) and 'none' for a user's data, which is imbalanced already.",
        check.one_of(IMBALANCE_RECIPES, optional=True),
        commands=_COMPARE,
    )
    majority_class: object = _option(
        None,
        "label or None",
        "The class the 'seed' recipe keeps mostly; None means 0 for built-in "
        "data and the most frequent class for a user's data.",
        check.label,
        commands=_COMPARE,
        parse="label",
    )
    majority_keep: float = _option(
        0.9,
        "float",
        "The fraction of the majority class the 'seed' recipe keeps.",
        check.recipe_number,
        commands=_COMPARE,
    )
    minority_keep: float = _option(
        0.1,
        "float",
        "The fraction of every other class the 'seed' recipe keeps.",
        check.recipe_number,
        commands=_COMPARE,
    )
    ratio: float = _option(
        10.0,
        "float",
        "The imbalance ratio of the 'step' and 'longtail' recipes.",
        check.recipe_number,
        commands=_COMPARE,
    )
    positive_label: object = _option(
        None,
        "label or None",
        "The positive class of a binary problem, for average precision, "
        "ROC-AUC and the Brier score; None means the minority class.",
        check.label,
        commands=_COMPARE,
        parse="label",
    )
    cv: int = _option(
        5,
        "int",
        "Stratified folds on the (imbalanced) training part.",
        check.integer(2, "an integer >= 2"),
    )
    seeds: tuple = _option(
        (0,),
        "sequence of int",
        "Each seed repeats everything (imbalance draw, folds, nets, "
        "resamplers); comma-separated on the command line.",
        check.seeds,
        parse="ints",
    )
    budget: str = _option(
        "auto",
        "{'auto', 'fixed'}",
        "The nets' training budget. 'auto' is the data's: batch_size='auto' "
        "(64 on small tables, growing with the rows, the learning rate "
        "scaled with it) and early stopping on a stratified validation part "
        "cut from each fold's training rows before any resampling, so "
        "max_epochs is only a cap. 'fixed' is the tutorial's budget of "
        "earlier versions: batch 64, 30 epochs, no early stopping.",
        check.one_of(["auto", "fixed"]),
    )
    max_epochs: object = _option(
        None,
        "int or None",
        f"Epochs of every net; under budget='auto' the most a net may train. "
        f"None means {CAP_EPOCHS} under 'auto' (a cap high enough that "
        "early stopping, not the cap, ends nearly every fit, so the verdict "
        "does not hang on it, and a bound on a fit that never stalls) and "
        f"{FIXED_EPOCHS} under 'fixed'. Under 'auto' a fold with too few "
        f"rows to stop on trains {FIXED_EPOCHS} epochs (or the cap, if "
        "lower) whatever the cap: use budget='fixed' to train such nets "
        "longer.",
        check.optional_integer(0),
        parse="int",
    )
    batch_size: object = _option(
        None,
        "int, 'auto' or None",
        "Mini-batch size of every net; None means 'auto' under budget='auto' "
        f"and {FIXED_BATCH_SIZE} under 'fixed'.",
        check.batch_size,
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
        check.one_of(list(SCALINGS)),
    )
    lr: float = _option(
        1e-3, "float", "Learning rate of every net.", check.positive_float
    )
    hidden_units: int = _option(
        256, "int", "Width of every net's hidden layer.", check.integer(1)
    )
    device: object = _option(
        "auto",
        "str or torch.device",
        "Where the nets train: 'auto' (CUDA when present), 'cpu', 'cuda', ...",
        check.device,
    )
    test_size: float = _option(
        0.25, "float", "The held-out part of each data set.", check.fraction
    )
    data_dir: object = _option(
        None,
        "str, path or None",
        "The folder holding MNIST/raw or FashionMNIST/raw.",
        check.optional_path,
        commands=_COMPARE,
    )
    download: bool = _option(
        False,
        "bool",
        "Let torchvision download MNIST-style data (online only).",
        check.flag,
        commands=_COMPARE,
    )
    reference: str = _option(
        "baseline",
        "str",
        "The method every other one is counted wins, ties and losses against.",
        check.reference,
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
        check.n_jobs,
        benchmark=1,
        shown="'auto' (compare), 1 (benchmark)",
        parse="jobs",
    )
    scheduler: object = _option(
        None,
        "str or None",
        "Address of a Dask distributed scheduler; tasks go there through "
        "joblib's 'dask' backend.",
        check.optional_text,
    )
    dask: bool = _option(
        False,
        "bool",
        "Start a local Dask cluster (n_jobs workers) for the run.",
        check.flag,
    )
    output: object = _option(
        "skimb-results",
        "str, path or None",
        "Folder for the results, rewritten atomically as the run goes: "
        "results.csv, summary.csv, results.json and the plots (a benchmark: "
        "those of each data set in OUTPUT/<data set>/, ranks.csv and "
        "benchmark.json in OUTPUT); None writes nothing.",
        check.optional_path,
        benchmark="skimb-benchmark",
    )
    resume: bool = _option(
        False,
        "bool",
        "Keep the results already in output (for the same data set, class "
        "counts and settings) and run only the rest.",
        check.flag,
    )
    progress: bool = _option(
        True, "bool", "Show a progress bar.", check.flag, off="--quiet"
    )
    plots: bool = _option(
        True,
        "bool",
        "Write the PNG plots into output (a benchmark: each data set's).",
        check.flag,
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
        check_metric,
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
        check.flag,
    )

    def __post_init__(self):
        for f in fields(self):
            value = f.metadata["check"](getattr(self, f.name), f.name)
            object.__setattr__(self, f.name, value)
        if self.resume and self.output is None:
            raise ValueError("resume=True needs an output folder; got output=None.")

    @classmethod
    def from_call(cls, command, values):
        """The config of one ``command`` call whose arguments are ``values``
        (a mapping that may hold other names too)."""
        return cls(**{f.name: values[f.name] for f in run_options(command)})

    def net_settings(self):
        """The settings every net of the run gets (``max_epochs`` and
        ``batch_size`` resolved from ``budget``)."""
        auto = self.budget == "auto"
        epochs, batch = self.max_epochs, self.batch_size
        if epochs is None:
            epochs = CAP_EPOCHS if auto else FIXED_EPOCHS
        if batch is None:
            batch = "auto" if auto else FIXED_BATCH_SIZE
        return dict(
            max_epochs=epochs,
            batch_size=batch,
            lr=self.lr,
            module__hidden_units=self.hidden_units,
            device=self.device,
            early_stopping=auto,
            verbose=0,
        )

    @property
    def unstopped_epochs(self):
        """The epochs of a net that does not stop early (its fold has too few
        rows to stop on, or its method's schedule is counted in epochs):
        under 'fixed' every net's; under 'auto' the fixed budget's
        ``FIXED_EPOCHS``, or the cap when it is lower, so that the cap moves
        only the nets that stop early."""
        if self.budget == "fixed":
            return FIXED_EPOCHS if self.max_epochs is None else self.max_epochs
        if self.max_epochs is None:
            return FIXED_EPOCHS
        return min(self.max_epochs, FIXED_EPOCHS)

    @property
    def parallel(self):
        """Whether tasks leave this process (joblib workers or Dask)."""
        jobs = self.n_jobs not in (1, "auto")  # 'auto' is resolved by the run
        return jobs or self.dask or self.scheduler is not None


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
