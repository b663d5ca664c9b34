"""Hypothesis strategies for label vectors, shared by the property tests.

``@given`` takes its strategies when the test module is imported, before any
fixture exists, so they live in this importable helper, not in ``conftest.py``.
"""

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

label_types = st.sampled_from(["int", "negint", "str", "float"])


def relabel(codes, kind):
    """The class codes 0..k-1 renamed, keeping their order, as labels of ``kind``."""
    mapping = {
        "int": lambda c: c * 3 + 1,
        "negint": lambda c: -100 + 7 * c,
        "str": lambda c: f"class-{c:02d}",
        "float": lambda c: c / 4.0,
    }[kind]
    return np.array(
        [mapping(int(c)) for c in codes], dtype=object if kind == "str" else None
    )


@st.composite
def label_vectors(draw, min_classes=2, max_classes=6):
    """Shuffled class codes 0..k-1, every class present."""
    k = draw(st.integers(min_classes, max_classes))
    codes = draw(arrays(np.int64, st.integers(k, 60), elements=st.integers(0, k - 1)))
    codes[:k] = np.arange(k)  # every class present
    perm = draw(st.permutations(range(len(codes))))
    return codes[list(perm)]
