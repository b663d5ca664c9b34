"""Safe persistence: parameters as plain data, weights as tensors.

``pickle`` runs code while loading, so a pickled model from an untrusted
source can do anything. :func:`save` writes a fitted skimb estimator, or a
scikit-learn / imbalanced-learn pipeline around one (or any fitted
scikit-learn estimator), as a ``torch.save`` archive of plain Python data and
tensors only; :func:`load` reads it with ``torch.load(weights_only=True)``,
which refuses anything else. A skimb net is stored as its parameters, fitted
state and weights (:mod:`skimb.estimators._net_state`); every other step with
skops (``skops.io``), the library made for safe scikit-learn persistence,
whose loader builds only the types it is told to trust.

Use ``save``/``load`` to share or deploy a trained model; use ``pickle`` (or
joblib) for a full snapshot of your own objects, including the optimizer
state, callbacks and custom modules, when you trust the file.
"""

import importlib
import os
import pickle
import zipfile
from pathlib import Path

import numpy as np
import torch
from sklearn.base import BaseEstimator
from sklearn.model_selection import BaseCrossValidator, FixedThresholdClassifier
from sklearn.pipeline import Pipeline as SkPipeline
from sklearn.utils.validation import check_is_fitted

from .._utils.files import atomic_write
from ._net_state import ESTIMATORS, FORMAT, net_from_payload, net_payload

__all__ = ["PIPELINE_FORMAT", "load", "save"]

#: The format of a file holding a model that decides at a fixed threshold
#: (scikit-learn's FixedThresholdClassifier around a net or a pipeline).
THRESHOLD_FORMAT = "skimb-threshold"
#: The format of a file holding a pipeline (or an estimator other than a
#: skimb net); a skimb net alone keeps :data:`~._net_state.FORMAT`.
PIPELINE_FORMAT = "skimb-pipeline"
PIPELINE_VERSION = 1

# Types that skops does not trust by default but that hold data, not code:
# numpy's dtype objects, the column selector of a ColumnTransformer, the
# trees of the tree ensembles, and the column check of skimb's preprocessing
# (a BaseEstimator whose state is lists of strings).
_SAFE_TYPES = frozenset(
    {
        "numpy.dtype",
        # Gradient boosting with categorical features checks its input with
        # partial(check_array, ...): skops audits the function a partial
        # holds, which must be trusted too.
        "functools.partial",
        "sklearn.utils.validation.check_array",
        "skimb.evaluation._preprocessing.ColumnTypeCheck",
        "skimb.preprocessing._smooth_clip.SmoothClipScaler",
        "sklearn.compose._column_transformer.make_column_selector",
        "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
        "sklearn.tree._tree.Tree",
    }
)
# Libraries whose estimator classes are rebuilt from their fitted attributes
# like scikit-learn's, which skops already trusts.
_ESTIMATOR_LIBRARIES = ("sklearn.", "imblearn.")


def _is_skimb_net(obj):
    return type(obj).__name__ in ESTIMATORS and type(obj).__module__.startswith(
        "skimb."
    )


def _pipeline_class(name):
    if name == "sklearn.pipeline.Pipeline":
        return SkPipeline
    if name == "imblearn.pipeline.Pipeline":
        from imblearn.pipeline import Pipeline

        return Pipeline
    raise ValueError(f"names an unknown pipeline class {name!r}.")


def _class_name(obj):
    cls = type(obj)
    module = cls.__module__
    if module.startswith("imblearn.pipeline") or module.startswith("sklearn.pipeline"):
        module = module.rsplit("._", 1)[0]
    return f"{module}.{cls.__qualname__}"


def _pipeline_payload(obj):
    import skops.io as sio

    if isinstance(obj, SkPipeline):
        steps, pipeline = obj.steps, _class_name(obj)
        if pipeline not in ("sklearn.pipeline.Pipeline", "imblearn.pipeline.Pipeline"):
            raise TypeError(
                "save() takes a scikit-learn or imbalanced-learn Pipeline; got "
                f"{type(obj).__name__}."
            )
        check_is_fitted(steps[-1][1])
    else:
        steps, pipeline = [("model", obj)], None
        check_is_fitted(obj)
    stored = []
    for name, step in steps:
        if _is_skimb_net(step):
            stored.append({"name": name, "net": net_payload(step)})
        else:
            data = np.frombuffer(sio.dumps(step), dtype=np.uint8).copy()
            stored.append({"name": name, "skops": torch.from_numpy(data)})
    return {
        "format": PIPELINE_FORMAT,
        "version": PIPELINE_VERSION,
        "pipeline": pipeline,
        "steps": stored,
    }


def _plain(value):
    return value.item() if isinstance(value, np.generic) else value


def _threshold_payload(model):
    """A FixedThresholdClassifier: its decision settings as plain data, the
    model it wraps as any other."""
    inner = getattr(model, "estimator_", model.estimator)
    threshold = model.threshold
    if not isinstance(threshold, str):
        threshold = float(threshold)
    return {
        "format": THRESHOLD_FORMAT,
        "version": PIPELINE_VERSION,
        "threshold": threshold,
        "pos_label": _plain(model.pos_label),
        "response_method": model.response_method,
        "model": net_payload(inner)
        if _is_skimb_net(inner)
        else _pipeline_payload(inner),
    }


def save(model, path):
    """Write a fitted model to ``path`` without pickling code.

    Parameters
    ----------
    model : skimb estimator, Pipeline or scikit-learn estimator
        A fitted :class:`~skimb.NetClassifier`,
        :class:`~skimb.WeightedLossClassifier` or
        :class:`~skimb.WeightedSamplerClassifier`; or a fitted
        scikit-learn or imbalanced-learn ``Pipeline`` (its skimb nets stored
        as above, its other steps with skops); or any other fitted
        scikit-learn estimator (with skops). Training-only parameters of a
        net (``callbacks``, ``train_split``) are not stored (a warning says
        so when they are set); nor is the optimizer state.
    path : str or path-like
        The file to write (atomically: a temporary file, then a rename).

    Returns
    -------
    path : pathlib.Path
        The file written.

    Examples
    --------
    >>> import numpy as np, skimb
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> X = np.random.default_rng(0).normal(size=(40, 3)).astype(np.float32)
    >>> y = np.array(["ok", "fraud"] * 20)
    >>> model = make_pipeline(StandardScaler(), skimb.NetClassifier(
    ...     max_epochs=2, module__hidden_units=4, device="cpu")).fit(X, y)
    >>> import tempfile, os
    >>> path = skimb.save(model, os.path.join(tempfile.mkdtemp(), "model.skimb"))
    >>> loaded = skimb.load(path)
    >>> bool((loaded.predict(X) == model.predict(X)).all())
    True
    """
    if isinstance(model, FixedThresholdClassifier):
        payload = _threshold_payload(model)
    elif _is_skimb_net(model):
        payload = net_payload(model)
    elif isinstance(model, BaseEstimator):
        payload = _pipeline_payload(model)
    else:
        raise TypeError(
            "save() takes a fitted skimb estimator, a scikit-learn or "
            f"imbalanced-learn Pipeline, or a scikit-learn estimator; got "
            f"{type(model).__name__}."
        )
    return atomic_write(Path(path), writer=lambda tmp: torch.save(payload, tmp))


def _read(path):
    # save() writes torch's zip archive; anything else (a csv, a pickle) is
    # refused before torch's unpickler reads it, which fails on text with
    # errors such as "IndexError: pop from empty list".
    if os.path.isfile(path) and not zipfile.is_zipfile(path):
        raise ValueError(
            f"refused to load {os.fspath(path)!r}: it is not a skimb model file "
            "(a file written by skimb.save, a zip archive; this one is not)."
        )
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise
    except (
        pickle.UnpicklingError,
        RuntimeError,
        EOFError,
        ValueError,
        TypeError,
        AttributeError,
        IndexError,
        KeyError,
        zipfile.BadZipFile,
        OSError,
    ) as exc:
        raise ValueError(
            f"refused to load {os.fspath(path)!r}: it is not a skimb model file or "
            "it holds objects other than plain data and tensors "
            f"({type(exc).__name__}: {str(exc).splitlines()[0][:200]})."
        ) from None


def _trusted_type(name, trusted):
    if name in _SAFE_TYPES or name in trusted:
        return True
    if not name.startswith(_ESTIMATOR_LIBRARIES):
        return False
    module, _, attr = name.rpartition(".")
    try:
        cls = getattr(importlib.import_module(module), attr)
    except (ImportError, AttributeError):
        return False
    # Estimators, and the cross-validation splitters they hold (a
    # TargetEncoder's cross-fitting folds).
    return isinstance(cls, type) and issubclass(
        cls, (BaseEstimator, BaseCrossValidator)
    )


def _skops_step(data, where, trusted):
    import skops.io as sio

    if not isinstance(data, torch.Tensor) or data.dtype != torch.uint8:
        raise ValueError(f"{where!r} is malformed: a step is not a byte string.")
    raw = data.numpy().tobytes()
    try:
        untrusted = sio.get_untrusted_types(data=raw)
    except Exception as exc:
        raise ValueError(
            f"refused to load {where!r}: a step is not a skops archive "
            f"({type(exc).__name__})."
        ) from None
    refused = [name for name in untrusted if not _trusted_type(name, trusted)]
    if refused:
        raise ValueError(
            f"refused to load {where!r}: it names types outside the allow-list "
            f"{refused}; if you trust them, pass trusted={{name: object}} for each "
            "to skimb.load."
        )
    return sio.loads(raw, trusted=untrusted)


def _pipeline_from_payload(payload, where, *, device, trusted):
    if payload.get("version") != PIPELINE_VERSION:
        raise ValueError(
            f"{where!r} has format version {payload.get('version')!r}; this skimb "
            f"reads {PIPELINE_VERSION}."
        )
    stored = payload.get("steps")
    if not isinstance(stored, list) or not stored:
        raise ValueError(f"{where!r} is malformed: 'steps' is missing.")
    steps = []
    for entry in stored:
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
            raise ValueError(f"{where!r} is malformed: a step has no name.")
        if "net" in entry:
            step = net_from_payload(entry["net"], where, device=device, trusted=trusted)
        elif "skops" in entry:
            step = _skops_step(entry["skops"], where, trusted)
        else:
            raise ValueError(f"{where!r} is malformed: step {entry['name']!r}.")
        steps.append((entry["name"], step))
    if payload.get("pipeline") is None:
        return steps[0][1]
    try:
        cls = _pipeline_class(payload["pipeline"])
    except ValueError as exc:
        raise ValueError(f"{where!r} {exc}") from None
    return cls(steps)


def load(path, *, device=None, trusted=None):
    """Load a model written by :func:`save`; no code from the file runs.

    Parameters
    ----------
    path : str or path-like
    device : str or None
        Override the saved ``device`` parameter of every skimb net (e.g.
        ``'cpu'``).
    trusted : dict or None
        ``{"package.module.Name": object}`` for classes or functions you
        vouch for that are not in the allow-list (a custom module of a net,
        a custom transformer or function in a pipeline, say).

    Returns
    -------
    model
        Fitted, predicting exactly as the saved one: a skimb estimator, a
        Pipeline or a scikit-learn estimator, as saved.

    Raises
    ------
    ValueError
        If the file is not a skimb model file, was tampered with (holds
        anything but plain data and tensors, names a class or function
        outside the allow-list, or weights that do not fit the saved
        architecture).
    """
    where = os.fspath(path)
    payload = _read(path)
    trusted = dict(trusted or {})
    if isinstance(payload, dict) and payload.get("format") == THRESHOLD_FORMAT:
        if not isinstance(payload.get("model"), dict):
            raise ValueError(
                f"{where!r} is malformed: the thresholded model is missing."
            )
        return FixedThresholdClassifier(
            _model_from_payload(payload["model"], where, device, trusted),
            threshold=payload.get("threshold"),
            pos_label=payload.get("pos_label"),
            response_method=payload.get("response_method"),
        )
    return _model_from_payload(payload, where, device, trusted)


def _model_from_payload(payload, where, device, trusted):
    if isinstance(payload, dict) and payload.get("format") == PIPELINE_FORMAT:
        return _pipeline_from_payload(payload, where, device=device, trusted=trusted)
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise ValueError(
            f"refused to load {where!r}: not a {FORMAT} or {PIPELINE_FORMAT} file."
        )
    return net_from_payload(payload, where, device=device, trusted=trusted)
