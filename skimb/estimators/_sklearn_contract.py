"""The scikit-learn contract over skorch: parameters, fitted state, tags.

skorch keeps ``initialized_``, ``history_`` and ``virtual_params_`` as
public attributes set in ``__init__``; scikit-learn forbids that, so they
live in private slots behind properties. ``device='auto'`` is stored as
given and resolved whenever skorch reads ``self.device``.
"""

import inspect

from .._utils.device import resolve_device
from ._budget import auto_lr

__all__ = ["SklearnContractMixin"]


class SklearnContractMixin:
    """Makes a skorch net pass scikit-learn's estimator checks.

    For the left of a skorch ``NeuralNet`` in the bases: fitted state behind
    properties, parameters read from the constructor's signature, callbacks
    stored (not initialised) by ``set_params``, scikit-learn's tags.
    """

    # ---- skorch bookkeeping behind properties -------------------------------
    @property
    def initialized_(self):
        return self.__dict__.get("_initialized", False)

    @initialized_.setter
    def initialized_(self, value):
        self.__dict__["_initialized"] = value

    @property
    def history_(self):
        return self.__dict__.get("_history")

    @history_.setter
    def history_(self, value):
        self.__dict__["_history"] = value

    @property
    def virtual_params_(self):
        return self.__dict__.setdefault("_virtual_params", {})

    @virtual_params_.setter
    def virtual_params_(self, value):
        self.__dict__["_virtual_params"] = value

    @property
    def device(self):
        return resolve_device(self.__dict__.get("_device_param", "auto"))

    @device.setter
    def device(self, value):
        self.__dict__["_device_param"] = value

    @property
    def classes_(self):
        try:
            return self.__dict__["_classes"]
        except KeyError:
            raise AttributeError(
                f"{type(self).__name__} has no attribute 'classes_' before fit."
            ) from None

    # ---- parameters ------------------------------------------------------------
    def _get_param_names(self):
        # The constructor's parameters plus skorch's ``prefix__name`` ones, so
        # that private fitted state never leaks into get_params.
        sig = inspect.signature(type(self).__init__)
        names = {
            p.name
            for p in sig.parameters.values()
            if p.name != "self" and p.kind is not p.VAR_KEYWORD
        }
        names |= {
            k
            for k in self.__dict__
            if "__" in k and not k.startswith("_") and not k.endswith("_")
        }
        # Any other keyword given at init or set_params is a parameter too;
        # skorch rejects unknown names at fit (initialize), not before.
        names |= {
            k
            for k in self.__dict__.get("_params_to_validate", ())
            if k in self.__dict__ and not k.startswith("callbacks")
        }
        return sorted(names)

    def get_params(self, deep=True, **kwargs):
        params = super().get_params(deep=deep, **kwargs)
        params["device"] = self.__dict__.get("_device_param", "auto")
        return params

    def set_params(self, **params):
        # skorch initialises callbacks as soon as ``callbacks`` is set; like
        # any scikit-learn parameter it is only stored here and checked at fit.
        if "callbacks" in params:
            callbacks = params.pop("callbacks")
            self.callbacks = callbacks
            if self.initialized_ and isinstance(callbacks, (list, tuple, type(None))):
                self._initialize_callbacks()
        if not params:
            return self
        super().set_params(**params)
        if "lr" in params and self.initialized_ and "lr_" in self.__dict__:
            self._set_fitted_lr()
        return self

    def _set_fitted_lr(self):
        # skorch hands a new lr of an initialised net straight to the
        # optimizer; with batch_size='auto' it is scaled as at fit, so that
        # lr means the same before and after fit.
        if "optimizer__lr" in self.__dict__:
            return
        lr = float(self.lr)
        if self.batch_size == "auto":
            lr = auto_lr(lr, self.batch_size_)
        self.lr_ = lr
        for group in self.optimizer_.param_groups:
            group["lr"] = lr

    def __setstate__(self, state):
        raw = state.get("_device_param", "auto")
        state = dict(state)
        state["device"] = resolve_device(raw)
        super().__setstate__(state)
        checked = self.__dict__.pop("device")
        self.__dict__["_device_param"] = raw if raw == "auto" else checked

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        tags.input_tags.sparse = True
        tags.classifier_tags.multi_label = False
        return tags
