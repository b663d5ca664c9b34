"""Class priors: the one a net was trained under, and the one it predicts for.

A classifier trained with class weights, a class-weighted sampler or a
logit-adjusted loss estimates the posterior under an *effective* class prior
``pi_eff``, not under the training frequencies. Bayes' rule moves it to any
other prior ``pi`` (Saerens, Latinne and Decaestecker, 2002)::

    p(c | x)  is proportional to  p_eff(c | x) * pi_c / pi_eff_c

This module resolves the ``prior`` parameter of the estimators
(:func:`check_prior`), derives ``pi_eff`` from the training distribution of
the classes and the criterion (:func:`criterion_prior`) and applies the
correction in log space (:func:`shift_log_proba`).

References
----------
Saerens, M., Latinne, P. and Decaestecker, C. (2002). Adjusting the Outputs of
a Classifier to New a Priori Probabilities: A Simple Procedure. Neural
Computation 14(1), 21-41.
"""

from collections.abc import Mapping

import numpy as np
import torch

from .._utils.validation import (
    ArrayLike,
    InstanceOf,
    Options,
    check_class_values,
    check_param,
)
from ..nn._losses import LogitAdjustedLoss

__all__ = [
    "PRIOR_CONSTRAINTS",
    "check_prior",
    "criterion_prior",
    "shift_log_proba",
    "unsmooth_log_proba",
]

#: What ``prior`` may be, for the estimators' parameter tables; the entries of
#: an array or a dict are checked against the classes (:func:`check_prior`).
PRIOR_CONSTRAINTS = [
    None,
    Options("train", "balanced"),
    ArrayLike(
        "an array-like of one non-negative finite prior per class (aligned with "
        "classes_)"
    ),
    InstanceOf(Mapping, "a dict mapping every class label to one"),
]


def check_prior(prior, *, classes, class_prior):
    """Validate ``prior`` and resolve it to one probability per class.

    Parameters
    ----------
    prior : None, 'train', 'balanced', array-like or dict
        ``None`` means no change (the net's output as trained). ``'train'``
        is ``class_prior``; ``'balanced'`` gives every class ``1 / n_classes``.
        An array-like gives one non-negative weight per class, aligned with
        ``classes``; a dict maps every label of ``classes`` to one. Either is
        normalised to sum to 1.
    classes : ndarray of shape (n_classes,)
        The sorted class labels, as in ``classes_``.
    class_prior : ndarray of shape (n_classes,)
        The training class frequencies, as in ``class_prior_``.

    Returns
    -------
    prior : ndarray of shape (n_classes,), dtype float64, or None
        Non-negative, sums to 1; ``None`` when ``prior`` is None.

    Raises
    ------
    TypeError
        If ``prior`` is of an unsupported type or holds non-numbers.
    ValueError
        If a string is unknown, the length or the labels do not match
        ``classes``, or a prior is negative, not finite, or all are zero.

    Examples
    --------
    >>> import numpy as np
    >>> classes, freq = np.array(["a", "b"]), np.array([0.9, 0.1])
    >>> check_prior("balanced", classes=classes, class_prior=freq)
    array([0.5, 0.5])
    >>> check_prior({"a": 3, "b": 1}, classes=classes, class_prior=freq)
    array([0.75, 0.25])
    """
    check_param("prior", prior, PRIOR_CONSTRAINTS)
    classes = np.asarray(classes)
    if prior is None:
        return None
    if isinstance(prior, str):
        if prior == "train":
            return np.asarray(class_prior, dtype=np.float64).copy()
        return np.full(len(classes), 1.0 / len(classes))  # 'balanced'
    array = check_class_values(prior, "prior", classes, noun="prior", where="classes_")
    return array / array.sum()


def criterion_prior(criterion, class_distribution):
    """The class prior a net trained with ``criterion`` estimates posteriors for.

    A criterion's minimiser over data whose classes come with probabilities
    ``d`` (training frequencies, or a sampler's draw probabilities) is the
    posterior under ``pi_eff``, proportional to ``d_c * w_c * rho_c ** -tau``:

    * ``w`` is the criterion's per-class ``weight`` (1 without one): a
      weighted cross-entropy is the plain one on data where class ``c`` has
      mass ``d_c * w_c``.
    * :class:`~skimb.nn.LogitAdjustedLoss` trains ``softmax(z + tau *
      log(rho))`` (``rho`` its ``class_counts`` prior) to estimate that
      posterior, so the net's own ``softmax(z)`` estimates it times
      ``rho ** -tau``, renormalised (Menon et al., 2021). With ``rho = d`` and
      no weight, ``pi_eff`` is ``d ** (1 - tau)``: uniform for ``tau = 1``.
    * :class:`~skimb.nn.FocalLoss` and :class:`~skimb.nn.LDAMLoss` have
      no exact prior: focal loss is not a proper scoring rule and LDAM's
      margins depend on the true class. Only their ``weight`` (focal's
      ``alpha``, LDAM-DRW's re-weighting) is counted, an approximation.

    Parameters
    ----------
    criterion : torch.nn.Module or None
        The initialised criterion (``criterion_``).
    class_distribution : array-like of shape (n_classes,)
        Non-negative class probabilities (or masses) of the training batches.

    Returns
    -------
    prior : ndarray of shape (n_classes,), dtype float64
        Non-negative, sums to 1. A class with no mass, or weight 0, gets 0.

    Examples
    --------
    >>> import numpy as np
    >>> import torch
    >>> freq = np.array([0.8, 0.2])
    >>> criterion_prior(torch.nn.CrossEntropyLoss(), freq)
    array([0.8, 0.2])
    >>> weighted = torch.nn.CrossEntropyLoss(weight=torch.tensor([1.0, 4.0]))
    >>> criterion_prior(weighted, freq)
    array([0.5, 0.5])
    >>> criterion_prior(LogitAdjustedLoss(freq * 100, tau=0.5), freq).round(3)
    array([0.667, 0.333])
    """
    d = np.asarray(class_distribution, dtype=np.float64)
    with np.errstate(divide="ignore"):
        log_pi = np.log(d)
    weight = getattr(criterion, "weight", None)
    if isinstance(weight, torch.Tensor) and weight.shape == d.shape:
        with np.errstate(divide="ignore"):
            log_pi = log_pi + np.log(weight.detach().cpu().double().numpy())
    if isinstance(criterion, LogitAdjustedLoss):
        log_rho = criterion.log_prior.detach().cpu().double().numpy()
        if log_rho.shape == d.shape:
            log_pi = log_pi - float(criterion.tau) * log_rho
    if not np.isfinite(log_pi).any():
        # Nothing was (effectively) trained on: say so with the data's prior.
        return d / d.sum() if d.sum() > 0 else np.full(len(d), 1.0 / len(d))
    pi = np.exp(log_pi - log_pi[np.isfinite(log_pi)].max())
    return pi / pi.sum()


def shift_log_proba(log_proba, prior, training_prior, *, log=False):
    """Bayes' rule for a new prior, in log space: ``softmax(log q + log pi -
    log pi_eff)``.

    A class with training prior 0 (never effectively trained on) is treated as
    if it had the smallest positive training prior, so its probability is
    raised no more than the rarest trained class's and stays finite. A class
    with ``prior`` 0 gets probability 0.

    Parameters
    ----------
    log_proba : torch.Tensor of shape (n_samples, n_classes)
        Log-probabilities under ``training_prior`` (finite or ``-inf``).
    prior, training_prior : array-like of shape (n_classes,)
        The target prior and the prior ``log_proba`` was estimated under.
    log : bool, default=False
        Return the log-probabilities (``log_softmax``, exact where the
        probabilities underflow).

    Returns
    -------
    proba : torch.Tensor of shape (n_samples, n_classes)
        Rows sum to 1 (their exponentials, with ``log=True``).

    Examples
    --------
    >>> import torch
    >>> p = torch.tensor([[0.5, 0.5]])
    >>> shift_log_proba(p.log(), [0.9, 0.1], [0.5, 0.5])
    tensor([[0.9000, 0.1000]])
    """
    training_prior = np.asarray(training_prior, dtype=np.float64)
    floor = training_prior[training_prior > 0].min()
    with np.errstate(divide="ignore"):
        shift = np.log(np.asarray(prior, dtype=np.float64)) - np.log(
            np.maximum(training_prior, floor)
        )
    shift = torch.as_tensor(shift, dtype=log_proba.dtype, device=log_proba.device)
    # Clamped so that a row of -inf log-probabilities (a probability of 0 for
    # every class the prior allows) never becomes 0/0.
    finite = torch.finfo(log_proba.dtype).min
    normalise = torch.log_softmax if log else torch.softmax
    return normalise(log_proba.clamp_min(finite / 2) + shift, dim=-1)


#: What a smoothed net's output below the smoothing's share keeps of itself.
UNSMOOTH_FLOOR = 0.1


def unsmooth_log_proba(log_proba, smoothing, log_multiplier=None):
    """Undo label smoothing: the log-posterior a net trained with smoothed
    targets estimates, from its output.

    A cross-entropy with label smoothing ``e`` over ``K`` classes, a class
    weight ``w`` and a logit offset ``b`` (logit adjustment's ``tau * log
    rho``) is minimised by an output ``q`` with ``q_c`` proportional to
    ``m_c * ((1 - e) * p_c + e / K)``, where ``m_c = w_c * exp(-b_c)`` and
    ``p`` is the posterior under the prior the loss sees (torch weighs the
    smoothing term of class ``c`` by ``w_c``). Without smoothing the same
    loss gives ``q_c`` proportional to ``m_c * p_c``: the posterior under
    the effective prior (:func:`criterion_prior`). This returns that, so
    that the probabilities, the decisions and every prior correction of a
    smoothed net mean what they mean without smoothing: ``s = q / m``
    normalised is ``(1 - e) p + e / K``, so ``p = (s - e / K) / (1 - e)``,
    then multiplied by ``m`` and normalised. A net that outputs ``s_c``
    below ``e / K`` (no minimiser does) gets ``0.1 * s_c * min(m) / m_c``
    instead of a probability of zero or less: the rows keep their order,
    and a class of a large multiplier (a rare class's weight) is not
    raised by it. A tenth gave a lower held-out log loss than a hundredth
    or a millionth; without the ``min(m) / m_c``, a weighted net at 1 %
    positives called most rows positive (``benchmarks/unsmoothing.py``,
    ``benchmarks/regularisation.py``).

    Parameters
    ----------
    log_proba : torch.Tensor of shape (n_samples, n_classes)
        The net's log-softmax output.
    smoothing : float in [0, 1)
    log_multiplier : torch.Tensor of shape (n_classes,) or None
        ``log m``: the log class weights minus the logit offset (None: 0).

    Returns
    -------
    log_proba : torch.Tensor of shape (n_samples, n_classes)

    Examples
    --------
    >>> import torch
    >>> p = torch.tensor([[0.25, 0.75]])  # what a net trained at e = 0.2 outputs
    >>> unsmooth_log_proba(((1 - 0.2) * p + 0.1).log(), 0.2).exp()
    tensor([[0.2500, 0.7500]])
    """
    if not smoothing:
        return log_proba
    if log_multiplier is None:
        log_multiplier = torch.zeros(
            log_proba.shape[-1], dtype=log_proba.dtype, device=log_proba.device
        )
    log_multiplier = log_multiplier.to(log_proba)
    s = torch.softmax(log_proba - log_multiplier, dim=-1)
    floor = UNSMOOTH_FLOOR * torch.exp(log_multiplier.min() - log_multiplier)
    p = torch.maximum(s - smoothing / s.shape[-1], s * floor)
    return torch.log_softmax(p.log() + log_multiplier, dim=-1)  # (1 - e) cancels
