"""The save hooks: a fitted estimator's state as plain data, and back."""

import numpy as np
from sklearn.utils.validation import check_is_fitted

__all__ = ["FittedStateMixin"]


class FittedStateMixin:
    """What :func:`skimb.save` stores and :func:`skimb.load` restores.

    Subclasses add their own fitted attributes to ``_FITTED_ATTRS``.
    """

    # Fitted attributes that skimb.save stores beside classes_ and the weights.
    _FITTED_ATTRS = (
        "n_features_in_",
        "feature_names_in_",
        "class_counts_",
        "class_prior_",
        "training_prior_",
        "batch_size_",
        "lr_",
        "do_early_stopping_",
        "n_epochs_",
        "best_epoch_",
        "best_validation_score_",
        "n_iter_no_change_",
    )

    def _get_fitted_state(self):
        """The fitted attributes besides the module's weights, as plain data."""
        check_is_fitted(self)
        state = {"classes_": self.classes_, "_n_flat_features": self._n_flat_features}
        for attr in self._FITTED_ATTRS:
            if hasattr(self, attr):
                state[attr] = getattr(self, attr)
        return state

    def _set_fitted_state(self, state, module_state):
        """Restore what :meth:`_get_fitted_state` returned and the module's
        weights; the estimator then predicts as the one that was saved."""
        self.__dict__["_classes"] = np.asarray(state["classes_"])
        self._n_flat_features = int(state["_n_flat_features"])
        for attr in self._FITTED_ATTRS:
            if attr in state:
                setattr(self, attr, state[attr])
        self._seed, self._fit_calls = 0, 1
        self.initialize()
        self.module_.load_state_dict(module_state, strict=True)
        if "training_prior_" not in state:  # a file from before the attribute
            self.training_prior_ = self._effective_prior()
        if "n_iter_no_change_" not in state:  # a file from before the attribute
            self.n_iter_no_change_ = (
                self.n_iter_no_change
                if getattr(self, "do_early_stopping_", False)
                else None
            )
        return self
