"""skimb.save / skimb.load of pipelines and scikit-learn estimators: skimb
nets as plain data, every other step through skops' allow-list."""

import os

import numpy as np
import pandas as pd
import pytest
import torch
from imblearn.ensemble import BalancedRandomForestClassifier
from imblearn.over_sampling import RandomOverSampler
from imblearn.pipeline import Pipeline as ImbPipeline
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler

import skimb
from skimb import NetClassifier, WeightedLossClassifier
from skimb.evaluation._preprocessing import make_preprocessor


@pytest.fixture
def table():
    rng = np.random.default_rng(0)
    n = 120
    df = pd.DataFrame(
        {
            "amount": rng.normal(size=n),
            "country": rng.choice(["fr", "de", "it"], n),
            "age": rng.normal(size=n),
        }
    )
    df.loc[[3, 7], "amount"] = np.nan
    y = np.where(df["age"] + 0.5 * rng.normal(size=n) > 1.0, "fraud", "ok")
    return df, y


def _tiny(cls, **kwargs):
    return cls(
        max_epochs=2, module__hidden_units=8, device="cpu", random_state=0, **kwargs
    )


def test_imblearn_pipeline_with_preprocessing_round_trips(table, tmp_path):
    X, y = table
    model = ImbPipeline(
        [
            ("preprocess", make_preprocessor(X)),
            ("resample", RandomOverSampler(random_state=0)),
            ("model", _tiny(WeightedLossClassifier, prior="balanced")),
        ]
    ).fit(X, y)
    loaded = skimb.load(skimb.save(model, tmp_path / "model.skimb"))
    assert isinstance(loaded, ImbPipeline)
    assert [name for name, _ in loaded.steps] == ["preprocess", "resample", "model"]
    assert loaded[-1].prior == "balanced"
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    np.testing.assert_allclose(loaded.predict_proba(X), model.predict_proba(X))
    # Unseen rows with an unseen category go through the same preprocessing.
    new = X.head(5).assign(country="es")
    np.testing.assert_array_equal(loaded.predict(new), model.predict(new))


def test_sklearn_pipeline_round_trips(tmp_path, rng):
    X = rng.normal(size=(60, 4)).astype(np.float32)
    y = np.r_[np.zeros(50, int), np.ones(10, int)]
    model = make_pipeline(StandardScaler(), _tiny(NetClassifier)).fit(X, y)
    loaded = skimb.load(skimb.save(model, tmp_path / "m.skimb"), device="cpu")
    assert type(loaded) is type(model)
    np.testing.assert_allclose(loaded.predict_proba(X), model.predict_proba(X))


@pytest.mark.parametrize(
    "estimator",
    [
        HistGradientBoostingClassifier(max_iter=5, random_state=0),
        BalancedRandomForestClassifier(
            n_estimators=5,
            random_state=0,
            sampling_strategy="all",
            replacement=True,
            bootstrap=False,
        ),
    ],
    ids=["hgb", "balanced-random-forest"],
)
def test_scikit_learn_estimators_round_trip(estimator, tmp_path, rng):
    X = rng.normal(size=(80, 3))
    y = np.where(X[:, 0] > 0.8, "fraud", "ok")
    model = estimator.fit(X, y)
    loaded = skimb.load(skimb.save(model, tmp_path / "m.skimb"))
    assert type(loaded) is type(model)
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    np.testing.assert_allclose(loaded.predict_proba(X), model.predict_proba(X))


def _double(X):
    return 2 * X


def test_a_step_naming_a_function_is_refused_until_trusted(tmp_path, rng):
    X = rng.normal(size=(40, 3)).astype(np.float32)
    y = np.array([0, 1] * 20)
    model = make_pipeline(FunctionTransformer(_double), _tiny(NetClassifier)).fit(X, y)
    path = skimb.save(model, tmp_path / "m.skimb")
    name = f"{__name__}._double"
    with pytest.raises(ValueError, match=rf"outside the allow-list \['{name}'\]"):
        skimb.load(path)
    loaded = skimb.load(path, trusted={name: _double})
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))


def test_a_tampered_step_is_refused(tmp_path, table):
    X, y = table
    model = make_pipeline(make_preprocessor(X), _tiny(NetClassifier)).fit(X, y)
    path = skimb.save(model, tmp_path / "m.skimb")
    payload = torch.load(path, weights_only=True)
    payload["steps"][0]["skops"] = torch.zeros(10, dtype=torch.uint8)
    torch.save(payload, path)
    with pytest.raises(ValueError, match="not a skops archive"):
        skimb.load(path)
    payload["steps"][0]["skops"] = [1, 2, 3]
    torch.save(payload, path)
    with pytest.raises(ValueError, match="not a byte string"):
        skimb.load(path)
    payload["pipeline"] = "os.system"
    payload["steps"] = payload["steps"][1:]
    torch.save(payload, path)
    with pytest.raises(ValueError, match="unknown pipeline class 'os.system'"):
        skimb.load(path)


def test_save_refuses_what_it_cannot_store(tmp_path):
    with pytest.raises(TypeError, match="got dict"):
        skimb.save({"a": 1}, tmp_path / "m.skimb")
    with pytest.raises(Exception, match="not fitted"):
        skimb.save(make_pipeline(StandardScaler(), NetClassifier()), tmp_path / "m")
    assert not os.listdir(tmp_path)
