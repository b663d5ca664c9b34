"""A fixed validation set given as skorch documents it: predefined_split of a
Dataset, scored by the default valid_bal_acc, with string labels."""

import numpy as np
import pytest
import torch
from _instances import public_estimators
from sklearn.metrics import balanced_accuracy_score
from skorch.callbacks import EarlyStopping
from skorch.dataset import Dataset
from skorch.helper import predefined_split


def _data(n, seed):
    X = np.random.default_rng(seed).random((n, 3), dtype=np.float32)
    return X, np.where(X[:, 0] > 0.5, "high", "low")


X_TRAIN, Y_TRAIN = _data(80, 0)
X_VALID, Y_VALID = _data(40, 1)

ESTIMATORS = pytest.mark.parametrize(
    "cls", public_estimators(), ids=lambda c: c.__name__
)


def _net(cls, valid, **kwargs):
    return cls(
        max_epochs=4,
        lr=0.05,
        random_state=0,
        device="cpu",
        train_split=predefined_split(valid),
        **kwargs,
    )


@ESTIMATORS
def test_predefined_split_is_scored_with_balanced_accuracy(cls):
    clf = _net(cls, Dataset(X_VALID, Y_VALID)).fit(X_TRAIN, Y_TRAIN)
    scores = clf.history_[:, "valid_bal_acc"]
    assert len(scores) == 4
    # the last epoch's score is that of the fitted net on the validation set
    assert scores[-1] == pytest.approx(
        balanced_accuracy_score(Y_VALID, clf.predict(X_VALID))
    )
    assert 0.5 <= scores[-1] <= 1.0
    assert all(np.isfinite(clf.history_[:, "valid_loss"]))


@ESTIMATORS
def test_early_stopping_on_the_predefined_split(cls):
    # An improvement of more than 1 is impossible: the run stops after patience.
    stop = EarlyStopping(
        monitor="valid_bal_acc",
        lower_is_better=False,
        patience=2,
        threshold=1.0,
        threshold_mode="abs",
    )
    clf = _net(cls, Dataset(X_VALID, Y_VALID), callbacks=[stop])
    clf.set_params(max_epochs=10).fit(X_TRAIN, Y_TRAIN)
    assert len(clf.history_) == 3  # a missing monitor would raise instead
    assert all(0 <= s <= 1 for s in clf.history_[:, "valid_bal_acc"])


@ESTIMATORS
def test_predict_reads_a_dataset(cls):
    clf = cls(max_epochs=2, random_state=0, device="cpu").fit(X_TRAIN, Y_TRAIN)
    expected = clf.predict(X_VALID)
    np.testing.assert_array_equal(clf.predict(Dataset(X_VALID, Y_VALID)), expected)
    tensors = torch.utils.data.TensorDataset(torch.as_tensor(X_VALID))
    np.testing.assert_array_equal(clf.predict(tensors), expected)
    np.testing.assert_array_equal(
        clf.predict_proba(Dataset(X_VALID)), clf.predict_proba(X_VALID)
    )


def test_a_validation_label_unseen_in_training_is_a_clear_error():
    y_valid = np.where(X_VALID[:, 0] > 0.5, "high", "medium")
    clf = _net(public_estimators()[0], Dataset(X_VALID, y_valid))
    with pytest.raises(
        ValueError,
        match=r"The validation set holds labels \['medium'\] that were not seen in "
        r"training; classes_ is \['high', 'low'\]",
    ):
        clf.fit(X_TRAIN, Y_TRAIN)


def test_a_validation_set_without_labels_is_a_clear_error():
    clf = _net(public_estimators()[0], Dataset(X_VALID))
    with pytest.raises(ValueError, match="validation set from train_split has no"):
        clf.fit(X_TRAIN, Y_TRAIN)
