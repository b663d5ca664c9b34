"""The plain net: a skorch classifier that is a scikit-learn classifier."""

from collections.abc import Mapping
from numbers import Integral, Real

import torch
from skorch.dataset import Dataset as SkorchDataset
from torch.utils.data import DataLoader

from .._utils.docstring import NET_DOCS, Substitution
from .._utils.validation import RANDOM_STATE, Boolean, InstanceOf, Interval, Options
from ..nn._simple_net import SimpleNet
from ._base import BaseNetClassifier
from ._callbacks import CallbackList
from ._prior import PRIOR_CONSTRAINTS
from ._stopping_scores import STOPPING_SCORES

__all__ = ["NetClassifier"]

_DEVICES = ["'auto'", "'cpu'", "'cuda'", "'cuda:<index>'", "'mps'", "a torch.device"]


@Substitution(**NET_DOCS)
class NetClassifier(BaseNetClassifier):
    """A skorch classifier that behaves like any scikit-learn classifier.

    The baseline of skimb: no imbalance handling, but the same validation,
    label encoding, device-resident batches and seeding as the weighted
    estimators, so comparisons differ in one thing only.

    Parameters
    ----------
    {module_param}

    {net_params}

    Attributes
    ----------
    {fitted_attrs}

    See Also
    --------
    WeightedLossClassifier : Class weights in the loss.
    WeightedSamplerClassifier : Class-weighted sampling of the batches.

    Notes
    -----
    With cross-entropy the net estimates the posterior under the training
    frequencies, so ``training_prior_`` is ``class_prior_`` and
    ``prior='train'`` changes nothing; ``prior='balanced'`` is post-hoc logit
    adjustment (Menon et al., 2021).

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from skimb import NetClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = NetClassifier(max_epochs=5, module__hidden_units=16, random_state=0)
    >>> clf.fit(X, y).predict(X[:3]).shape
    (3,)
    """

    _parameter_constraints: dict = {
        "module": [
            InstanceOf(
                torch.nn.Module, "a torch.nn.Module class or instance", classes=True
            )
        ],
        "criterion": [
            InstanceOf(
                torch.nn.Module,
                "a torch loss (torch.nn.Module) class or instance",
                classes=True,
            )
        ],
        "optimizer": [
            InstanceOf(
                torch.optim.Optimizer,
                "a torch.optim.Optimizer class",
                classes=True,
                instances=False,
            )
        ],
        "lr": [Interval(Real, 0, None, closed="left")],
        "max_epochs": [Interval(Integral, 0, None, closed="left")],
        "batch_size": [
            Interval(Integral, 1, None, closed="left"),
            Options(-1, note="all samples"),
            Options("auto"),
        ],
        "iterator_train": [callable],
        "iterator_valid": [callable],
        "dataset": [callable],
        "train_split": [None, callable],
        "callbacks": [None, CallbackList()],
        "predict_nonlinearity": [callable, None, Options("auto")],
        "warm_start": [Boolean()],
        "verbose": [Interval(Integral, 0, None, closed="left"), Boolean()],
        "device": [None, InstanceOf((str, torch.device), _DEVICES)],
        "compile": [Boolean()],
        "use_caching": [Boolean(), Options("auto")],
        "torch_load_kwargs": [None, InstanceOf(Mapping, "a dict")],
        "random_state": RANDOM_STATE,
        "prior": PRIOR_CONSTRAINTS,
        "n_threads": [
            Options("auto"),
            None,
            Interval(Integral, 1, None, closed="left"),
        ],
        "early_stopping": [Options("auto"), Boolean()],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "n_iter_no_change": [
            Options("auto"),
            Interval(Integral, 1, None, closed="left"),
        ],
        "early_stopping_score": [Options(*STOPPING_SCORES)],
    }

    def __init__(
        self,
        module=SimpleNet,
        *,
        criterion=torch.nn.CrossEntropyLoss,
        optimizer=torch.optim.Adam,
        lr=1e-3,
        max_epochs=30,
        batch_size="auto",
        iterator_train=DataLoader,
        iterator_valid=DataLoader,
        dataset=SkorchDataset,
        train_split=None,
        callbacks=None,
        predict_nonlinearity="auto",
        warm_start=False,
        verbose=0,
        device="auto",
        compile=False,
        use_caching="auto",
        torch_load_kwargs=None,
        random_state=None,
        prior=None,
        n_threads="auto",
        early_stopping="auto",
        validation_fraction=0.1,
        n_iter_no_change="auto",
        early_stopping_score="average_precision",
        **kwargs,
    ):
        super().__init__(
            module,
            criterion=criterion,
            optimizer=optimizer,
            lr=lr,
            max_epochs=max_epochs,
            batch_size=batch_size,
            iterator_train=iterator_train,
            iterator_valid=iterator_valid,
            dataset=dataset,
            train_split=train_split,
            callbacks=callbacks,
            predict_nonlinearity=predict_nonlinearity,
            warm_start=warm_start,
            verbose=verbose,
            device=device,
            compile=compile,
            use_caching=use_caching,
            torch_load_kwargs=torch_load_kwargs,
            **kwargs,
        )
        # skorch's NeuralNetClassifier sets a public ``classes``; skimb learns
        # ``classes_`` from y instead.
        del self.__dict__["classes"]
        self.random_state = random_state
        self.prior = prior
        self.n_threads = n_threads
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.early_stopping_score = early_stopping_score
