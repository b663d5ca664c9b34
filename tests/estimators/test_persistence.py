"""save()/load(): plain data and tensors, no code execution, identical predictions."""

import os
import pickle
import stat
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from skorch.callbacks import EpochScoring

import skimb
from skimb import NetClassifier, WeightedLossClassifier, WeightedSamplerClassifier
from skimb.estimators import EffectiveNumber
from skimb.nn import FocalLoss, SimpleNet

X = np.random.default_rng(0).random((60, 6), dtype=np.float32)
y = np.repeat(["ant", "bee", "cat"], [40, 15, 5])


@pytest.mark.parametrize(
    "estimator",
    [
        NetClassifier(max_epochs=2, random_state=0, prior="balanced"),
        WeightedLossClassifier(
            max_epochs=2,
            random_state=0,
            criterion=FocalLoss,
            class_weight=EffectiveNumber(0.9),
            reweight_epoch=1,
        ),
        WeightedSamplerClassifier(
            max_epochs=2, random_state=0, num_samples=30, module__hidden_units=7
        ),
    ],
)
def test_round_trip_predicts_identically(estimator, tmp_path):
    estimator.set_params(device="cpu").fit(X, y)
    path = skimb.save(estimator, tmp_path / "model.skimb")
    loaded = skimb.load(path)
    assert type(loaded) is type(estimator)
    np.testing.assert_array_equal(loaded.predict_proba(X), estimator.predict_proba(X))
    np.testing.assert_array_equal(loaded.predict(X), estimator.predict(X))
    assert (
        loaded.get_params(deep=False).keys() == estimator.get_params(deep=False).keys()
    )
    assert list(loaded.classes_) == ["ant", "bee", "cat"]
    if hasattr(estimator, "class_weight_"):
        np.testing.assert_array_equal(loaded.class_weight_, estimator.class_weight_)


def test_feature_names_survive(tmp_path):
    df = pd.DataFrame(X, columns=list("abcdef"))
    clf = NetClassifier(max_epochs=1, device="cpu").fit(df, y)
    loaded = skimb.load(skimb.save(clf, tmp_path / "m"))
    assert list(loaded.feature_names_in_) == list("abcdef")
    np.testing.assert_array_equal(loaded.predict(df), clf.predict(df))


def test_training_only_params_dropped_with_warning(tmp_path):
    clf = NetClassifier(
        max_epochs=1, device="cpu", callbacks=[("f1", EpochScoring("f1_macro"))]
    ).fit(X, y)
    with pytest.warns(UserWarning, match="training-only parameters \\['callbacks'\\]"):
        path = skimb.save(clf, tmp_path / "m")
    assert skimb.load(path).callbacks is None


class _Boom:
    def __reduce__(self):
        import os

        return (os.system, ("touch /tmp/skimb-pwned",))


@pytest.mark.filterwarnings("ignore:Detected pickle protocol")
def test_malicious_pickle_refused_and_not_run(tmp_path):
    import os

    if os.path.exists("/tmp/skimb-pwned"):
        os.unlink("/tmp/skimb-pwned")
    path = tmp_path / "evil.skimb"
    torch.save({"format": "skimb-estimator", "payload": _Boom()}, path)
    with pytest.raises(ValueError, match="refused to load .*plain data and tensors"):
        skimb.load(path)
    assert not os.path.exists("/tmp/skimb-pwned")
    # the same model pickled is not a skimb file either
    clf = NetClassifier(max_epochs=1, device="cpu").fit(X, y)
    (tmp_path / "pickled").write_bytes(pickle.dumps(clf))
    with pytest.raises(ValueError, match="refused to load"):
        skimb.load(tmp_path / "pickled")


@pytest.mark.parametrize(
    "tamper, match",
    [
        (
            lambda p: p.update(format="other"),
            "not a skimb-estimator or skimb-pipeline file",
        ),
        (lambda p: p.update(version=99), "format version 99"),
        (lambda p: p.update(estimator="os.system"), "unknown estimator"),
        (
            lambda p: p["params"].update(module={"class": "os.system"}),
            "not in the allow-list",
        ),
        (
            lambda p: p["module_state"].update({"fc1.weight": torch.zeros(2, 2)}),
            "weights do not fit",
        ),
        (lambda p: p.pop("fitted"), "'fitted' is missing"),
    ],
)
def test_tampered_files_refused(tamper, match, tmp_path):
    clf = NetClassifier(max_epochs=1, device="cpu").fit(X, y)
    path = skimb.save(clf, tmp_path / "m")
    payload = torch.load(path, weights_only=True)
    tamper(payload)
    torch.save(payload, path)
    with pytest.raises(ValueError, match=match):
        skimb.load(path)


def test_garbage_and_missing_files(tmp_path):
    (tmp_path / "junk").write_bytes(b"\x00not a model" * 10)
    with pytest.raises(ValueError, match="refused to load"):
        skimb.load(tmp_path / "junk")
    with pytest.raises(FileNotFoundError):
        skimb.load(tmp_path / "absent")


class Wide(SimpleNet):
    pass


def test_custom_module_needs_trust(tmp_path):
    clf = NetClassifier(Wide, max_epochs=1, device="cpu").fit(X, y)
    path = skimb.save(clf, tmp_path / "m")
    with pytest.raises(
        ValueError, match="names the class '.*Wide'.*not in the allow-list.*trusted="
    ):
        skimb.load(path)
    name = f"{Wide.__module__}.{Wide.__qualname__}"
    loaded = skimb.load(path, trusted={name: Wide})
    np.testing.assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))


def test_non_plain_parameter_refused(tmp_path):
    clf = NetClassifier(max_epochs=1, device="cpu", module__init_scale=object())
    clf.__dict__.pop("module__init_scale")
    clf.fit(X, y)
    clf.set_params(lr=np.float64(0.01))  # numpy scalars are fine
    skimb.save(clf, tmp_path / "ok")
    clf.lr = object()
    with pytest.raises(TypeError, match="parameter lr=.* cannot be saved"):
        skimb.save(clf, tmp_path / "m")


def test_unfitted_cannot_be_saved(tmp_path):
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        skimb.save(NetClassifier(), tmp_path / "m")


def test_bad_persistence_files(tmp_path):
    (tmp_path / "junk").write_bytes(b"garbage")
    with pytest.raises(ValueError, match="refused to load .*not a skimb model file"):
        skimb.load(tmp_path / "junk")
    torch.save({"format": "something-else"}, tmp_path / "other")
    with pytest.raises(
        ValueError, match="not a skimb-estimator or skimb-pipeline file"
    ):
        skimb.load(tmp_path / "other")
    with pytest.raises(FileNotFoundError):
        skimb.load(tmp_path / "missing")


def test_save_int_keyed_class_weight_and_torch_device(tmp_path, gauss60):
    X = gauss60
    y = np.arange(60) % 2
    clf = WeightedLossClassifier(
        class_weight={0: 1.0, 1: 5.0}, max_epochs=1, device=torch.device("cpu")
    ).fit(X, y)
    path = skimb.save(clf, tmp_path / "m")
    loaded = skimb.load(path)
    assert loaded.class_weight == {0: 1.0, 1: 5.0}
    np.testing.assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))
    mask = os.umask(0)
    os.umask(mask)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o666 & ~mask


@pytest.mark.parametrize("name", ["net", "weighted_loss", "weighted_sampler"])
def test_files_of_version_0_1_0_still_load(name):
    # Written by skimb 0.1.0 (flat modules) before the package was laid out in
    # layers: a saved model must outlive a move of the code that wrote it.
    data = Path(__file__).parent.parent / "data"
    expected = np.load(data / "saved-0.1.0-expected.npz")
    clf = skimb.load(data / f"{name}-0.1.0.skimb")
    np.testing.assert_allclose(
        clf.predict_proba(expected["X"]), expected[name], rtol=1e-6, atol=1e-7
    )
    assert list(clf.classes_) == ["fraud", "ok"]


def test_a_table_is_not_a_model_file(tmp_path):
    path = tmp_path / "fraud.csv"
    pd.DataFrame({"amount": [1.0, 2.0], "label": ["ok", "fraud"]}).to_csv(path)
    with pytest.raises(
        ValueError,
        match=r"refused to load '.*fraud\.csv': it is not a skimb model file "
        r"\(a file written by skimb\.save",
    ):
        skimb.load(path)


def test_a_saved_preprocessing_drops_identifiers_and_names_wrong_types(tmp_path):
    from sklearn.pipeline import make_pipeline

    from skimb.evaluation._preprocessing import make_preprocessor

    rng = np.random.default_rng(0)
    n = 60
    df = pd.DataFrame(
        {
            "order_id": [f"O{i}" for i in range(n)],
            "amount": rng.normal(size=n),
            "country": rng.choice(["fr", "de"], n),
        }
    )
    labels = np.where(df["amount"] > 0.5, "fraud", "ok")
    model = make_pipeline(
        make_preprocessor(df), NetClassifier(max_epochs=1, device="cpu")
    ).fit(df, labels)
    loaded = skimb.load(skimb.save(model, tmp_path / "m.skimb"))
    assert "order_id" not in " ".join(loaded[0].get_feature_names_out())
    # The left-out column may hold anything at predict time.
    np.testing.assert_array_equal(
        loaded.predict(df.assign(order_id=np.nan)), model.predict(df)
    )
    with pytest.raises(
        ValueError, match=r"column 'amount' must hold numbers.*float64.*got text"
    ):
        loaded.predict(df.head(2).assign(amount=["12,5", "3"]))
