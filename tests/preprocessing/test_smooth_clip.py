"""SmoothClipScaler: robust scaling with smooth clipping, as RealMLP does it."""

import numpy as np
import pandas as pd
import pytest

from skimb import SmoothClipScaler


def test_the_output_is_the_formula():
    rng = np.random.default_rng(0)
    X = np.column_stack([rng.lognormal(3, 1.2, 500), rng.normal(10, 2, 500)])
    Xt = SmoothClipScaler(clip=3.0).fit_transform(X)
    q25, med, q75 = np.percentile(X, [25, 50, 75], axis=0)
    z = (X - med) / (q75 - q25)
    np.testing.assert_allclose(Xt, z / np.sqrt(1 + (z / 3.0) ** 2), rtol=1e-12)


def test_heavy_tails_keep_their_order_within_the_bound():
    rng = np.random.default_rng(1)
    amounts = rng.lognormal(3, 1.5, (2000, 1))
    Xt = SmoothClipScaler(clip=3.0).fit_transform(amounts).ravel()
    assert np.abs(Xt).max() < 3.0
    order = np.argsort(amounts.ravel(), kind="stable")
    assert np.all(np.diff(Xt[order]) >= 0)  # monotone: the ranking is kept
    # The bulk spreads out instead of sitting in a narrow band near zero, as
    # it does after standard scaling.
    standard = (amounts - amounts.mean()) / amounts.std()
    middle = slice(500, 1500)
    spread = np.ptp(np.sort(Xt)[middle])
    assert spread > 3 * np.ptp(np.sort(standard.ravel())[middle])


def test_constant_and_zero_iqr_columns_and_missing_values():
    X = np.array(
        [
            [5.0, 0.0, 1.0],
            [5.0, 0.0, np.nan],
            [5.0, 0.0, 3.0],
            [5.0, 0.0, 2.0],
            [5.0, 4.0, 2.0],
        ]
    )
    scaler = SmoothClipScaler().fit(X)
    # Constant: 0; zero IQR: half the range; NaN ignored at fit, kept after.
    assert scaler.scale_.tolist() == [0.0, 2.0, 0.5]
    Xt = scaler.transform(X)
    assert (Xt[:, 0] == 0).all()
    assert np.isnan(Xt[1, 2]) and not np.isnan(np.delete(Xt[:, 2], 1)).any()


def test_it_fits_a_pipeline_with_feature_names():
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import make_pipeline

    df = pd.DataFrame({"amount": [1.0, 2.0, np.nan, 400.0], "age": [20, 30, 40, 50]})
    pipe = make_pipeline(SimpleImputer(add_indicator=True), SmoothClipScaler())
    out = pipe.set_output(transform="pandas").fit_transform(df)
    assert list(out.columns) == ["amount", "age", "missingindicator_amount"]
    with pytest.raises(ValueError, match="clip"):
        SmoothClipScaler(clip=0).fit(df[["age"]])
