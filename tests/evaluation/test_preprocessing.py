"""The shared tabular preprocessing: imputation, scaling, one-hot, clear errors."""

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import make_column_transformer
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

import skimb
from skimb.evaluation._preprocessing import check_encodable, make_preprocessor


def _frame():
    return pd.DataFrame(
        {
            "amount": [10.0, np.nan, 30.0, 50.0],
            "country": ["fr", "de", None, "fr"],
            "vip": [True, False, False, True],
            "tier": pd.Categorical(["a", "b", "a", "b"]),
        }
    )


def test_numeric_columns_are_imputed_with_the_median_and_scaled():
    out = make_preprocessor(_frame()).fit(_frame())
    numeric = out.named_transformers_["numeric"]
    assert numeric[0].statistics_ == pytest.approx([30.0])
    Xt = out.transform(_frame())
    Xt = Xt.toarray() if hasattr(Xt, "toarray") else Xt
    assert Xt[:, 0].mean() == pytest.approx(0.0, abs=1e-12)
    assert Xt[1, 0] == pytest.approx(0.0)  # the median, after scaling: 0


def test_categorical_columns_are_one_hot_and_unseen_categories_ignored():
    pre = make_preprocessor(_frame()).fit(_frame())
    encoder = pre.named_transformers_["categorical"]
    assert set(encoder.feature_names_in_) == {"country", "vip", "tier"}
    new = _frame().assign(country=["xx", "xx", "xx", "xx"])
    Xt = pre.transform(new)
    Xt = Xt.toarray() if hasattr(Xt, "toarray") else Xt
    country = [i for i, n in enumerate(pre.get_feature_names_out()) if "country" in n]
    assert np.all(Xt[:, country] == 0)


def test_arrays_get_the_numeric_part_only():
    X = np.array([[1.0, 2.0], [np.nan, 4.0], [3.0, 6.0]])
    pre = make_preprocessor(X)
    Xt = pre.fit_transform(X)
    assert list(pre.named_transformers_) == ["numeric"]
    assert not np.isnan(Xt).any()
    assert Xt.mean(axis=0) == pytest.approx([0, 0], abs=1e-12)


def test_columns_that_cannot_be_encoded_are_named():
    bad = pd.DataFrame({"ok": [1.0, 2.0], "mixed": ["a", 3]})
    with pytest.raises(ValueError, match="column 'mixed' mixes text and other"):
        check_encodable(bad)
    dates = pd.DataFrame({"when": pd.to_datetime(["2024-01-01", "2024-02-01"])})
    with pytest.raises(ValueError, match="column 'when' has dtype datetime64"):
        check_encodable(dates)
    with pytest.raises(ValueError, match="X must hold numbers"):
        check_encodable(np.array([["a", "b"]]))
    check_encodable(_frame())  # no error


@pytest.mark.parametrize("budget", ["auto", "fixed"])
@pytest.mark.usefixtures("stop_on_any_split")
def test_the_scaler_sees_the_training_fold_only(monkeypatch, tiny, churn, budget):
    from skimb.evaluation._options import RunConfig
    from skimb.evaluation._plan import plan_comparison

    df = churn(n=200)
    kwargs = dict(
        target="label",
        methods=["baseline"],
        output=None,
        test_size=0.25,
        budget=budget,
        **tiny,
    )
    tasks = plan_comparison(df, None, RunConfig(**kwargs)).tasks("baseline")
    seen = []
    real_fit = StandardScaler.fit

    def spy(self, X, y=None, sample_weight=None):
        seen.append(len(X))
        return real_fit(self, X, y, sample_weight)

    monkeypatch.setattr(StandardScaler, "fit", spy)
    result = skimb.compare(df, **kwargs)
    assert (result.rows["status"] == "ok").all()
    n_train = 150
    # One trial fit on the training part (the encodability check), then one
    # fit per fold (half of it) and one on the whole training part for
    # the held-out test: never anything that includes held-out rows, nor
    # (with early stopping) the rows the net's stopping is scored on.
    assert seen == [n_train, *(len(t.train) for t in tasks)]
    sizes = [len(t.train) + (0 if t.stop is None else len(t.stop)) for t in tasks]
    assert sizes == [n_train // 2, n_train - n_train // 2, n_train]
    if budget == "fixed":
        assert all(t.stop is None for t in tasks)
    else:
        assert all(0 < len(t.stop) < len(t.train) / 5 for t in tasks)


def test_sparse_one_hot_pipelines_end_to_end(churn):
    df = churn().dropna()
    pipe = make_pipeline(
        make_column_transformer((OneHotEncoder(), ["plan"]), remainder="drop"),
        skimb.WeightedLossClassifier(
            max_epochs=1, module__hidden_units=4, device="cpu"
        ),
    )
    assert set(pipe.fit(df, df["label"]).predict(df)) <= {"churn", "stay"}
