"""A task's data made ready: the early-stopping rows are cut before the
resampler runs, so no validation row is a copy or a synthetic neighbour of a
training row; the steps' output is float32."""

import warnings

import numpy as np
import pytest
from imblearn.over_sampling import SMOTE, RandomOverSampler
from sklearn.datasets import make_classification

import skimb.evaluation._plan as plan_module
import skimb.evaluation._run as run_module
from skimb import compare
from skimb.estimators import NetClassifier as BaseNetClassifier
from skimb.evaluation._options import RunConfig
from skimb.evaluation._plan import plan_comparison


def _rows(X):
    """Each row of a float32 array as bytes (exact equality)."""
    X = np.ascontiguousarray(X, dtype=np.float32)
    return {row.tobytes() for row in X}


@pytest.fixture
def spied(monkeypatch):
    """Every sampler's ``(input, output)`` and every net's ``X_val`` in the
    order of the fits, however the nets train."""
    run_module._warm_up()  # its tiny fit is not the comparison's
    seen = {"sampled": [], "X_val": [], "nets": []}
    for sampler in (RandomOverSampler, SMOTE):
        real = sampler.fit_resample

        def spy(self, X, y, _real=real):
            Xr, yr = _real(self, X, y)
            seen["sampled"].append((np.array(X), np.array(Xr), type(self).__name__))
            return Xr, yr

        monkeypatch.setattr(sampler, "fit_resample", spy)
    real_fit, real_many = BaseNetClassifier.fit, run_module.fit_many

    def fit(self, X, y, sample_weight=None, *, X_val=None, y_val=None, **kw):
        seen["X_val"].append(X_val)
        seen["nets"].append(self)
        return real_fit(self, X, y, sample_weight, X_val=X_val, y_val=y_val, **kw)

    def many(estimators, Xs, ys, *args, X_vals=None, **kwargs):
        seen["X_val"].extend(X_vals)
        seen["nets"].extend(estimators)
        assert all(X.dtype == np.float32 for X in Xs)  # half the memory
        return real_many(estimators, Xs, ys, *args, X_vals=X_vals, **kwargs)

    monkeypatch.setattr(BaseNetClassifier, "fit", fit)
    monkeypatch.setattr(run_module, "fit_many", many)
    return seen


@pytest.mark.parametrize("fit_many", [True, False])
@pytest.mark.usefixtures("stop_on_any_split")
def test_no_validation_row_is_a_copy_or_a_synthetic_neighbour(spied, tiny, fit_many):
    X, y = make_classification(300, n_features=5, weights=[0.9], random_state=0)
    kwargs = dict(methods=["random-over", "smote"], output=None, **tiny)
    result = compare(X, y, fit_many=fit_many, **kwargs)
    assert (result.rows["status"] == "ok").all()
    plan = plan_comparison(X, y, RunConfig(**kwargs))
    tasks = plan.tasks("random-over") + plan.tasks("smote")
    assert len(spied["sampled"]) == len(spied["X_val"]) == len(tasks) == 6
    for task, (X_in, X_out, sampler), X_val, net in zip(
        tasks, spied["sampled"], spied["X_val"], spied["nets"], strict=True
    ):
        assert sampler == ("SMOTE" if task.method == "smote" else "RandomOverSampler")
        # The sampler saw the training rows only; the validation part, cut
        # before it, reached the net as its X_val.
        assert len(X_in) == len(task.train) and len(X_val) == len(task.stop)
        assert X_val.dtype == np.float32 and net.early_stopping is True
        # Oversampled: copies (or neighbours) of the rows it was given ...
        assert len(X_out) > len(X_in) and _rows(X_in) <= _rows(X_out)
        # ... and none of them is a validation row: not among the rows the
        # sampler copied or interpolated from, nor among what it made.
        assert not _rows(X_val) & _rows(X_in)
        assert not _rows(X_val) & _rows(X_out)


@pytest.mark.usefixtures("stop_on_any_split")
def test_the_validation_part_is_the_stop_rows_through_the_fitted_scaler(spied, tiny):
    from skimb import SmoothClipScaler

    X, y = make_classification(300, n_features=5, weights=[0.9], random_state=1)
    kwargs = dict(methods=["random-over"], output=None, **tiny)
    compare(X, y, **kwargs)
    plan = plan_comparison(X, y, RunConfig(**kwargs))
    for task, (X_in, _, _), X_val in zip(
        plan.tasks("random-over"), spied["sampled"], spied["X_val"], strict=True
    ):
        data = plan.seeds[task.seed]
        # The preprocessing is fitted on the training rows alone.
        scaler = SmoothClipScaler().fit(data.X[task.train])
        np.testing.assert_allclose(X_in, scaler.transform(data.X[task.train]), 1e-5)
        np.testing.assert_allclose(X_val, scaler.transform(data.X[task.stop]), 1e-5)


def test_a_fold_that_cannot_be_split_trains_without_early_stopping(
    spied, tiny, monkeypatch
):
    monkeypatch.setattr(plan_module, "MIN_STOPPING_ROWS", 5)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(1200, 4))
    # 60 positives in training: 6 validation rows for the whole training
    # part, 3 for a fold's: below the 5 that early stopping needs here.
    y = np.r_[np.zeros(1120, int), np.ones(80, int)]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = compare(
            X, y, methods=["baseline"], output=None, test_size=0.25, **tiny
        )
    assert (result.rows["status"] == "ok").all()
    message = [str(w.message) for w in caught if "early stopping is off" in str(w)]
    assert message and "fold(s) " in message[0]
    by_fold = dict(zip(result.rows["fold"], result.rows["epochs"], strict=False))
    assert set(by_fold) == {0, 1, "test"}
    stopping = [net.early_stopping for net in spied["nets"]]
    given = [X_val is not None for X_val in spied["X_val"]]
    assert stopping == given and False in stopping  # off exactly without a split
    assert True in stopping  # the whole training part's 60 positives can
    epochs = [
        net.max_epochs
        for net, on in zip(spied["nets"], stopping, strict=True)
        if not on
    ]
    assert set(epochs) == {tiny["max_epochs"]}  # the fixed epochs without it


def test_a_fold_s_methods_share_one_fitted_preprocessing(tiny, monkeypatch):
    """In one loop the preprocessing is fitted once per fold, and the rows
    equal each task fitting its own."""
    import pandas as pd
    from sklearn.compose import ColumnTransformer

    X, y = make_classification(300, n_features=5, weights=[0.9], random_state=1)
    frame = pd.DataFrame(X, columns=list("abcde")).assign(label=y)
    fits, real = [], ColumnTransformer.fit_transform

    def counted(self, *args, **kwargs):
        fits.append(self)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(ColumnTransformer, "fit_transform", counted)
    methods = ["baseline", "weighted-loss", "random-over", "smote"]
    kwargs = dict(target="label", methods=methods, output=None, **tiny)
    together = compare(frame, **kwargs)
    n_shared = len(fits)
    fits.clear()
    alone = compare(frame, fit_many=False, **kwargs)
    # 2 folds + the test part, each fitted once instead of once per method
    # (the plan's own check of the data fits one more, in both runs).
    assert len(fits) - n_shared == 3 * (len(methods) - 1)
    columns = ["method", "rule", "fold", "balanced_accuracy", "log_loss"]
    pd.testing.assert_frame_equal(
        together.rows[columns].reset_index(drop=True),
        alone.rows[columns].reset_index(drop=True),
        atol=1e-6,
    )
