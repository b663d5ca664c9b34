"""A fitted skimb estimator as plain data and tensors, and back.

The parameters become numbers, strings, lists and dicts (classes by name,
rebuilt only from an allow-list), the fitted state plain arrays, the module
its ``state_dict``: what ``torch.load(weights_only=True)`` reads without
running code. :mod:`skimb.estimators._persistence` writes and reads the files.
"""

import inspect
import warnings

import numpy as np
import torch
import torch.utils.data
from sklearn.utils.validation import check_is_fitted
from skorch.dataset import Dataset as SkorchDataset

from .._utils.device import check_device
from ..nn import _losses as losses
from ..nn._simple_net import SimpleNet
from ..nn._small_cnn import SmallCNN
from ._net import NetClassifier
from ._weighted_loss import WeightedLossClassifier
from ._weighted_sampler import WeightedSamplerClassifier
from ._weighting import EffectiveNumber, PowerRule

__all__ = ["ALLOWED_CLASSES", "ESTIMATORS", "FORMAT", "net_from_payload", "net_payload"]

FORMAT = "skimb-estimator"
VERSION = 1

ESTIMATORS = {
    c.__name__: c
    for c in (NetClassifier, WeightedLossClassifier, WeightedSamplerClassifier)
}
_RULES = {"EffectiveNumber": (EffectiveNumber, "beta"), "PowerRule": (PowerRule, "q")}


def _name(cls):
    # skimb's classes by their public home (``skimb.nn.SimpleNet``), so that a
    # file does not depend on which private module defines them.
    module = cls.__module__
    if module.startswith("skimb."):
        module = module.split("._", 1)[0]
    return f"{module}.{cls.__qualname__}"


# Where skimb 0.1.0 (flat modules) named the same classes in its files.
_FORMER_NAMES = {
    "skimb.nets.SimpleNet": SimpleNet,
    "skimb.losses.LogitAdjustedLoss": losses.LogitAdjustedLoss,
    "skimb.losses.FocalLoss": losses.FocalLoss,
    "skimb.losses.LDAMLoss": losses.LDAMLoss,
}


# Classes a saved parameter may name; nothing else is ever imported or built.
ALLOWED_CLASSES = {
    _name(c): c
    for c in (
        SimpleNet,
        SmallCNN,
        losses.LogitAdjustedLoss,
        losses.FocalLoss,
        losses.LDAMLoss,
        torch.nn.CrossEntropyLoss,
        torch.nn.NLLLoss,
        torch.optim.Adam,
        torch.optim.AdamW,
        torch.optim.SGD,
        torch.optim.RMSprop,
        torch.optim.Adagrad,
        torch.utils.data.DataLoader,
        SkorchDataset,
    )
} | _FORMER_NAMES

_TRAINING_ONLY = ("callbacks", "train_split")


def _is_plain(value):
    if value is None or isinstance(value, (bool, int, float, str)):
        return True
    if isinstance(value, (list, tuple)):
        return all(_is_plain(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _is_plain(v) for k, v in value.items())
    return False


def _encode(name, value):
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, torch.device):
        value = str(value)
    if _is_plain(value):
        return {"plain": list(value) if isinstance(value, tuple) else value}
    if isinstance(value, np.ndarray) and value.ndim == 1 and value.dtype.kind in "fiu":
        # A numeric vector (a prior, say) as a list, rebuilt as an array.
        return {"array": value.tolist()}
    if isinstance(value, dict) and all(
        (_is_plain(v) or isinstance(v, np.generic))
        and (_is_plain(k) or isinstance(k, np.generic))
        for k, v in value.items()
    ):
        # Non-string keys (a class_weight or prior for int labels, say) as pairs.
        items = [
            [x.item() if isinstance(x, np.generic) else x for x in (k, v)]
            for k, v in value.items()
        ]
        return {"items": items}
    if isinstance(value, type):
        # Only the name is stored; load() rebuilds it from the allow-list or
        # from classes the caller passes as trusted.
        return {"class": _name(value)}
    if isinstance(value, torch.nn.Module) and _name(type(value)) in ALLOWED_CLASSES:
        # A skimb module instance by its class and constructor arguments
        # (kept as attributes of the same names); the fitted weights are
        # stored apart, the instance's initial ones are not.
        names = inspect.signature(type(value)).parameters
        return {
            "instance": _name(type(value)),
            "args": {name: getattr(value, name) for name in names},
        }
    if isinstance(value, (EffectiveNumber, PowerRule)):
        cls, attr = _RULES[type(value).__name__]
        return {"rule": type(value).__name__, "value": getattr(value, attr)}
    raise TypeError(
        f"parameter {name}={value!r} cannot be saved as plain data; save() stores "
        "only numbers, strings, lists, dicts, numeric 1-D arrays, class-weight "
        "rules and classes (by name). Use pickle for other objects."
    )


def _decode(name, spec, trusted):
    if not isinstance(spec, dict) or len(spec) not in (1, 2):
        raise ValueError(f"parameter {name!r} is malformed in the file: {spec!r}.")
    if "plain" in spec:
        return spec["plain"]
    if "array" in spec and isinstance(spec["array"], list):
        if not all(
            isinstance(v, (int, float)) and not isinstance(v, bool)
            for v in spec["array"]
        ):
            raise ValueError(f"parameter {name!r} is malformed in the file.")
        return np.asarray(spec["array"])
    if "items" in spec and isinstance(spec["items"], list):
        try:
            return {k: v for k, v in spec["items"]}
        except (TypeError, ValueError):
            raise ValueError(f"parameter {name!r} is malformed in the file.") from None
    if "class" in spec:
        dotted = spec["class"]
        allowed = {**ALLOWED_CLASSES, **(trusted or {})}
        if dotted not in allowed:
            raise ValueError(
                f"parameter {name!r} names the class {dotted!r}, which is not in the "
                "allow-list; if you trust it, pass trusted={"
                + repr(dotted)
                + ": TheClass} to skimb.load."
            )
        return allowed[dotted]
    if "instance" in spec and isinstance(spec.get("args"), dict):
        cls = _decode(name, {"class": spec["instance"]}, trusted)
        return cls(**spec["args"])
    if "rule" in spec and spec["rule"] in _RULES:
        cls, attr = _RULES[spec["rule"]]
        return cls(**{attr: spec["value"]})
    raise ValueError(f"parameter {name!r} is malformed in the file: {spec!r}.")


def _plain_array(value):
    array = np.asarray(value)
    if array.dtype.kind in "fiub":
        return torch.as_tensor(array)
    return [v.item() if isinstance(v, np.generic) else v for v in array.tolist()]


def net_payload(estimator):
    """The fitted skimb ``estimator`` as plain data and tensors.

    Training-only parameters (``callbacks``, ``train_split``) are stored as
    None (a warning says so when they are set); the optimizer state is not
    stored.
    """
    if type(estimator).__name__ not in ESTIMATORS:
        raise TypeError(
            f"save() takes a skimb estimator; got {type(estimator).__name__}."
        )
    check_is_fitted(estimator)
    params = {}
    dropped = []
    for key, value in estimator.get_params(deep=False).items():
        if key in _TRAINING_ONLY and value is not None:
            dropped.append(key)
            value = None
        params[key] = _encode(key, value)
    if dropped:
        warnings.warn(
            f"save(): training-only parameters {dropped} are not stored "
            "(saved as None).",
            UserWarning,
            stacklevel=3,
        )
    fitted = {}
    for attr, value in estimator._get_fitted_state().items():
        if value is None or isinstance(value, (bool, float)):
            fitted[attr] = value
        elif isinstance(value, (int, np.integer)):
            fitted[attr] = int(value)
        else:
            fitted[attr] = _plain_array(value)
    return {
        "format": FORMAT,
        "version": VERSION,
        "estimator": type(estimator).__name__,
        "params": params,
        "fitted": fitted,
        "module_state": {
            k: v.detach().cpu() for k, v in estimator.module_.state_dict().items()
        },
    }


def net_from_payload(payload, where, *, device=None, trusted=None):
    """The estimator :func:`net_payload` described, fitted; ``where`` names
    the file in error messages."""
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise ValueError(f"refused to load {where!r}: not a {FORMAT} file.")
    if payload.get("version") != VERSION:
        raise ValueError(
            f"{where!r} has format version "
            f"{payload.get('version')!r}; this skimb reads {VERSION}."
        )
    name = payload.get("estimator")
    if name not in ESTIMATORS:
        raise ValueError(
            f"{where!r} names an unknown estimator {name!r}; "
            f"expected one of {sorted(ESTIMATORS)}."
        )
    for key in ("params", "fitted", "module_state"):
        if not isinstance(payload.get(key), dict):
            raise ValueError(f"{where!r} is malformed: {key!r} is missing.")
    params = {k: _decode(k, v, trusted) for k, v in payload["params"].items()}
    if device is not None:
        params["device"] = device
    estimator = ESTIMATORS[name](**params)
    dev = check_device(params.get("device", "auto"))

    state = {}
    try:
        for attr, value in payload["fitted"].items():
            if isinstance(value, torch.Tensor):
                value = value.numpy()
            elif isinstance(value, list):
                strings = any(isinstance(v, str) for v in value)
                value = np.asarray(value, dtype=object if strings else None)
            state[attr] = value
        missing = {"classes_", "_n_flat_features"} - state.keys()
        if missing:
            raise KeyError(f"missing {sorted(missing)}")
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ValueError(
            f"{where!r} is malformed: fitted state ({type(exc).__name__}: {exc})."
        ) from None
    try:
        estimator._set_fitted_state(state, payload["module_state"])
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"{where!r} is malformed: fitted state ({type(exc).__name__}: {exc})."
        ) from None
    except RuntimeError as exc:
        raise ValueError(
            f"refused to load {where!r}: its weights do not fit the saved "
            f"architecture ({str(exc).splitlines()[0][:200]})."
        ) from None
    estimator.module_.to(dev)
    return estimator
