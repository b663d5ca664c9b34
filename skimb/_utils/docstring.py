"""Shared parameter text, written once and substituted into each estimator."""


class Substitution:
    """Fill ``{name}`` fields of a docstring, as imbalanced-learn does.

    Only the named fields are replaced, so literal braces elsewhere survive.
    """

    def __init__(self, **params):
        self.params = params

    def __call__(self, obj):
        if obj.__doc__:
            doc = obj.__doc__
            for key, value in self.params.items():
                doc = doc.replace("{" + key + "}", value)
            obj.__doc__ = doc
        return obj


# ``module`` is the one positional parameter, so it comes first in every
# estimator's Parameters, before the estimator's own ones.
_MODULE_PARAM = """module : torch.nn.Module class or instance, default=SimpleNet
        The network. When it is a class whose constructor takes ``n_features``
        and/or ``n_classes``, those are set at fit from ``n_features_in_`` and
        the number of classes; set the rest with ``module__<name>`` (for
        example ``module__hidden_units=64``)."""

_NET_PARAMS = """\
criterion : torch loss class or instance, default=torch.nn.CrossEntropyLoss
        Loss on the module's logits and the encoded labels.

    optimizer : torch.optim.Optimizer class, default=torch.optim.Adam
        Set its options with ``optimizer__<name>``. For Adam, AdamW and SGD
        the fused implementation is used where the device supports it (same
        update rule, fewer kernel launches) unless ``optimizer__fused`` or
        ``optimizer__foreach`` is given.

    lr : float, default=1e-3
        Learning rate, at batch 64: with ``batch_size='auto'`` the optimizer
        gets ``lr * sqrt(batch_size_ / 64)`` (at most ten times ``lr``), as
        ``lr_`` records; ``optimizer__lr`` is used as given.

    max_epochs : int, default=30
        Number of passes over the training data (for the sampler: epochs of
        ``num_samples`` draws). ``0`` only initialises the net.

    batch_size : int or 'auto', default='auto'
        Training mini-batch size; ``-1`` means one batch of all samples.
        ``'auto'`` is 64 up to 19,200 training rows, then the power of two
        that keeps an epoch at 150 to 300 optimizer steps, at most 4096
        (``skimb.estimators.auto_batch_size``); ``batch_size_`` records it.
        ``partial_fit`` and ``warm_start`` keep the first fit's choice.

    iterator_train, iterator_valid : class, default=torch.utils.data.DataLoader
        Used only when ``X`` is a user-supplied ``torch.utils.data.Dataset``;
        array input trains through skimb's device-resident batches.

    dataset : class, default=skorch.dataset.Dataset
        As in skorch, for non-array input.

    train_split : callable or None, default=None
        skorch's internal validation split, for example
        ``skorch.dataset.ValidSplit(5, stratified=True)``; ``None`` trains on
        all of ``X``. With a split the history records ``valid_loss``,
        ``valid_acc`` and ``valid_bal_acc`` (balanced accuracy), so
        ``EarlyStopping(monitor='valid_bal_acc', lower_is_better=False)``
        works as is.

    callbacks : list of (name, callback) or None, default=None
        skorch callbacks (``EpochScoring``, ``EarlyStopping``, ``Checkpoint``,
        ``LRScheduler``, ...). Scoring callbacks see the original labels (a
        scorer's ``pos_label`` is one of ``classes_``) unless they set their
        own ``target_extractor``.

    predict_nonlinearity : callable, None or 'auto', default='auto'
        As in skorch: softmax for cross-entropy criteria (and skimb's
        losses). A ``prior`` assumes it returns class probabilities.

    warm_start : bool, default=False
        If True, ``fit`` continues training an already-fitted net.

    verbose : int, default=0
        skorch's per-epoch log when positive.

    device : str, torch.device or 'auto', default='auto'
        Where the net, the training data and the random draws live. ``'auto'``
        picks CUDA when available, else the CPU.

    compile : bool, default=False
        ``torch.compile`` the module (skorch's option).

    use_caching : bool or 'auto', default='auto'
        skorch's scoring-callback caching.

    torch_load_kwargs : dict or None, default=None
        Passed to ``torch.load`` when unpickling.

    random_state : int, RandomState instance or None, default=None
        Seeds the module's initialisation, the epoch order and the sampler's
        draws. With an int, fits on the CPU are reproducible bit for bit.
        The global torch random state is left untouched.

    prior : None, 'train', 'balanced', array-like or dict, default=None
        The class prior that ``predict_proba`` (and so ``predict``, its argmax)
        gives probabilities for. The net estimates posteriors under
        ``training_prior_``; Bayes' rule moves them to ``prior``:
        ``p(c|x)`` is proportional to ``p_trained(c|x) * prior_c /
        training_prior_c`` (Saerens et al., 2002), applied to the
        log-probabilities. ``None`` returns the net's output as trained.
        ``'train'`` gives calibrated probabilities for data drawn like the
        training data (``prior = class_prior_``): use it for log loss, Brier
        score, expected costs. ``'balanced'`` gives every class the same
        prior: its argmax is the decision rule that maximises balanced
        accuracy (for the plain net it is post-hoc logit adjustment, Menon et
        al., 2021). An array-like (aligned
        with ``classes_``) or a dict naming every label gives a known
        deployment prior; it is normalised. Read at every prediction:
        ``set_params(prior=...)`` after fit changes the predictions without
        refitting. A class with ``training_prior_`` 0 (never effectively
        trained on) counts as having the smallest positive training prior, so
        it is raised no more than the rarest trained class; a class with
        ``prior`` 0 gets probability 0. For a temperature, calibrate the
        output for the prior you use with scikit-learn's
        ``CalibratedClassifierCV(FrozenEstimator(clf), method='temperature')``.

    n_threads : 'auto', int or None, default='auto'
        Torch threads while training on the CPU (the caller's setting is
        restored after, also when fit fails). ``'auto'`` chooses by
        measurement between one thread and torch's setting capped at the
        cores this process may use (joblib workers, as in
        ``GridSearchCV(n_jobs=...)``, get their share): after one warm-up
        step at each, three steps at each alternate and the count with the
        fastest step wins, more threads only when at least 10% faster. On
        more than one thread, five of the last eight steps taking 1.5x its
        median step (another process started) start a new timing; every 2,000
        steps the timing is repeated. Steps under about 1e6 floating-point
        operations (toy nets) train on one thread untimed. Another count
        rounds some sums differently, so bit-identical refits of timed nets
        need a fixed count: an int fixes it (capped at the cores); ``None``
        leaves torch's setting alone. Off the CPU, ``'auto'`` leaves
        torch's setting alone.

    early_stopping : 'auto' or bool, default='auto'
        Hold out ``validation_fraction`` of the training rows (stratified,
        every class in both parts, drawn from the fit's seed), score the net
        on them after every epoch, stop after ``n_iter_no_change`` epochs
        without improvement and restore the best epoch's weights. ``'auto'``
        turns it on above 10,000 training rows or when ``fit`` gets
        ``X_val``, and off with a ``train_split`` (which ``True`` refuses: use
        skorch's ``EarlyStopping`` callback there). When a class has a single
        training row it cannot be in both parts: early stopping is then off,
        with a warning. ``partial_fit`` never stops early. The score is
        ``early_stopping_score``, recorded as ``valid_<score>`` in
        ``history_``.

    validation_fraction : float in (0, 1), default=0.1
        The share of each class held out for early stopping.

    n_iter_no_change : 'auto' or int >= 1, default='auto'
        Epochs without a better validation score before training stops.
        ``'auto'``: 10 (scikit-learn's default) while the validation part
        holds at most 100 rows of its rarest class, less on larger parts,
        whose score is less noisy: ``round(10 * sqrt(100 / n))`` for ``n``
        rows of the rarest class, at least 3 (6 at 300 rows, which a
        10^6-row table with 0.5 % positives puts in a fold's validation
        part). Measured in ``benchmarks/patience.py``.

    early_stopping_score : str, default='average_precision'
        What early stopping watches: ``'average_precision'``,
        ``'balanced_log_loss'`` or ``'balanced_accuracy'``; none rewards
        ignoring the minority.
        ``'average_precision'``: of the rarer class on two classes, the mean
        one-vs-rest over the classes on more (a ranking: the prior the net
        trained under does not move it). ``'balanced_log_loss'``: the mean
        over classes of the true class's negative log-likelihood, of the
        output moved to equal priors; it stops earlier, which on a
        100,000-row table with 0.5 % positives gave the weighted nets a
        higher balanced accuracy but 0.08 to 0.12 less average precision
        (``benchmarks/stopping.py``). ``'balanced_accuracy'``: the mean
        recall of the decisions for equal priors.

    **kwargs
        skorch's ``prefix__name`` parameters (``module__hidden_units``,
        ``optimizer__weight_decay``, ``callbacks__...``)."""

_CLASS_WEIGHT = """class_weight : None, str, rule or dict, default='balanced'
        ``'balanced'`` gives class ``c`` the weight
        ``n_samples / (n_classes * n_c)`` (scikit-learn's inverse-frequency
        rule); ``'sqrt'`` weighs ``n_c ** -0.5`` and ``'effective'`` uses the
        effective number of samples (``PowerRule`` and ``EffectiveNumber`` in
        ``skimb.estimators`` take other exponents and betas); a dict maps
        labels to weights (missing labels weigh 1);
        ``None`` weighs all classes equally. Resolved at fit into
        ``class_weight_``, aligned with ``classes_``."""

_FITTED_ATTRS = """classes_ : ndarray of shape (n_classes,)
        Class labels seen at fit, sorted.

    class_counts_ : ndarray of shape (n_classes,)
        (Sample-weighted) training count of each class.

    class_prior_ : ndarray of shape (n_classes,)
        ``class_counts_ / class_counts_.sum()``.

    training_prior_ : ndarray of shape (n_classes,)
        The class prior the net's probabilities are estimates for, given the
        class distribution ``d`` of its training batches (``class_prior_``;
        the sampler's draw probabilities of the last epoch) and the criterion
        at the end of training: proportional to ``d_c * w_c * rho_c ** -tau``
        with ``w`` the criterion's class ``weight`` (1 without one, the final
        weights with deferred re-weighting) and, for ``LogitAdjustedLoss``,
        its prior ``rho`` and ``tau``. Approximate for ``FocalLoss`` and
        ``LDAMLoss`` (only their ``weight`` counts). Sums to 1.

    n_features_in_ : int
        Number of features seen at fit.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Column names of a DataFrame ``X`` (only then).

    module_, criterion_, optimizer_ : torch objects
        The initialised network, loss and optimizer (skorch's attributes).

    batch_size_ : int
        The training batch size used (``batch_size``, resolved).

    lr_ : float
        The optimizer's learning rate (``lr``, scaled for
        ``batch_size='auto'``).

    do_early_stopping_ : bool
        Whether the last fit stopped early on a validation part.

    n_epochs_ : int
        Epochs trained by the last fit (or ``partial_fit`` call).

    best_epoch_ : int or None
        With early stopping, the epoch (as ``history_``'s ``epoch``) whose
        weights were restored; else None.

    best_validation_score_ : float or None
        With early stopping, that epoch's ``early_stopping_score``; else
        None.

    n_iter_no_change_ : int or None
        With early stopping, the patience used (``n_iter_no_change``,
        resolved); else None.

    history_ : skorch.history.History
        Per-epoch and per-batch records (``train_loss``,
        ``train_batch_size``, ``valid_<early_stopping_score>`` with
        early stopping, ...)."""

NET_DOCS = {
    "module_param": _MODULE_PARAM,
    "net_params": _NET_PARAMS,
    "class_weight": _CLASS_WEIGHT,
    "fitted_attrs": _FITTED_ATTRS,
}
