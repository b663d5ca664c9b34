"""The methods: each a configured estimator, seeded, behind the preprocessing
and its resampler, with settings derived from the net's."""

import numpy as np
import pytest
from imblearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from skimb import compare
from skimb.evaluation import DEFAULT_METHODS, METHODS
from skimb.evaluation._methods import build

NET = dict(max_epochs=10, batch_size=32, lr=0.01, module__hidden_units=8)


def test_default_methods_are_methods():
    assert all(name in METHODS for name in DEFAULT_METHODS)


@pytest.mark.parametrize("name", sorted(METHODS))
def test_every_method_is_built_seeded_and_fresh(name):
    y = np.repeat([0, 1], [40, 10])
    a = build(name, net_settings=NET, seed=3, y=y)
    b = build(name, net_settings=NET, seed=3, y=y)
    assert a is not b
    final = a[-1] if isinstance(a, Pipeline) else a
    assert final.get_params()["random_state"] == 3
    if METHODS[name].is_net:
        assert final.get_params()["module__hidden_units"] == 8
        assert final.get_params()["lr"] == 0.01


def test_the_net_settings_derive_ldam_drw_reweight_epoch():
    est = build("ldam-drw", net_settings=NET, seed=0, y=np.repeat([0, 1], 5))
    assert est.get_params()["reweight_epoch"] == 8  # 80 % of 10 epochs
    assert est.get_params()["max_epochs"] == 10


def test_neighbours_are_capped_by_the_smallest_class():
    y = np.repeat([0, 1, 2], [50, 20, 3])
    smote = build("smote", net_settings=NET, seed=0, y=y)
    assert smote.named_steps["resample"].k_neighbors == 2
    adasyn = build("adasyn", net_settings=NET, seed=0, y=np.repeat([0, 1], [50, 30]))
    assert adasyn.named_steps["resample"].n_neighbors == 5


def test_the_preprocessor_comes_first_and_dense_methods_get_dense_input():
    y = np.repeat([0, 1], 5)
    scaler = StandardScaler()
    net = build("random-over", net_settings=NET, seed=0, y=y, preprocessor=scaler)
    assert list(net.named_steps) == ["preprocess", "resample", "model"]
    assert net.named_steps["preprocess"] is not scaler  # cloned: fitted per fold
    hgb = build("hgb-balanced", net_settings=NET, seed=0, y=y, preprocessor=scaler)
    assert list(hgb.named_steps) == ["preprocess", "dense", "model"]
    assert not isinstance(build("baseline", net_settings=NET, seed=0, y=y), Pipeline)


def test_the_tabular_preprocessing_gives_dense_methods_dense_output():
    import pandas as pd

    from skimb.evaluation._preprocessing import make_preprocessor

    X = pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0], "c": ["x", "y", "x", "z"]})
    y = np.array([0, 1, 0, 1])
    preprocessor = make_preprocessor(X)
    hgb = build(
        "hgb-balanced", net_settings=NET, seed=0, y=y, preprocessor=preprocessor
    )
    # No function step: the pipeline holds library types only (skimb.save).
    assert list(hgb.named_steps) == ["preprocess", "model"]
    assert isinstance(hgb[:-1].fit_transform(X, y), np.ndarray)
    assert preprocessor.sparse_threshold == 0.3  # the shared one is untouched


def test_gradient_boosting_splits_on_the_categories_and_missing_values_itself(
    tmp_path,
):
    import pandas as pd

    import skimb
    from skimb.evaluation._preprocessing import make_preprocessor

    rng = np.random.default_rng(0)
    n = 400
    X = pd.DataFrame(
        {
            "amount": np.where(rng.random(n) < 0.1, np.nan, rng.lognormal(3, 1, n)),
            "merchant": rng.choice([f"m{i}" for i in range(300)], n),
            "channel": rng.choice(["web", "app"], n),
        }
    )
    y = (X["channel"] == "web").to_numpy() & (rng.random(n) < 0.3)
    preprocessor = make_preprocessor(X, native_categories=True).fit(X)
    hgb = build("hgb", net_settings=NET, seed=0, y=y, preprocessor=preprocessor)
    # The codes come first: two categorical columns, then the amount, unscaled
    # and still missing where it was.
    assert hgb[-1].categorical_features == [0, 1]
    Xt = hgb[:-1].fit_transform(X, y)
    assert Xt.shape == (n, 3)
    assert np.isnan(Xt[:, 2]).sum() == X["amount"].isna().sum()
    np.testing.assert_allclose(Xt[:, 2], X["amount"].to_numpy())
    assert np.nanmax(Xt[:, 0]) < 255  # at most 250 levels: gradient boosting's bins
    hgb.fit(X, y)
    new = X.head(3).assign(merchant=["never", "seen", "before"])
    assert hgb.predict_proba(new).shape == (3, 2)  # unseen levels read as missing
    path = skimb.save(hgb, tmp_path / "hgb.skimb")
    np.testing.assert_array_equal(
        skimb.load(path).predict_proba(X), hgb.predict_proba(X)
    )


def test_strong_references_are_defaults_and_posthoc_la_is_replaced():
    assert "logit-adjusted" in DEFAULT_METHODS
    # A tree ensemble of each kind and a linear model: the default verdict
    # holds the models that win on tables.
    assert {"hgb", "balanced-random-forest", "logreg"} <= set(DEFAULT_METHODS)
    assert not {"easy-ensemble", "rusboost", "balanced-bagging"} & set(DEFAULT_METHODS)
    assert "posthoc-la" not in METHODS
    with pytest.raises(ValueError, match="'posthoc-la' is no longer a method"):
        compare(methods=["posthoc-la"], output=None, progress=False)


def test_a_net_method_with_a_recipe_is_that_method_trained_so():
    from skimb.evaluation import RECIPES

    y = np.repeat([0, 1], [40, 10])
    smooth = build("logit-adjusted+smooth", net_settings=NET, seed=1, y=y)
    assert smooth.get_params()["criterion__label_smoothing"] == 0.2
    assert type(smooth) is type(build("logit-adjusted", net_settings=NET, seed=1, y=y))
    l2 = build("smote+l2", net_settings=NET, seed=1, y=y)
    assert l2[-1].get_params()["optimizer__weight_decay"] == 0.01
    assert l2[-1].get_params()["module__hidden_units"] == 8  # the settings still apply
    assert "smoothing" not in repr(METHODS["logit-adjusted"].estimator.get_params())
    # Only nets take recipes, and +smooth only nets with a cross-entropy.
    for name in ("hgb+l2", "focal+smooth", "baseline+bogus", "bogus+smooth", "+smooth"):
        assert name not in METHODS
        with pytest.raises(KeyError):
            METHODS[name]
    assert set(RECIPES) == {"smooth", "l2"}


def test_compare_names_each_row_by_its_recipe(split, tiny):
    with pytest.raises(
        ValueError, match=r"\+smooth or \+l2.*unknown: \['focal\+smooth'"
    ):
        compare(split, methods=["baseline", "focal+smooth"], output=None, **tiny)
    with pytest.raises(ValueError, match=r"must not repeat a method"):
        compare(split, methods=["baseline", "baseline"], output=None, **tiny)
    result = compare(
        split, methods=["weighted-loss", "weighted-loss+smooth"], output=None, **tiny
    )
    assert set(result.rows["method"]) == {"weighted-loss", "weighted-loss+smooth"}
    s = result.summary(rule="trained").set_index("method")
    assert (s["average_precision_mean"] > 0).all()
