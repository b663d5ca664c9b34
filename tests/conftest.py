import numpy as np
import pytest
import torch


@pytest.fixture
def rng():
    """A fixed-seed numpy generator for test data."""
    return np.random.default_rng(0)


@pytest.fixture(autouse=True)
def _fixed_torch_seed():
    torch.manual_seed(0)
    yield


# Timing varies on a shared 2-core machine; property tests check maths, not speed.
from hypothesis import settings  # noqa: E402

settings.register_profile("skimb", deadline=None, derandomize=True)
settings.load_profile("skimb")
