"""fit_many: K nets trained in one loop equal K separate fits."""

import pickle

import numpy as np
import pytest
import torch
from _same_fit import assert_same_fit, stacked_groups
from sklearn.base import clone
from skorch.callbacks import EarlyStopping
from skorch.dataset import ValidSplit
from torch import nn

import skimb.nn
from skimb import NetClassifier, WeightedLossClassifier, WeightedSamplerClassifier
from skimb.estimators import FitManyWarning
from skimb.estimators._fit_many import _ineligible_reason, fit_many
from skimb.nn import FocalLoss, LDAMLoss, LogitAdjustedLoss

# An estimator that trains alone must say so: everywhere else it is an error.
pytestmark = pytest.mark.filterwarnings("error::skimb.estimators.FitManyWarning")

# Different sizes, the same number of batches of 16 (4), short last ones.
SIZES = (50, 55, 60)


@pytest.fixture
def data(rng):
    """Three imbalanced training sets of different sizes; weights for the second."""
    Xs = [rng.normal(size=(n, 6)).astype(np.float32) for n in SIZES]
    ys = [rng.choice(3, size=n, p=[0.7, 0.2, 0.1]) for n in SIZES]
    for X, y in zip(Xs, ys, strict=True):
        X[:, 0] += y  # something to learn
    sws = [None, rng.uniform(0.1, 2.0, size=SIZES[1]), None]
    return Xs, ys, sws


def _fit_separately(estimators, Xs, ys, sws):
    for est, X, y, sw in zip(estimators, Xs, ys, sws, strict=True):
        est.fit(X, y, sample_weight=sw)
    return estimators


OPTIMIZERS = {
    "adam": {},
    "adam-l2": dict(optimizer__weight_decay=0.05),
    "adamw": dict(optimizer=torch.optim.AdamW, optimizer__weight_decay=0.1),
    "sgd": dict(optimizer=torch.optim.SGD, lr=0.05),
    "sgd-nesterov": dict(
        optimizer=torch.optim.SGD,
        lr=0.05,
        optimizer__momentum=0.9,
        optimizer__nesterov=True,
        optimizer__weight_decay=1e-3,
    ),
}
CRITERIA = {
    "cross-entropy": {},
    "logit-adjusted": dict(criterion=LogitAdjustedLoss),
    "focal": dict(criterion=FocalLoss, criterion__gamma=1.5),
    "ldam": dict(criterion=LDAMLoss, criterion__s=2.0),
}


def _check_equivalence(Xs, ys, sws, settings, criterion):
    def make():
        return [
            NetClassifier(random_state=0, **settings),
            WeightedLossClassifier(random_state=1, **criterion, **settings),
            WeightedSamplerClassifier(random_state=2, **settings),
        ]

    separate = _fit_separately(make(), Xs, ys, sws)
    estimators = make()
    with stacked_groups() as groups:
        fitted = fit_many(estimators, Xs, ys, sws)
    assert all(a is b for a, b in zip(fitted, estimators, strict=True))
    for a, b, X in zip(separate, fitted, Xs, strict=True):
        assert_same_fit(a, b, X)
    # All three trained in one loop, not one after the other.
    assert [set(map(id, g)) for g in groups] == [set(map(id, estimators))]


@pytest.mark.parametrize(
    "optimizer, criterion",
    [(name, "cross-entropy") for name in OPTIMIZERS]
    + [("adam", name) for name in CRITERIA if name != "cross-entropy"],
)
def test_fit_many_equals_separate_fits(data, optimizer, criterion, tiny_net):
    _check_equivalence(
        *data, {**tiny_net, **OPTIMIZERS[optimizer]}, CRITERIA[criterion]
    )


def test_one_optimizer_over_stacked_nets_equals_one_per_net(rng):
    """Adam, AdamW, SGD with momentum, RMSprop: one optimizer over K stacked
    parameters takes the steps of K optimizers (their updates are
    elementwise), over several steps with different gradients per net."""
    from skimb.estimators._training import ELEMENTWISE_OPTIMIZERS

    for cls in ELEMENTWISE_OPTIMIZERS:
        params = [torch.tensor(rng.normal(size=(3, 4)), dtype=torch.float32)]
        grads = [torch.tensor(rng.normal(size=(3, 4)), dtype=torch.float32)]
        kwargs = {"momentum": 0.9} if cls is torch.optim.SGD else {}
        stacked = params[0].clone().requires_grad_()
        own = [p.clone().requires_grad_() for p in params[0]]
        one = cls([stacked], lr=0.01, **kwargs)
        many = [cls([p], lr=0.01, **kwargs) for p in own]
        for step in range(3):
            one.zero_grad()
            (stacked * grads[0] * (step + 1)).sum().backward()
            one.step()
            for k, (p, opt) in enumerate(zip(own, many, strict=True)):
                opt.zero_grad()
                (p * grads[0][k] * (step + 1)).sum().backward()
                opt.step()
        np.testing.assert_allclose(
            stacked.detach().numpy(),
            torch.stack(own).detach().numpy(),
            rtol=1e-5,
            atol=1e-7,
            err_msg=cls.__name__,
        )


def test_nets_with_other_numbers_of_batches_stack_apart(rng, tiny_net):
    """Nets of 50, 100 and 60 rows (4, 7 and 4 batches of 16): the two with
    the same number stack, the third runs the loop alone; all equal their
    own fits."""
    sizes = (50, 100, 60)
    Xs = [rng.normal(size=(n, 6)).astype(np.float32) for n in sizes]
    ys = [rng.integers(0, 3, size=n) for n in sizes]

    def make():
        return [NetClassifier(random_state=k, **tiny_net) for k in range(3)]

    separate = _fit_separately(make(), Xs, ys, [None] * 3)
    estimators = make()
    with stacked_groups() as groups:
        fit_many(estimators, Xs, ys)
    assert sorted(len(g) for g in groups) == [1, 2]
    assert {id(est) for est in max(groups, key=len)} == {
        id(estimators[0]),
        id(estimators[2]),
    }
    for a, b, X in zip(separate, estimators, Xs, strict=True):
        assert_same_fit(a, b, X)


def test_long_tail_schedules_per_net(data, tiny_net):
    """Deferred re-weighting and sampler options, each in its own net."""
    Xs, ys, sws = data

    def make():
        return [
            WeightedLossClassifier(random_state=3, reweight_epoch=1, **tiny_net),
            WeightedSamplerClassifier(random_state=4, num_samples=150, **tiny_net),
            WeightedSamplerClassifier(
                random_state=5, schedule="progressive", num_samples=40, **tiny_net
            ),
            WeightedSamplerClassifier(random_state=6, replacement=False, **tiny_net),
        ]

    Xs, ys = [*Xs, Xs[2]], [*ys, ys[2]]
    sws = [None, sws[1], None, np.linspace(0.0, 2.0, SIZES[2])]
    separate = _fit_separately(make(), Xs, ys, sws)
    fitted = fit_many(make(), Xs, ys, sws)
    for a, b, X in zip(separate, fitted, Xs, strict=True):
        assert_same_fit(a, b, X)
    assert fitted[0].history_[:, "class_weight_on"] == [False, True, True]
    # 150 draws in batches of 16 train longer than the others each epoch.
    assert fitted[1].history_[:, "train_batch_count"] == [10, 10, 10]
    assert fitted[2].history_[:, "train_batch_count"] == [3, 3, 3]


def test_shared_data_and_image_shaped_input(rng, tiny_net):
    """Nets that read one array share the gather; n-d inputs are flattened."""
    X = rng.normal(size=(60, 1, 2, 3)).astype(np.float32)
    y = rng.integers(0, 2, size=60)

    def make():
        return [NetClassifier(random_state=seed, **tiny_net) for seed in range(4)]

    separate = _fit_separately(make(), [X] * 4, [y] * 4, [None] * 4)
    fitted = fit_many(make(), [X] * 4, [y] * 4)
    for a, b in zip(separate, fitted, strict=True):
        assert_same_fit(a, b, X)


def test_ineligible_estimators_are_fitted_alone(data, tiny_net):
    Xs, ys, sws = data
    Xs, ys, sws = [*Xs, Xs[0]], [*ys, ys[0]], [*sws, None]

    def make():
        return [
            NetClassifier(
                random_state=0,
                train_split=ValidSplit(4, stratified=False),
                callbacks=[EarlyStopping(patience=1)],
                **tiny_net,
            ),
            WeightedLossClassifier(random_state=1, **tiny_net),
            WeightedSamplerClassifier(random_state=2, **tiny_net),
            NetClassifier(random_state=3, optimizer=torch.optim.Rprop, **tiny_net),
        ]

    assert "callbacks" in _ineligible_reason(make()[0])
    assert _ineligible_reason(make()[1]) is None
    separate = _fit_separately(make(), Xs, ys, sws)
    with pytest.warns(FitManyWarning, match="alone"):
        fitted = fit_many(make(), Xs, ys, sws)
    for a, b, X in zip(separate, fitted, Xs, strict=True):
        assert_same_fit(a, b, X)
    # Fitted alone means fitted exactly as fit does it.
    for i in (0, 3):
        for p, q in zip(
            separate[i].module_.parameters(),
            fitted[i].module_.parameters(),
            strict=True,
        ):
            assert torch.equal(p, q)


@pytest.mark.parametrize(
    "change",
    [
        dict(module__hidden_units=12),
        dict(batch_size=32),
        dict(max_epochs=2),
        dict(lr=3e-3),
        dict(optimizer=torch.optim.AdamW),
    ],
)
def test_incompatible_settings_form_separate_groups(data, change, tiny_net):
    """A net that differs in a shared setting trains in its own group, and a
    group of one says nothing (this module turns FitManyWarning into errors)."""
    Xs, ys, sws = data

    def make():
        return [
            NetClassifier(random_state=0, **tiny_net),
            WeightedLossClassifier(random_state=1, **tiny_net),
            WeightedSamplerClassifier(random_state=2, **{**tiny_net, **change}),
        ]

    separate = _fit_separately(make(), Xs, ys, sws)
    fitted = fit_many(make(), Xs, ys, sws)
    for a, b, X in zip(separate, fitted, Xs, strict=True):
        assert_same_fit(a, b, X)
    # The odd one out is a group of one: its own fit, bit for bit.
    for p, q in zip(
        separate[2].module_.parameters(), fitted[2].module_.parameters(), strict=True
    ):
        assert torch.equal(p, q)


@pytest.mark.parametrize(
    "optimizer", [{}, dict(optimizer=torch.optim.SGD, optimizer__momentum=0.9)]
)
def test_fitted_nets_predict_pickle_clone_and_continue(data, optimizer, tiny_net):
    Xs, ys, sws = (part[:2] for part in data)
    settings = {**tiny_net, **optimizer}

    def make():
        return [
            NetClassifier(random_state=0, **settings),
            WeightedLossClassifier(random_state=1, **settings),
        ]

    separate = _fit_separately(make(), Xs, ys, sws)
    fitted = fit_many(make(), Xs, ys, sws)
    for est, X, y in zip(fitted, Xs, ys, strict=True):
        restored = pickle.loads(pickle.dumps(est))
        np.testing.assert_array_equal(restored.predict(X), est.predict(X))
        assert clone(est).fit(X, y).predict(X).shape == y.shape
    # The optimizer state came back too: a warm-started fit continues alike.
    for a, b, X, y, sw in zip(separate, fitted, Xs, ys, sws, strict=True):
        a.set_params(warm_start=True, max_epochs=2).fit(X, y, sample_weight=sw)
        b.set_params(warm_start=True, max_epochs=2).fit(X, y, sample_weight=sw)
        assert len(b.history_) == 5
        assert_same_fit(a, b, X)
    # And a fresh fit starts over as any fit does.
    for a, b, X, y, sw in zip(separate, fitted, Xs, ys, sws, strict=True):
        a.set_params(warm_start=False).fit(X, y, sample_weight=sw)
        b.set_params(warm_start=False).fit(X, y, sample_weight=sw)
        assert_same_fit(a, b, X, atol=0)


def test_bad_input_leaves_prepared_estimators_untouched(data, tiny_net):
    Xs, ys, _ = data
    first = NetClassifier(random_state=0, **tiny_net)
    second = WeightedLossClassifier(random_state=1, **tiny_net)
    bad_y = np.zeros(SIZES[1], dtype=int)  # one class only
    with pytest.raises(ValueError, match="at least 2 classes"):
        fit_many([first, second], Xs[:2], [ys[0], bad_y])
    assert not first.initialized_ and not hasattr(first, "n_features_in_")
    assert not second.initialized_


def test_argument_errors(data, tiny_net):
    Xs, ys, _ = data
    est = NetClassifier(**tiny_net)
    with pytest.raises(ValueError, match="same length"):
        fit_many([est], Xs, ys)
    with pytest.raises(ValueError, match="distinct objects"):
        fit_many([est, est], Xs[:2], ys[:2])


@pytest.mark.parametrize(
    "params, reason",
    [
        (dict(warm_start=True), "warm_start"),
        (dict(train_split=ValidSplit(4)), "train_split"),
        (dict(callbacks=[EarlyStopping()]), "callbacks"),
        (dict(compile=True), "compiled"),
    ],
)
def test_ineligible_reasons(params, reason):
    assert reason in _ineligible_reason(NetClassifier(**params))


def test_each_reason_is_reported_once_with_its_text(data, tiny_net):
    Xs, ys, _ = data
    stop = dict(callbacks=[EarlyStopping(monitor="train_loss", patience=5)])
    estimators = [
        NetClassifier(random_state=0, **stop, **tiny_net),
        NetClassifier(random_state=1, **tiny_net),
        NetClassifier(random_state=2, optimizer=torch.optim.Rprop, **tiny_net),
        NetClassifier(random_state=3, **stop, **tiny_net),
        # Only the initialised optimizer shows this one.
        NetClassifier(
            random_state=4, optimizer__weight_decay=torch.tensor(0.0), **tiny_net
        ),
        WeightedLossClassifier(random_state=5, **tiny_net),
    ]
    n = len(estimators)
    with pytest.warns(FitManyWarning) as record:
        fit_many(estimators, [Xs[0]] * n, [ys[0]] * n)
    start = "fit_many trains {} alone, not in one loop with the others: "
    assert [str(w.message) for w in record] == [
        start.format("estimators 0, 3") + "user callbacks need the per-batch loop.",
        start.format("estimator 2")
        + "its optimizer is none of torch's Adam, AdamW, SGD, RMSprop, Adagrad, "
        "Adamax, NAdam, RAdam.",
    ]
    # Attributed to the caller, so that a filter on the calling module works.
    assert {w.filename for w in record} == {__file__}
    assert all(est.initialized_ and len(est.history_) == 3 for est in estimators)


def test_compare_s_own_groups_share_the_loop_without_a_warning(rng):
    """Every net method, as compare builds it, shares the loop: compare's
    many fit_many calls stay quiet (a FitManyWarning is an error here)."""
    from skimb import compare
    from skimb.evaluation import METHODS

    methods = [
        name
        for name, method in METHODS.items()
        if isinstance(method.estimator, NetClassifier)
        and not getattr(method.estimator, "augment_shift", 0)  # images only
    ]
    X = rng.normal(size=(120, 4))
    y = np.where(X[:, 0] + rng.normal(size=120) > 1.2, "rare", "common")
    rows = compare(
        X,
        y,
        methods=methods,
        cv=2,
        max_epochs=1,
        hidden_units=4,
        device="cpu",
        output=None,
        progress=False,
        plots=False,
    ).rows
    assert (rows["status"] == "ok").all(), rows["error"].dropna().tolist()


class SmallCNN(nn.Module):
    """A CNN on (n, 1, 8, 8) images."""

    def __init__(self, n_classes=3):
        super().__init__()
        self.conv = nn.Conv2d(1, 4, kernel_size=3, padding=1)
        self.out = nn.Linear(4 * 4 * 4, n_classes)

    def forward(self, X):
        X = torch.nn.functional.max_pool2d(torch.relu(self.conv(X)), 2)
        return self.out(X.flatten(1))


class ThreeLayerMLP(nn.Module):
    def __init__(self, n_features=64, n_classes=3):
        super().__init__()
        self.layers = nn.Sequential(
            nn.Flatten(),
            nn.Linear(n_features, 8),
            nn.ReLU(),
            nn.Linear(8, 8),
            nn.Tanh(),
            nn.Linear(8, n_classes),
        )

    def forward(self, X):
        return self.layers(X)


@pytest.mark.parametrize("module", [None, SmallCNN, ThreeLayerMLP, skimb.nn.SmallCNN])
def test_any_module_stacks_and_stops_early_as_its_own_fit(rng, module):
    """SimpleNet, a CNN on 4-D input and a three-layer MLP: three nets of
    each train in one stacked loop, each stops early on its own validation
    part (the others go on), and each equals its own fit."""
    sizes = (120, 122, 124)  # 7 batches of 16 after a 10 % validation part
    Xs = [rng.normal(size=(n, 1, 8, 8)).astype(np.float32) for n in sizes]
    ys = [rng.choice(3, size=n, p=[0.6, 0.3, 0.1]) for n in sizes]  # noise
    settings = dict(
        max_epochs=8,
        batch_size=16,
        early_stopping=True,
        n_iter_no_change=2,
        device="cpu",
    )
    if module is None:
        settings["module__hidden_units"] = 8
    else:
        settings["module"] = module

    def make():
        return [
            NetClassifier(random_state=0, **settings),
            WeightedLossClassifier(random_state=1, **settings),
            WeightedSamplerClassifier(random_state=2, **settings),
        ]

    separate = _fit_separately(make(), Xs, ys, [None] * 3)
    estimators = make()
    with stacked_groups() as groups:
        fit_many(estimators, Xs, ys)
    assert [set(map(id, g)) for g in groups] == [set(map(id, estimators))]
    epochs = [len(est.history_) for est in estimators]
    assert min(epochs) < settings["max_epochs"]  # one stopped, the others went on
    for a, b, X in zip(separate, estimators, Xs, strict=True):
        assert a.best_epoch_ == b.best_epoch_
        assert_same_fit(a, b, X)


@pytest.mark.parametrize("smoothing", [0.0, 0.2])
def test_plain_cross_entropy_nets_share_one_loss(
    data, tiny_net, monkeypatch, smoothing
):
    """The nets whose loss is plain cross-entropy (class weights or none,
    deferred re-weighting, label smoothing) are scored by one batched loss,
    short last batches included; a sample-weighted net, another criterion or
    a zero class weight keep their own get_loss, and every net equals its
    own fit."""
    from skimb.estimators import _training

    plain, real = [], _training._PlainCrossEntropy.of

    def spied(loop, labels, rows):
        found = real(loop, labels, rows)
        if found is not None:
            plain.append(
                {loop.members[loop.running[j]].est.random_state for j in found.nets}
            )
        return found

    monkeypatch.setattr(_training._PlainCrossEntropy, "of", spied)
    Xs, ys, sws = data
    Xs, ys = [*Xs, Xs[2], Xs[2], Xs[0]], [*ys, ys[2], ys[2], ys[0]]
    sws = [*sws, None, None, None]
    ce = dict(criterion__label_smoothing=smoothing)

    def make():
        return [
            NetClassifier(random_state=0, **ce, **tiny_net),
            NetClassifier(random_state=1, **ce, **tiny_net),  # sample-weighted
            WeightedLossClassifier(random_state=2, **ce, **tiny_net),
            WeightedLossClassifier(
                random_state=3, criterion=LogitAdjustedLoss, **ce, **tiny_net
            ),
            WeightedLossClassifier(
                random_state=4, class_weight={0: 1.0, 1: 0.0, 2: 2.0}, **ce, **tiny_net
            ),
            WeightedLossClassifier(random_state=5, reweight_epoch=2, **ce, **tiny_net),
            WeightedLossClassifier(random_state=6, criterion=FocalLoss, **tiny_net),
        ]

    Xs, ys, sws = [*Xs, Xs[1]], [*ys, ys[1]], [*sws, None]
    separate = _fit_separately(make(), Xs, ys, sws)
    together = fit_many(make(), Xs, ys, sws)
    assert plain and all(nets == {0, 2, 3, 5} for nets in plain)
    for a, b, X in zip(separate, together, Xs, strict=True):
        assert_same_fit(a, b, X)
