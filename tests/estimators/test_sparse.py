"""Sparse input trains sparse: batches gathered and multiplied as sparse."""

import numpy as np
import pytest
import scipy.sparse as sp
import torch

from skimb import NetClassifier, WeightedLossClassifier, WeightedSamplerClassifier
from skimb.estimators import fit_many
from skimb.estimators._batches import SparseRows
from skimb.nn import SmallCNN

TINY = dict(max_epochs=3, batch_size=32, module__hidden_units=8, device="cpu")


@pytest.fixture
def bag(rng):
    X = sp.random(
        400, 300, density=0.02, format="csr", dtype=np.float32, random_state=0
    )
    y = np.where(X @ rng.normal(size=300) > 0.3, "spam", "ham")
    return X, y


def test_sparse_rows_gather_what_the_dense_rows_hold(bag):
    X, _ = bag
    rows = SparseRows(X, "cpu", sparse_batches=True)
    dense = X.toarray()
    index = torch.tensor([5, 0, 399, 5, 17])  # repeats, as a sampler draws
    batch = rows.rows(index)
    assert batch.layout == torch.sparse_coo
    np.testing.assert_array_equal(batch.to_dense().numpy(), dense[index.numpy()])
    subset = rows.index_select(0, torch.tensor([3, 1, 2]))
    assert len(subset) == 3
    np.testing.assert_array_equal(subset[0:3].to_dense().numpy(), dense[[3, 1, 2]])
    np.testing.assert_array_equal(rows[10:14].to_dense().numpy(), dense[10:14])
    plain = SparseRows(X, "cpu")  # a module that takes no sparse batches
    assert plain.rows(index).layout == torch.strided


@pytest.mark.parametrize("cls", [WeightedLossClassifier, WeightedSamplerClassifier])
@pytest.mark.parametrize("early_stopping", [False, True])
def test_a_sparse_fit_is_the_dense_fit(cls, early_stopping, bag):
    X, y = bag
    kw = dict(random_state=0, n_threads=1, early_stopping=early_stopping, **TINY)
    sparse = cls(**kw).fit(X, y)
    dense = cls(**kw).fit(X.toarray(), y)
    np.testing.assert_allclose(
        sparse.predict_proba(X), dense.predict_proba(X.toarray()), atol=1e-5
    )
    assert sparse.best_epoch_ == dense.best_epoch_


def test_a_matrix_too_wide_to_densify_trains(rng):
    """2,000 rows x 2,000,000 columns (16 GB dense) with 20,000 non-zeros."""
    n, d = 2_000, 2_000_000
    rows = rng.integers(0, n, size=20_000)
    cols = rng.integers(0, d, size=20_000)
    X = sp.csr_matrix((np.ones(20_000, np.float32), (rows, cols)), shape=(n, d))
    y = np.where(np.arange(n) % 10 == 0, 1, 0)
    est = WeightedLossClassifier(max_epochs=1, batch_size=256, module__hidden_units=2)
    est.fit(X, y)
    assert est.predict_proba(X[:5]).shape == (5, 2)


def test_a_module_without_sparse_support_gets_dense_batches(bag):
    X, y = bag
    X = X[:, :64]
    est = NetClassifier(module=SmallCNN, max_epochs=1, device="cpu").fit(X, y)
    assert est.predict(X[:4]).shape == (4,)


def test_fit_many_trains_sparse_nets_as_their_own_fits(bag):
    X, y = bag

    def make():
        return [NetClassifier(random_state=k, n_threads=1, **TINY) for k in range(2)]

    separate = [est.fit(X, y) for est in make()]
    together = fit_many(make(), [X, X], [y, y])
    for a, b in zip(separate, together, strict=True):
        np.testing.assert_allclose(b.predict_proba(X), a.predict_proba(X), atol=1e-5)
