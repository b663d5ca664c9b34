"""The check that a net trained by fit_many is the net its own fit trains."""

import contextlib

import numpy as np
import pytest

from skimb.estimators import _fit_many


@contextlib.contextmanager
def stacked_groups():
    """Record the estimators of each group that fit_many trains in one loop.

    Yields a list that receives, per call of the training loop, the list of
    its estimators: proof that nets were trained together, which no
    comparison of floats can give (the batched sums may or may not round
    as the separate ones do, depending on the processor).
    """
    groups = []
    real = _fit_many.train

    def spy(members, *args, **kwargs):
        groups.append([member.est for member in members])
        return real(members, *args, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_fit_many, "train", spy)
        yield groups


def assert_same_fit(separate, together, X, *, atol=1e-5):
    """Parameters, optimizer state, history and predictions agree."""
    for (name, p), q in zip(
        separate.module_.named_parameters(), together.module_.parameters(), strict=True
    ):
        np.testing.assert_allclose(
            q.detach().numpy(), p.detach().numpy(), atol=atol, err_msg=name
        )
    state_a = separate.optimizer_.state_dict()["state"]
    state_b = together.optimizer_.state_dict()["state"]
    assert state_a.keys() == state_b.keys()
    for i, entry in state_a.items():
        assert entry.keys() == state_b[i].keys()
        for key, value in entry.items():
            other = state_b[i][key]
            # The same layout too: fused kernels walk state and parameter
            # memory in step.
            assert (value.dtype, value.device, value.stride()) == (
                other.dtype,
                other.device,
                other.stride(),
            )
            np.testing.assert_allclose(other.numpy(), value.numpy(), atol=atol)

    ha, hb = separate.history_, together.history_
    assert len(ha) == len(hb)
    for row_a, row_b in zip(ha, hb, strict=True):
        assert row_a.keys() == row_b.keys()
        for key in row_a.keys() - {"dur", "batches"}:
            np.testing.assert_allclose(row_b[key], row_a[key], rtol=1e-5)
        for batch_a, batch_b in zip(row_a["batches"], row_b["batches"], strict=True):
            assert batch_a.keys() == batch_b.keys()
            for key, value in batch_a.items():
                np.testing.assert_allclose(batch_b[key], value, rtol=1e-5)
    np.testing.assert_allclose(
        together.predict_proba(X), separate.predict_proba(X), atol=1e-5
    )
    np.testing.assert_array_equal(together.predict(X), separate.predict(X))
