"""The shared tabular preprocessing: imputation, scaling, one-hot, clear errors."""

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import make_column_transformer
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder

import skimb
from skimb.evaluation._preprocessing import check_encodable, make_preprocessor
from skimb.preprocessing import SmoothClipScaler


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
    assert numeric.named_steps["simpleimputer"].statistics_ == pytest.approx([30.0])
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
    # Median-centred, and a column says where the first was missing.
    assert np.median(Xt[:, :2], axis=0) == pytest.approx([0, 0], abs=1e-12)
    flag = Xt[:, 2]  # scaled with the rest
    assert flag[0] == flag[2] < flag[1]
    standard = make_preprocessor(X, scaling="standard").fit_transform(X)
    assert standard[:, :2].mean(axis=0) == pytest.approx([0, 0], abs=1e-12)
    with pytest.raises(ValueError, match="scaling must be one of 'smooth-clip'"):
        make_preprocessor(X, scaling="minmax")


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
    real_fit = SmoothClipScaler.fit

    def spy(self, X, y=None):
        seen.append(len(X))
        return real_fit(self, X, y)

    monkeypatch.setattr(SmoothClipScaler, "fit", spy)
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


# ---- columns left out, many levels, wrong types at predict ----------------------
def _with_unusable(n=40, seed=0):
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "Unnamed: 0": np.arange(n),  # an index written by to_csv
            "customer": [f"C{i:04d}" for i in rng.permutation(n)],
            "comment": [
                f"the parcel number {i} came late and damaged" for i in range(n)
            ],
            "amount": rng.normal(size=n),  # unique per row, but measured: kept
            "balance": rng.choice(10**6, n, replace=False),  # unique, sparse: kept
            "visits": rng.integers(0, 5, n),
            "country": rng.choice(["fr", "de", "it"], n),
        }
    )


def test_identifiers_row_numbers_and_free_text_are_left_out():
    from skimb.evaluation._preprocessing import unusable_columns

    df = _with_unusable()
    reasons = unusable_columns(df)
    assert list(reasons) == ["Unnamed: 0", "customer", "comment"]
    assert reasons["Unnamed: 0"].startswith("a row number")
    assert reasons["customer"].startswith("an identifier (40 distinct values")
    assert reasons["comment"].startswith("free text")
    pre = make_preprocessor(df).fit(df)
    names = " ".join(pre.get_feature_names_out())
    for gone in reasons:
        assert gone not in names
    for kept in ("amount", "balance", "visits", "country_fr"):
        assert kept in names
    # A few rows are too few to judge; arrays keep every column.
    assert unusable_columns(df.head(10)) == {}
    assert unusable_columns(df[["amount"]].to_numpy()) == {}


def test_a_table_of_identifiers_only_is_a_clear_error():
    df = _with_unusable()[["customer", "comment"]]
    with pytest.raises(ValueError, match="no column left to train on.*'customer'"):
        make_preprocessor(df)


def test_compare_notes_the_columns_left_out(tiny, churn):
    df = churn(n=120).assign(ticket=[f"T{i}" for i in range(120)])
    with pytest.warns(UserWarning, match="'ticket' is an identifier") as record:
        skimb.compare(df, target="label", methods=["baseline"], output=None, **tiny)
    note = next(w for w in record if "'ticket'" in str(w.message))
    assert note.filename == __file__  # points at the caller of compare


def test_many_levels_are_capped_and_unseen_levels_go_to_the_rare_column():
    from skimb.evaluation._preprocessing import MAX_CATEGORIES

    levels = [f"shop{i}" for i in range(200)]
    df = pd.DataFrame({"shop": levels * 3, "amount": np.arange(600.0) % 7})
    pre = make_preprocessor(df, encoding="one-hot").fit(df)
    shop = [n for n in pre.get_feature_names_out() if "shop" in n]
    assert len(shop) == MAX_CATEGORIES
    assert "categorical__shop_infrequent_sklearn" in shop
    Xt = pre.transform(df.head(2).assign(shop="never-seen"))
    Xt = Xt.toarray() if hasattr(Xt, "toarray") else Xt
    rare = list(pre.get_feature_names_out()).index(
        "categorical__shop_infrequent_sklearn"
    )
    assert (Xt[:, rare] == 1).all()


def test_a_column_of_the_wrong_type_at_predict_is_named():
    df = _frame()
    pre = make_preprocessor(df).fit(df)
    with pytest.raises(
        ValueError,
        match=r"column 'amount' must hold numbers, as it did at fit \(dtype "
        r"float64\); got text \(dtype .*, e.g. 'abc'\)",
    ):
        pre.transform(df.assign(amount=["abc", "1", "2", "3"]))
    with pytest.raises(
        ValueError, match=r"column 'country' must hold text.*got numbers"
    ):
        pre.transform(df.assign(country=[1, 2, 3, 4]))
    # Every value missing (a csv row with an empty field) is no wrong type.
    one = df.head(1).assign(country=[np.nan], amount=[None])
    assert pre.transform(one).shape[0] == 1


def _shops(n=600, seed=0):
    """A 200-level shop column whose level sets the label, and a 2-level one."""
    rng = np.random.default_rng(seed)
    shop = rng.integers(0, 200, n)
    df = pd.DataFrame(
        {
            "shop": [f"shop{i}" for i in shop],
            "channel": rng.choice(["web", "app"], n),
            "amount": rng.normal(size=n),
        }
    )
    return df, np.where(shop < 20, "fraud", "ok")


def test_target_encoding_gives_a_many_level_column_one_scaled_column():
    df, y = _shops()
    pre = make_preprocessor(df, encoding="target").fit(df, y)
    names = list(pre.get_feature_names_out())
    assert names == [
        "numeric__amount",
        "categorical__channel_app",
        "categorical__channel_web",
        "target-encoded__shop",
    ]
    Xt = pre.transform(df)
    shop = Xt[:, names.index("target-encoded__shop")]
    # The risky shops apart from the others (as the share of the second
    # label, 'ok': below them).
    assert shop[y == "fraud"].max() < shop[y == "ok"].min()
    # An unseen shop lands between the two.
    unseen = pre.transform(df.head(1).assign(shop="never-seen"))[0, -1]
    assert shop[y == "fraud"].max() < unseen < shop[y == "ok"].min()
    # Three classes: one column per class.
    three = np.where(df["amount"] > 1, "chargeback", y)
    assert make_preprocessor(df, encoding="target").fit_transform(df, three).shape == (
        600,
        6,
    )
    # Gradient boosting's native categories are unchanged by it.
    native = make_preprocessor(df, encoding="target", native_categories=True)
    assert native.fit_transform(df, y).shape == (600, 3)


def test_target_encoding_is_cross_fitted_so_a_rows_own_label_does_not_leak():
    from sklearn.metrics import roc_auc_score

    # 200 shops of 3 rows each; the labels are noise, so a row's encoded
    # shop says something of its label only through the row's own label.
    rng = np.random.default_rng(0)
    shops = rng.permutation(np.arange(600) % 200)
    df = pd.DataFrame({"shop": [f"s{i}" for i in shops], "x": rng.normal(size=600)})
    y = rng.random(600) < 0.3
    pre = make_preprocessor(df, encoding="target")
    leaked = pre.fit(df, y).transform(df)[:, -1]
    assert roc_auc_score(y, leaked) > 0.75  # fitted, then applied to itself
    crossed = make_preprocessor(df, encoding="target").fit_transform(df, y)[:, -1]
    assert roc_auc_score(y, crossed) < 0.62


def test_bad_encoding_is_named():
    df, _ = _shops(20)
    with pytest.raises(
        ValueError, match=r"encoding must be one of 'target', 'one-hot'; got 'ordinal'"
    ):
        make_preprocessor(df, encoding="ordinal")


def test_compare_target_encodes_by_default_and_its_model_loads(tmp_path):
    df, y = _shops(400)
    result = skimb.compare(
        df.assign(label=y),
        target="label",
        methods=["weighted-loss", "logreg"],
        cv=2,
        max_epochs=2,
        hidden_units=8,
        output=tmp_path / "out",
        progress=False,
        plots=False,
    )
    assert result.config["preprocessing"] == "tabular (smooth-clip, target encoding)"
    model = skimb.load(tmp_path / "out" / "model.skimb")
    pipeline = getattr(model, "estimator", model)  # under a set threshold
    assert "target-encoded__shop" in pipeline[0].get_feature_names_out()
    np.testing.assert_array_equal(model.predict(df), result.model.predict(df))


def test_a_sparse_matrix_is_compared_sparse_with_the_l2_recipe(tmp_path, tiny):
    import scipy.sparse as sp

    rng = np.random.default_rng(0)
    X = sp.random(300, 2_000, density=0.01, format="csr", random_state=0)
    y = np.where(rng.random(300) < 0.15, "spam", "ham")
    X = X.tolil()
    X[np.flatnonzero(y == "spam"), 7] = 1.0  # a word the spam rows share
    X = X.tocsr().astype(np.float32)
    pre = make_preprocessor(X).fit(X)
    assert sp.issparse(pre.transform(X)) and pre.transform(X).nnz == X.nnz
    result = skimb.compare(
        X,
        y,
        methods=["weighted-loss", "logreg"],
        output=tmp_path / "out",
        **tiny,
        plots=False,
    )
    # recipes='auto' asks the data: sparse input adds the L2 penalty.
    assert result.config["methods"] == ["weighted-loss", "weighted-loss+l2", "logreg"]
    assert result.config["preprocessing"] == "sparse (max-abs scaling)"
    assert set(result.rows["method"]) == {"weighted-loss", "weighted-loss+l2", "logreg"}
    model = skimb.load(tmp_path / "out" / "model.skimb")
    np.testing.assert_array_equal(model.predict(X[:20]), result.model.predict(X[:20]))
    # A dense table gets no recipe rows of its own.
    dense = skimb.compare(
        X.toarray(), y, methods=["weighted-loss"], output=None, **tiny, plots=False
    )
    assert dense.config["methods"] == ["weighted-loss"]


def test_gradient_boosting_on_a_sparse_matrix_too_wide_to_densify_is_refused(tiny):
    import scipy.sparse as sp

    from skimb.datasets import DataSplit
    from skimb.evaluation._plan import _check_dense

    X = sp.random(400, 300_000, density=1e-4, format="csr", random_state=0)
    y = np.repeat([0, 1], [360, 40])
    split = DataSplit(X, y, X, y, name="words")
    # 400 x 300,000 cells dense: about 1.3 GiB.
    with pytest.raises(ValueError, match=r"hgb needs the sparse 400 x 300000 matrix"):
        _check_dense(split, ["weighted-loss", "hgb"], memory=2 * 2**30)
    _check_dense(split, ["weighted-loss", "hgb"], memory=8 * 2**30)  # fits
    _check_dense(split, ["weighted-loss", "logreg"], memory=2**20)  # all sparse
