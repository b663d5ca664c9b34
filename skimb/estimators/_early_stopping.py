"""Early stopping on a validation part of the training data, one net at a time.

scikit-learn's convention (``MLPClassifier``, ``HistGradientBoostingClassifier``):
``early_stopping='auto'`` holds out ``validation_fraction`` of the training
rows on tables of more than 10,000 rows (or whenever ``X_val`` is given),
scores the net on them after every epoch, stops after ``n_iter_no_change``
epochs without improvement and keeps the best epoch's weights. The
patience of ``n_iter_no_change='auto'`` shrinks when the validation part's
rarest class has more than 100 rows (:func:`~._budget.auto_patience`).

The score is ``early_stopping_score``, one of
:data:`~._stopping_scores.STOPPING_SCORES`: by default the validation
average precision (of the rarer class on two classes), which the module
``_stopping_scores`` explains with its measurements.

The mixin here is shared by :meth:`fit` and :func:`~skimb.estimators.fit_many`:
each net holds its own :class:`EarlyStopper` and is scored by its own
``on_epoch_end``, so a net trained in one loop with others scores, stops and
restores exactly as its own fit does.
"""

import math
import warnings

import numpy as np
import torch
from sklearn.utils.validation import column_or_1d
from torch.utils.data import Subset

from ._batches import to_device
from ._budget import auto_patience
from ._epoch_loop import PREDICT_BATCH_SIZE
from ._stopping_scores import STOPPING_SCORES

__all__ = [
    "AUTO_MIN_ROWS",
    "EarlyStopper",
    "EarlyStoppingMixin",
    "score_key",
    "validation_split",
]

#: ``early_stopping='auto'`` holds out a validation part above this many rows.
AUTO_MIN_ROWS = 10_000


def score_key(score):
    """The history key of the monitored ``early_stopping_score``."""
    return f"valid_{score}"


def validation_split(y, fraction, seed):
    """A stratified ``(train, valid)`` split of ``y`` with every class in both.

    Each class ``c`` of ``n_c`` rows gives ``round(fraction * n_c)`` rows to
    the validation part, at least 1 and at most ``n_c - 1``, drawn at random
    within the class.

    Parameters
    ----------
    y : ndarray of shape (n_samples,) of non-negative ints
        Encoded labels; every class present needs at least 2 rows.
    fraction : float in (0, 1)
    seed : int
        Seeds the draw (a ``numpy.random.RandomState``).

    Returns
    -------
    train, valid : ndarray of int64
        Sorted row indices.

    Raises
    ------
    ValueError
        If a class present in ``y`` has fewer than 2 rows.

    Examples
    --------
    >>> import numpy as np
    >>> y = np.array([0] * 18 + [1] * 2)
    >>> train, valid = validation_split(y, 0.1, seed=0)
    >>> np.bincount(y[train]), np.bincount(y[valid])
    (array([16,  1]), array([2, 1]))
    """
    y = np.asarray(y)
    counts = np.bincount(y)
    small = np.flatnonzero((counts > 0) & (counts < 2))
    if small.size:
        raise ValueError(f"classes {small.tolist()} have fewer than 2 rows")
    n_valid = np.clip(np.rint(fraction * counts), 1, np.maximum(counts - 1, 1))
    rng = np.random.RandomState(seed % 2**32)
    order = rng.permutation(len(y))
    order = order[np.argsort(y[order], kind="stable")]  # by class, random within
    start = np.cumsum(counts) - counts
    labels = y[order]
    rank = np.arange(len(y)) - start[labels]
    in_valid = rank < n_valid[labels]
    return np.sort(order[~in_valid]), np.sort(order[in_valid])


class EarlyStopper:
    """One fit's validation part, best epoch and patience.

    Parameters
    ----------
    X, y : torch.Tensor
        The validation rows and their encoded labels, on the device.
    patience : int
        Epochs without improvement before training stops.
    higher_is_better : bool, default=False
        The direction of the score.
    start : int, default=0
        Epochs up to this one (as ``history_``'s ``epoch``, from 1) are
        neither a best epoch nor counted against the patience: a warm-up
        (deferred re-weighting's uniform epochs).
    """

    def __init__(self, X, y, patience, higher_is_better=False, start=0):
        self.X, self.y, self.patience, self.start = X, y, patience, start
        self.sign = -1.0 if higher_is_better else 1.0
        self.best_score = self.sign * math.inf  # worse than any score
        self.best_epoch = None
        self.best_state = None
        self.since_best = 0
        self.stopped = False

    def update(self, score, epoch, snapshot):
        """Count ``score`` of ``epoch``; ``snapshot()`` gives what to
        restore, taken only when the score improves."""
        if epoch <= self.start:
            return
        if self.sign * score < self.sign * self.best_score:  # NaN never improves
            self.best_score, self.best_epoch = score, epoch
            self.best_state = snapshot()
            self.since_best = 0
        else:
            self.since_best += 1
            self.stopped = self.since_best >= self.patience


class EarlyStoppingMixin:
    """The validation part, the per-epoch score, the stop and the restore."""

    # ---- before training -------------------------------------------------------
    def _early_stopping_mode(self):
        """``'auto'``, True or False (numpy's booleans as Python's)."""
        mode = self.early_stopping
        return mode if isinstance(mode, str) else bool(mode)

    def _check_early_stopping_params(self):
        if self._early_stopping_mode() is True and self.train_split is not None:
            raise ValueError(
                "early_stopping=True holds out its own validation part and does not "
                "combine with a train_split; with a train_split use skorch's "
                "EarlyStopping callback (callbacks=[EarlyStopping(monitor="
                "'valid_bal_acc', lower_is_better=False)]), or set "
                "early_stopping='auto' or False."
            )

    def _open_validation(self, dataset, y_enc, seed, X_val, y_val, *, fresh, partial):
        """Decide on early stopping for this fit and set it up.

        Returns the training data (``dataset``, or a ``Subset`` of it without
        the validation rows) and its labels.
        """
        self.__dict__.pop("_stopper", None)
        self.__dict__["_first_epoch"] = 0 if fresh else len(self.history_ or ())
        if (X_val is None) != (y_val is None):
            given, missing = ("X_val", "y_val") if y_val is None else ("y_val", "X_val")
            raise ValueError(f"{given} is given but {missing} is not; give both.")
        if X_val is not None:
            self._check_fixed_validation()
        mode = self._early_stopping_mode()
        use = not partial and (
            mode is True
            or (
                mode == "auto"
                and self.train_split is None
                and (X_val is not None or len(y_enc) > AUTO_MIN_ROWS)
            )
        )
        self.do_early_stopping_ = False
        self.best_epoch_ = self.best_validation_score_ = None
        self.n_iter_no_change_ = None
        if not use:
            return dataset, y_enc
        if X_val is not None:
            X_v, y_v = self._fixed_validation(X_val, y_val)
            train = (dataset, y_enc)
        else:
            try:
                index, valid = validation_split(
                    y_enc, self.validation_fraction, seed + 104729
                )
            except ValueError:
                self._warn_no_split(y_enc)
                return dataset, y_enc
            X_v = dataset.X.index_select(0, torch.as_tensor(valid, device=self.device))
            y_v = dataset.y.index_select(0, torch.as_tensor(valid, device=self.device))
            train = (Subset(dataset, index), y_enc[index])
        self.do_early_stopping_ = True
        self.n_iter_no_change_ = self._patience(y_v)
        higher_is_better = STOPPING_SCORES[self.early_stopping_score][1]
        self.__dict__["_stopper"] = EarlyStopper(
            X_v, y_v, self.n_iter_no_change_, higher_is_better, self._stopping_start()
        )
        return train

    def _stopping_start(self):
        """The epochs of a warm-up early stopping does not judge (none here)."""
        return 0

    def _patience(self, y_valid):
        """``n_iter_no_change``, or for ``'auto'`` the patience of the
        validation part's rarest class (of those it holds)."""
        if self.n_iter_no_change != "auto":
            return int(self.n_iter_no_change)
        counts = torch.bincount(y_valid)
        return auto_patience(int(counts[counts > 0].min()))

    def _check_fixed_validation(self):
        if self._early_stopping_mode() is False:
            raise ValueError(
                "X_val and y_val are given while early_stopping=False; they are only "
                "used for early stopping: set early_stopping='auto' or True, or "
                "leave them out."
            )
        if self.train_split is not None:
            raise ValueError(
                "X_val and y_val do not combine with a train_split (which makes its "
                "own validation set); give one or the other."
            )

    def _fixed_validation(self, X_val, y_val):
        X_val = self._check_X(X_val)
        y_val = column_or_1d(np.asarray(y_val), warn=True)
        if len(y_val) != X_val.shape[0]:
            raise ValueError(
                f"X_val has {X_val.shape[0]} samples and y_val {len(y_val)} labels."
            )
        y_val = self._encode(y_val, "y_val", "in y")
        return to_device(X_val, self.device), torch.as_tensor(y_val, device=self.device)

    def _warn_no_split(self, y_enc):
        counts = np.bincount(y_enc, minlength=len(self.classes_))
        small = self.classes_[(counts > 0) & (counts < 2)].tolist()
        warnings.warn(
            f"early stopping is off for this fit: the classes {small!r} have a "
            "single training row, and the validation part must keep every class "
            "in both parts. Give a validation set (X_val, y_val) or set "
            "early_stopping=False to silence this.",
            UserWarning,
            stacklevel=6,
        )

    # ---- during training -------------------------------------------------------
    def on_epoch_begin(self, net, **kwargs):
        stopper = self.__dict__.get("_stopper")
        if stopper is not None and stopper.stopped:
            # skorch's partial_fit ends training on it (as skorch's own
            # EarlyStopping does), before this epoch opens its history row.
            raise KeyboardInterrupt
        super().on_epoch_begin(net, **kwargs)

    def on_epoch_end(self, net, dataset_train=None, dataset_valid=None, **kwargs):
        # After PriorPredictMixin's: the score reads this epoch's training prior.
        super().on_epoch_end(
            net, dataset_train=dataset_train, dataset_valid=dataset_valid, **kwargs
        )
        stopper = self.__dict__.get("_stopper")
        if stopper is not None:
            score = float(self._validation_score(stopper))
            self.history.record(score_key(self.early_stopping_score), score)
            stopper.update(score, self.history[-1]["epoch"], self._snapshot)
        hook = self.__dict__.get("_epoch_hook")
        if hook is not None:
            hook()

    def _stopped(self):
        """Whether early stopping ended this fit after the last epoch."""
        stopper = self.__dict__.get("_stopper")
        return stopper is not None and stopper.stopped

    @torch.no_grad()
    def _validation_score(self, stopper):
        self._set_training(False)
        X, n = stopper.X, len(stopper.X)
        log_p = torch.cat(
            [
                self._log_proba(self.infer(X[start : start + PREDICT_BATCH_SIZE]))
                for start in range(0, n, PREDICT_BATCH_SIZE)
            ]
        )
        score = STOPPING_SCORES[self.early_stopping_score][0]
        return score(log_p, stopper.y, self.training_prior_)

    def _snapshot(self):
        weights = {k: v.detach().clone() for k, v in self.module_.state_dict().items()}
        return weights, np.array(self.training_prior_, copy=True)

    def on_train_end(self, net, X=None, y=None, **kwargs):
        super().on_train_end(net, X=X, y=y, **kwargs)
        self.n_epochs_ = len(self.history) - self.__dict__.pop("_first_epoch", 0)
        stopper = self.__dict__.pop("_stopper", None)
        if stopper is not None and stopper.best_state is not None:
            weights, prior = stopper.best_state
            self.module_.load_state_dict(weights)
            self.training_prior_ = prior
            self.best_epoch_ = int(stopper.best_epoch)
            self.best_validation_score_ = float(stopper.best_score)

    def _drop_fit_state(self):
        """What only one fit needs, gone after it (no device tensors kept)."""
        for key in ("_fit_generator", "_stopper", "_first_epoch", "_epoch_hook"):
            self.__dict__.pop(key, None)
