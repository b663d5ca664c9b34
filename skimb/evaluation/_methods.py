"""The methods a comparison runs, as named estimator templates.

Each :class:`Method` is an unfitted estimator, optionally behind an
imbalanced-learn resampler, that :func:`build` clones and configures with the
comparison's net settings and seed. Every net method trains the same
``SimpleNet`` for the same epochs; only the way it treats the imbalance
differs. The reference rows (balanced logistic regression and gradient
boosting, imbalanced-learn's ensembles) see the same preprocessed features.

Every method is scored under two decision rules from its one fit (as trained,
and moved to equal class priors: :mod:`._verdict`), so the plain net under
the balanced rule is the ``'baseline'`` method's balanced rows, not a method
of its own (:data:`REPLACED` names such retired methods).
"""

from dataclasses import dataclass, field, replace

import scipy.sparse as sp
import torch
from imblearn.ensemble import (
    BalancedBaggingClassifier,
    BalancedRandomForestClassifier,
    EasyEnsembleClassifier,
    RUSBoostClassifier,
)
from imblearn.over_sampling import ADASYN, SMOTE, RandomOverSampler
from imblearn.pipeline import Pipeline
from imblearn.under_sampling import RandomUnderSampler
from sklearn.base import clone
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import FunctionTransformer

from .._utils.labels import unique_labels
from ..estimators import (
    NetClassifier,
    WeightedLossClassifier,
    WeightedSamplerClassifier,
)
from ..nn._losses import FocalLoss, LDAMLoss, LogitAdjustedLoss
from ._preprocessing import native_categorical_features

__all__ = [
    "DEFAULT_METHODS",
    "METHODS",
    "RECIPES",
    "REPLACED",
    "Method",
    "Recipe",
    "auto_recipes",
    "build",
    "fits_in_one_loop",
]


@dataclass(frozen=True)
class Method:
    """An estimator template and how the comparison configures it.

    Attributes
    ----------
    estimator : estimator
        Unfitted; cloned for every fit.
    resampler : imblearn sampler or None
        Resamples the (preprocessed) training fold before the estimator.
    is_net : bool
        Whether the comparison's net settings (epochs, batch size, learning
        rate, width, device) apply.
    dense : bool
        Whether the estimator needs dense input.
    per_fit : dict
        Parameters derived from the net settings: name -> function of them
        (they may override a net setting, ``max_epochs`` say).
    stops_early : bool
        Whether its nets stop early under the data's budget. A schedule
        written in epochs (deferred re-weighting from 80 % of the epochs,
        draws that move to class-balanced over the epochs) needs a known
        length: such a method trains the fixed budget's epochs (30, or a
        lower cap) without early stopping.
    family : {'net', 'trees', 'linear'}
        The kind of model, as the verdict names the winner: a net, a tree
        ensemble or a linear model.
    native_categories : bool
        Whether it splits on a table's categories and missing values itself
        (gradient boosting): its preprocessing codes the categories and
        leaves the numbers as they are, instead of one-hot encoding and
        scaling them.
    """

    estimator: object
    resampler: object = None
    is_net: bool = True
    dense: bool = False
    per_fit: dict = field(default_factory=dict)
    stops_early: bool = True
    family: str = "net"
    native_categories: bool = False


def _reference(estimator, family, dense=False, native_categories=False):
    return Method(
        estimator,
        is_net=False,
        dense=dense,
        family=family,
        native_categories=native_categories,
    )


@dataclass(frozen=True)
class Recipe:
    """A way of training a net method's net, named after the method:
    ``'weighted-loss+smooth'`` is the weighted loss trained with the
    ``'smooth'`` recipe.

    Attributes
    ----------
    description : str
    params : dict
        Estimator parameters set on the method's net.
    criteria : tuple of classes
        The criteria the recipe works with (empty: any).
    """

    description: str
    params: dict
    criteria: tuple = ()


#: Recipe name -> :class:`Recipe` (``benchmarks/regularisation.py``
#: measures them).
RECIPES = {
    "smooth": Recipe(
        "label smoothing 0.2: each row's target keeps 0.8 on its class and "
        "spreads 0.2 over all classes",
        {"criterion__label_smoothing": 0.2},
        criteria=(torch.nn.CrossEntropyLoss, LogitAdjustedLoss),
    ),
    "l2": Recipe(
        "an L2 penalty of 0.01 on the weights (Adam's weight_decay), as "
        "logistic regression has one",
        {"optimizer__weight_decay": 0.01},
    ),
}


def auto_recipes(X):
    """The recipes ``recipes='auto'`` tries on ``X``: the L2 penalty for
    sparse input (a net without it overfits a bag of words' few positives),
    none otherwise."""
    return ("l2",) if sp.issparse(X) else ()


class _MethodTable(dict):
    """Method name -> :class:`Method`, where a net method's name followed
    by ``+`` and a name of :data:`RECIPES` is that method trained with
    the recipe (resolved on lookup, in any process)."""

    def __missing__(self, name):
        base, plus, recipe = str(name).rpartition("+")
        if not plus or not dict.__contains__(self, base) or recipe not in RECIPES:
            raise KeyError(name)
        method = dict.__getitem__(self, base)
        wanted = RECIPES[recipe].criteria
        criterion = getattr(method.estimator, "criterion", None)
        if not method.is_net or (wanted and criterion not in wanted):
            raise KeyError(name)
        estimator = clone(method.estimator).set_params(**RECIPES[recipe].params)
        return replace(method, estimator=estimator)

    def __contains__(self, name):
        try:
            self[name]
        except (KeyError, TypeError):
            return False
        return True


_NET = NetClassifier()

METHODS = _MethodTable(
    {
        "baseline": Method(_NET),
        "weighted-loss": Method(WeightedLossClassifier()),
        "weighted-sampler": Method(WeightedSamplerClassifier()),
        "random-over": Method(_NET, RandomOverSampler()),
        "smote": Method(_NET, SMOTE()),
        "random-under": Method(_NET, RandomUnderSampler()),
        "adasyn": Method(_NET, ADASYN()),
        # The strong references: scikit-learn's gradient boosting (its own early
        # stopping on tables over 10,000 rows) and logistic regression, as they
        # come and with balanced class weights.
        "hgb": _reference(
            HistGradientBoostingClassifier(),
            "trees",
            dense=True,
            native_categories=True,
        ),
        "hgb-balanced": _reference(
            HistGradientBoostingClassifier(class_weight="balanced"),
            "trees",
            dense=True,
            native_categories=True,
        ),
        "logreg": _reference(LogisticRegression(max_iter=2000), "linear"),
        "logreg-balanced": _reference(
            LogisticRegression(class_weight="balanced", max_iter=2000), "linear"
        ),
        # Long-tail methods.
        "effective-number": Method(WeightedLossClassifier(class_weight="effective")),
        "sqrt-sampler": Method(WeightedSamplerClassifier(class_weight="sqrt")),
        "progressive-sampler": Method(
            WeightedSamplerClassifier(schedule="progressive"), stops_early=False
        ),
        # Images only: the sampler's rare-class draws, each shifted anew by up
        # to 2 pixels (augmentation, the seed's third remedy).
        "augmented-sampler": Method(WeightedSamplerClassifier(augment_shift=2)),
        # tau = 1: logit adjustment (Menon et al., 2021), the same as Balanced Softmax.
        "logit-adjusted": Method(
            WeightedLossClassifier(criterion=LogitAdjustedLoss, class_weight=None)
        ),
        "focal": Method(WeightedLossClassifier(criterion=FocalLoss)),
        # SimpleNet's logits are not cosine-normalised, so LDAM's scale s is 1, not
        # the 30 of Cao et al.; DRW switches effective-number weights on at 80 %.
        "ldam-drw": Method(
            WeightedLossClassifier(
                criterion=LDAMLoss, criterion__s=1.0, class_weight="effective"
            ),
            per_fit={
                "reweight_epoch": lambda settings: int(0.8 * settings["max_epochs"])
            },
            stops_early=False,
        ),
        # imbalanced-learn's ensembles, balanced by construction (each member
        # sees a balanced resample): references, at modest sizes.
        "balanced-random-forest": _reference(
            BalancedRandomForestClassifier(n_estimators=100), "trees"
        ),
        "easy-ensemble": _reference(EasyEnsembleClassifier(n_estimators=10), "trees"),
        "rusboost": _reference(RUSBoostClassifier(n_estimators=50), "trees"),
        "balanced-bagging": _reference(
            BalancedBaggingClassifier(n_estimators=10), "trees"
        ),
    }
)
"""Method name -> :class:`Method`; ``'<net method>+<recipe>'`` names a net
method trained with a recipe of :data:`RECIPES` (``'logit-adjusted+smooth'``)."""

#: Retired method names -> what replaces them (an error names it).
REPLACED = {
    "posthoc-la": "'baseline': the plain net's output moved to equal class priors "
    "(post-hoc logit adjustment, tau = 1) is now the 'baseline' method's rows "
    "under the balanced rule (rule='balanced'), from the same fit",
}

#: The comparison's methods unless told otherwise. The weighted loss and
#: logit adjustment are there as they are and trained with label smoothing
#: (+smooth): it lifted their mean CV AP on 24 KEEL sets and the fraud
#: example at the same balanced accuracy (``benchmarks/regularisation.py``).
DEFAULT_METHODS = (
    "baseline",
    "weighted-loss",
    "weighted-loss+smooth",
    "weighted-sampler",
    "random-over",
    "smote",
    "random-under",
    "logit-adjusted",
    "logit-adjusted+smooth",
    "hgb",
    "balanced-random-forest",
    "logreg",
)


def _neighbours(y, wanted=5):
    # SMOTE and ADASYN need k below the smallest class's size; cap k rather
    # than fail the fold.
    smallest = int(unique_labels(y, return_counts=True)[1].min())
    return max(1, min(wanted, smallest - 1))


def _densify(X):
    return X.toarray() if hasattr(X, "toarray") else X


def _dense_steps(preprocessor):
    """The preprocessing of a method that needs dense input: the
    ColumnTransformer told to return dense output (a pipeline of it then
    holds library types only, which :func:`skimb.save` stores), or any other
    preprocessor followed by a densifying step."""
    if "sparse_threshold" in preprocessor.get_params():
        return [("preprocess", preprocessor.set_params(sparse_threshold=0))]
    return [
        ("preprocess", preprocessor),
        ("dense", FunctionTransformer(_densify, accept_sparse=True)),
    ]


def build(name, *, net_settings, seed, y, preprocessor=None):
    """A fresh, configured estimator for method ``name``.

    Parameters
    ----------
    name : str
        A key of :data:`METHODS`.
    net_settings : dict
        The net settings (``max_epochs``, ``batch_size``, ``lr``,
        ``module__hidden_units``, ``device``, ...).
    seed : int
        Seeds the net, the resampler and the reference models.
    y : array-like
        The training labels (the resamplers' neighbour counts adapt to them).
    preprocessor : transformer or None
        Prepended to the pipeline (cloned), so it is fitted on the training
        fold only.

    Returns
    -------
    estimator : estimator or imblearn.pipeline.Pipeline
    """
    method = METHODS[name]
    estimator = clone(method.estimator)
    if method.is_net:
        derived = {k: f(net_settings) for k, f in method.per_fit.items()}
        estimator.set_params(**{**net_settings, **derived}, random_state=seed)
    else:
        estimator.set_params(random_state=seed)
    steps = []
    if preprocessor is not None and method.native_categories:
        estimator.set_params(
            categorical_features=native_categorical_features(preprocessor)
        )
    if preprocessor is not None and method.dense:
        steps += _dense_steps(clone(preprocessor))
    elif preprocessor is not None:
        steps.append(("preprocess", clone(preprocessor)))
    if method.resampler is not None:
        resampler = clone(method.resampler).set_params(random_state=seed)
        for key in ("k_neighbors", "n_neighbors"):
            if key in resampler.get_params():
                resampler.set_params(**{key: _neighbours(y)})
        steps.append(("resample", resampler))
    if not steps:
        return estimator
    return Pipeline([*steps, ("model", estimator)])


def fits_in_one_loop(method):
    """Whether ``method``'s nets can train in one loop with others."""
    return isinstance(METHODS[method].estimator, NetClassifier)
