"""Robust scaling followed by smooth clipping (RealMLP's preprocessing).

Holzmüller, Grinsztajn and Steinwart (NeurIPS 2024) scale each numeric
column by its median and interquartile range and then pass it through
``x / sqrt(1 + (x / c)^2)``: close to the identity within a few
interquartile ranges, bounded by ``c`` beyond. A standard-scaled log-normal
amount puts most rows in a narrow band near zero and a few far out; here
the bulk spreads over the unit range and the outliers stay in order without
dominating the first layer's inputs.
"""

import warnings
from numbers import Real

import numpy as np
from sklearn.base import BaseEstimator, OneToOneFeatureMixin, TransformerMixin
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import FLOAT_DTYPES, check_is_fitted, validate_data

__all__ = ["SmoothClipScaler"]


class SmoothClipScaler(OneToOneFeatureMixin, TransformerMixin, BaseEstimator):
    """Scale by median and interquartile range, then clip smoothly.

    Each column ``x`` becomes ``z / sqrt(1 + (z / clip)^2)`` with
    ``z = (x - median) / iqr``. A column whose interquartile range is 0 is
    scaled by half its range instead; a constant column becomes 0. Missing
    values stay missing (impute before or after, as a pipeline needs).

    Parameters
    ----------
    clip : float, default=3.0
        The bound the output approaches: values within about one ``clip``
        of the median keep their scale, farther ones are compressed
        towards ``±clip``.

    Attributes
    ----------
    center_ : ndarray of shape (n_features,)
        The medians.
    scale_ : ndarray of shape (n_features,)
        What each column is divided by (0 for a constant column: its
        output is 0).
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Where the input had string column names.

    See Also
    --------
    sklearn.preprocessing.RobustScaler : the same scaling without the
        clipping.
    sklearn.preprocessing.QuantileTransformer : a rank transform.

    References
    ----------
    D. Holzmüller, L. Grinsztajn and I. Steinwart, "Better by default:
    Strong pre-tuned MLPs and boosted trees on tabular data", NeurIPS 2024.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[1.0], [2.0], [3.0], [4.0], [1000.0]])
    >>> SmoothClipScaler().fit_transform(X).round(2).ravel().tolist()
    [-0.95, -0.49, 0.0, 0.49, 3.0]
    """

    _parameter_constraints = {"clip": [Interval(Real, 0, None, closed="neither")]}

    def __init__(self, clip=3.0):
        self.clip = clip

    def fit(self, X, y=None):
        """Learn the medians and scales of ``X``'s columns.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : None
            Ignored.

        Returns
        -------
        self
        """
        self._validate_params()
        X = validate_data(self, X, dtype=FLOAT_DTYPES, ensure_all_finite="allow-nan")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns
            q25, center, q75 = np.nanpercentile(X, [25, 50, 75], axis=0)
            low, high = np.nanmin(X, axis=0), np.nanmax(X, axis=0)
        iqr = q75 - q25
        half_range = (high - low) / 2
        scale = np.where(iqr > 0, iqr, half_range)
        self.center_ = np.nan_to_num(center)
        self.scale_ = np.where(np.isfinite(scale) & (scale > 0), scale, 0.0)
        return self

    def transform(self, X):
        """Scale and clip ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples, n_features)
        """
        check_is_fitted(self)
        X = validate_data(
            self,
            X,
            dtype=FLOAT_DTYPES,
            ensure_all_finite="allow-nan",
            reset=False,
            copy=True,
        )
        safe = np.where(self.scale_ > 0, self.scale_, 1.0)
        z = (X - self.center_) / safe
        z[:, self.scale_ == 0] = np.where(np.isnan(X[:, self.scale_ == 0]), np.nan, 0.0)
        return z / np.sqrt(1.0 + (z / self.clip) ** 2)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        return tags
