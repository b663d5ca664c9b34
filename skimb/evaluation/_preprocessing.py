"""Tabular preprocessing that every method of a comparison shares.

Numeric columns get median imputation (with an indicator column where
values were missing) and robust scaling with smooth clipping (or standard
scaling, or a quantile transform: ``scaling``); categorical
columns (object, category, bool, string) get a one-hot encoding that ignores
categories unseen at fit, and a many-level column a cross-fitted target
encoding (or one-hot on its frequent levels, the rare ones folded into one:
``encoding``). Columns that carry no usable signal (identifiers, row numbers,
free text) are left out, chosen once from the training part, so the fitted
preprocessing (and a saved model that starts with it) leaves them out of
every later table too. The transformer is the first step of each method's
pipeline, so it is fitted on the training fold only and nothing of the
validation or test part leaks into it.
"""

import re
import warnings

import numpy as np
import pandas as pd
import scipy.sparse as sp
import sklearn
from packaging.version import Version
from sklearn.base import BaseEstimator, OneToOneFeatureMixin, TransformerMixin
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import (
    MaxAbsScaler,
    OneHotEncoder,
    OrdinalEncoder,
    QuantileTransformer,
    StandardScaler,
    TargetEncoder,
)
from sklearn.utils.validation import check_is_fitted

from ..preprocessing import SmoothClipScaler

__all__ = [
    "CATEGORICAL_DTYPES",
    "ColumnTypeCheck",
    "check_encodable",
    "make_preprocessor",
    "native_categorical_features",
    "unusable_columns",
    "warn_unusable",
]

#: The column dtypes that are one-hot encoded.
CATEGORICAL_DTYPES = ["object", "category", "bool", "string"]
#: The most one-hot columns a categorical column gets: its most frequent
#: levels, the rest one "infrequent" column (60,000 rows of a 5,000-level
#: column encode in well under a second; see the tests).
MAX_CATEGORIES = 32
#: The most levels of a categorical column that gradient boosting splits on
#: (scikit-learn's histogram gradient boosting takes fewer than 255 bins).
MAX_TREE_CATEGORIES = 250
#: A column with fewer non-missing values is never judged an identifier or
#: free text: too few to tell.
MIN_ROWS_TO_JUDGE = 20
#: A text column with at least this share of distinct values among its
#: non-missing rows names rows (an identifier) rather than groups them.
ID_DISTINCT_SHARE = 0.9
#: Free text: mostly distinct values (this share), most with a space and a
#: median length of at least this many characters.
TEXT_DISTINCT_SHARE = 0.5
TEXT_MIN_LENGTH = 25
#: Names that say a column numbers or identifies rows (``Unnamed: 0`` is a
#: DataFrame's index written to a csv by ``to_csv``), and name endings that
#: do (``customer_id``, ``customerId``; not ``paid``).
_ID_NAME = re.compile(
    r"(id|idx|index|row|row_?(id|number|num|no)|unnamed: ?\d+)|.*[_ .-]id",
    re.IGNORECASE,
)
_CAMEL_ID = re.compile(r".*[a-z](Id|ID)")


def _is_id_name(column):
    name = str(column).strip()
    return bool(_ID_NAME.fullmatch(name) or _CAMEL_ID.fullmatch(name))


def _integer_valued(values):
    if values.dtype.kind in "iu":
        return True
    return values.dtype.kind == "f" and bool(np.all(np.mod(values, 1) == 0))


def _why_unusable(series, n_rows):
    """Why ``series`` is left out of the features, or None to keep it."""
    values = series.dropna()
    n = len(values)
    if n < MIN_ROWS_TO_JUDGE or pd.api.types.is_bool_dtype(series):
        return None
    try:
        distinct = values.nunique()
    except TypeError:  # unhashable values: check_encodable's business
        return None
    if pd.api.types.is_numeric_dtype(series):
        # Real features may be unique per row (measured floats); only whole
        # numbers, unique per row, that count rows (a dense range) or are
        # named as identifiers are row numbers.
        array = values.to_numpy()
        if n < n_rows or distinct < n_rows or not _integer_valued(array):
            return None
        span = float(array.max()) - float(array.min()) + 1
        if span <= 2 * n_rows or _is_id_name(series.name):
            return f"a row number or identifier (unique whole numbers in all {n} rows)"
        return None
    if (
        distinct >= TEXT_DISTINCT_SHARE * n
        and pd.api.types.infer_dtype(values, skipna=True) == "string"
    ):
        text = values.astype(str)
        length = float(text.str.len().median())
        spaced = float(text.str.contains(" ", regex=False).mean())
        if spaced >= 0.5 and length >= TEXT_MIN_LENGTH:
            return (
                f"free text ({distinct} distinct values in {n} rows, median "
                f"length {length:.0f} characters)"
            )
    if distinct >= ID_DISTINCT_SHARE * n:
        return f"an identifier ({distinct} distinct values in {n} rows)"
    return None


def unusable_columns(X):
    """The columns of ``X`` the preprocessing leaves out, and why.

    A column is left out when it identifies rows rather than describing
    them: a text or categorical column with at least 90 % distinct values
    (:data:`ID_DISTINCT_SHARE`) among its non-missing rows, free text (mostly
    distinct values with spaces, a median length of 25 characters or more),
    or whole numbers unique per row that count rows (a range at most twice
    the number of rows) or whose name says so (``id``, ``customer_id``,
    ``Unnamed: 0``). Measured numbers are kept even when unique per row.
    A column with fewer than :data:`MIN_ROWS_TO_JUDGE` values, and every
    column of an array, is kept.

    Returns
    -------
    dict
        ``{column: reason}``, in the order of ``X``'s columns.

    Examples
    --------
    >>> df = pd.DataFrame({"user": [f"u{i}" for i in range(30)],
    ...                    "amount": np.linspace(0, 1, 30)})
    >>> unusable_columns(df)
    {'user': 'an identifier (30 distinct values in 30 rows)'}
    """
    if not isinstance(X, pd.DataFrame):
        return {}
    reasons = {}
    for column in X.columns:
        why = _why_unusable(X[column], len(X))
        if why is not None:
            reasons[column] = why
    return reasons


def warn_unusable(reasons, what, *, stacklevel=2):
    """A UserWarning naming the columns of ``what`` left out and why (none
    when ``reasons``, from :func:`unusable_columns`, is empty)."""
    if not reasons:
        return
    listed = "; ".join(f"{column!r} is {why}" for column, why in reasons.items())
    warnings.warn(
        f"{what}: {len(reasons)} column(s) left out of the features (chosen on "
        f"the training part; a saved model leaves them out too): {listed}. Drop "
        "them yourself, or derive values that many rows share, to silence this.",
        UserWarning,
        stacklevel=stacklevel + 1,
    )


def _kind(series):
    """'number', 'bool' or 'text': what the preprocessing reads a column as
    (None when every value is missing)."""
    if not series.notna().any():
        return None
    dtype = series.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        return _kind(pd.Series(dtype.categories))
    if pd.api.types.is_bool_dtype(dtype):
        return "bool"
    if pd.api.types.is_numeric_dtype(dtype):
        return "number"
    inferred = pd.api.types.infer_dtype(series, skipna=True)
    if inferred == "boolean":
        return "bool"
    if inferred in ("integer", "floating", "mixed-integer-float", "decimal"):
        return "number"
    return "text"


_KIND_WORDS = {"number": "numbers", "bool": "booleans", "text": "text"}


class ColumnTypeCheck(OneToOneFeatureMixin, TransformerMixin, BaseEstimator):
    """Pass a DataFrame through unchanged, after checking that each column
    holds the kind of values (numbers or text) it held at fit.

    The first step of each part of :func:`make_preprocessor`, so that text
    in a numeric column (or numbers in a text one) at predict time is a
    ValueError naming the column and both dtypes, not an imputer's or an
    encoder's error about a value. A column with every value missing
    passes. Booleans pass where numbers were seen and numbers where
    booleans were.

    Attributes
    ----------
    kinds_ : list of str or None
        Per column, ``'number'``, ``'bool'`` or ``'text'`` (None: all
        missing at fit, anything passes).
    dtypes_ : list of str
        Per column, its dtype at fit (for the error message).
    feature_names_in_ : ndarray of str
    n_features_in_ : int
    """

    def fit(self, X, y=None):
        if not isinstance(X, pd.DataFrame):
            raise TypeError(
                f"ColumnTypeCheck takes a DataFrame; got {type(X).__name__}."
            )
        self.feature_names_in_ = np.asarray(X.columns, dtype=object)
        self.n_features_in_ = X.shape[1]
        self.kinds_ = [_kind(X.iloc[:, i]) for i in range(X.shape[1])]
        self.dtypes_ = [str(dtype) for dtype in X.dtypes]
        return self

    def transform(self, X):
        check_is_fitted(self)
        if not isinstance(X, pd.DataFrame):
            return X  # an array: its columns are checked by position upstream
        missing = []  # all-missing columns, as the kind fit saw
        for i, (column, expected) in enumerate(
            zip(self.feature_names_in_, self.kinds_, strict=True)
        ):
            if expected is None:
                continue
            got = _kind(X.iloc[:, i])
            if got is None:
                missing.append(i)
            if got is None or got == expected or "text" not in (got, expected):
                continue
            example = X.iloc[:, i].dropna().iloc[0]
            example = example.item() if isinstance(example, np.generic) else example
            raise ValueError(
                f"column {column!r} must hold {_KIND_WORDS[expected]}, as it did "
                f"at fit (dtype {self.dtypes_[i]}); got {_KIND_WORDS[got]} (dtype "
                f"{X.iloc[:, i].dtype}, e.g. {example!r}). Convert it to "
                f"{_KIND_WORDS[expected]} before predicting."
            )
        # A column read with every value missing (one row from a csv, say)
        # arrives as floats; the encoder of a text column compares it with
        # text, so it gets the dtype seen at fit.
        if any(self.kinds_[i] != "number" for i in missing):
            X = X.copy()
            for i in missing:
                if self.kinds_[i] != "number":
                    X[X.columns[i]] = X.iloc[:, i].astype(object)
        return X


def native_categorical_features(preprocessor):
    """The ``categorical_features`` of gradient boosting behind
    ``make_preprocessor(X, native_categories=True)``: the positions of its
    category codes (None without categorical columns)."""
    transformers = getattr(preprocessor, "transformers", None)
    if not transformers:
        return None
    name, _, columns = transformers[0]
    if name != "categorical" or not len(columns):
        return None  # another preprocessing, or no categorical column
    return list(range(len(columns)))


#: The scalings of the numeric columns, by name.
SCALINGS = ("smooth-clip", "standard", "quantile")
#: The encodings of a categorical column of more than MAX_CATEGORIES levels.
ENCODINGS = ("target", "one-hot")


def _scaler(scaling):
    if scaling == "smooth-clip":
        return SmoothClipScaler()
    if scaling == "standard":
        return StandardScaler()
    if scaling == "quantile":
        return QuantileTransformer(output_distribution="normal", subsample=100_000)
    raise ValueError(
        f"scaling must be one of {', '.join(map(repr, SCALINGS))}; got {scaling!r}."
    )


def _target_encoder():
    """scikit-learn's TargetEncoder, its cross-fitting folds drawn with a
    fixed seed (through ``cv`` from 1.9 on, ``random_state`` before)."""
    if Version(sklearn.__version__) >= Version("1.9"):
        return TargetEncoder(cv=StratifiedKFold(5, shuffle=True, random_state=0))
    return TargetEncoder(random_state=0)


def make_preprocessor(
    X,
    *,
    drop=None,
    native_categories=False,
    scaling="smooth-clip",
    encoding="target",
):
    """The preprocessing for ``X``: a ``ColumnTransformer`` that imputes and
    scales the numeric columns and one-hot encodes the categorical ones (an
    array's columns are all numeric), leaving out the columns in ``drop``.

    Parameters
    ----------
    X : DataFrame, array-like or sparse matrix
        The training part; its columns are assigned to the numeric and
        categorical parts once, by name, so that later tables go through
        the same choice. A sparse matrix (a bag of words) is only scaled,
        by each column's largest absolute value, so it stays sparse.
    drop : iterable of column names or None
        Columns to leave out; None: those :func:`unusable_columns` finds.
    scaling : {'smooth-clip', 'standard', 'quantile'}, default='smooth-clip'
        How the numeric columns are scaled after median imputation (which
        adds a 0/1 column per column that had missing values at fit):
        robust scaling with smooth clipping
        (:class:`~skimb.preprocessing.SmoothClipScaler`), standard scaling,
        or a normal-output quantile transform.
    encoding : {'target', 'one-hot'}, default='target'
        How a categorical column of more than :data:`MAX_CATEGORIES` levels
        is encoded: scikit-learn's ``TargetEncoder`` (each level
        as its shrunk mean of the labels: one column for two classes, one
        per class for more; cross-fitted when fitted, so a training row's
        own label does not leak into its value), followed by the numeric
        scaling. Columns
        with fewer levels are one-hot encoded either way.
    native_categories : bool, default=False
        For gradient boosting, which splits on categories and missing values
        itself: the categorical columns as codes (the first columns; at
        most :data:`MAX_TREE_CATEGORIES` levels each, the rarest folded into
        one, unseen ones missing), the numeric ones as they are
        (:func:`native_categorical_features` gives their positions). An
        array is returned as the numeric preprocessing either way.

    The one-hot part may make the output sparse (``OneHotEncoder``'s
    default); the skimb estimators, the resamplers and the linear reference
    accept that. A column of more than :data:`MAX_CATEGORIES` levels keeps
    its most frequent ones and folds the rest into one column.

    Examples
    --------
    >>> df = pd.DataFrame({"amount": [1.0, None, 3.0], "country": ["fr", "de", "fr"]})
    >>> make_preprocessor(df).fit_transform(df).shape  # amount, its flag, 2 levels
    (3, 4)
    """
    if encoding not in ENCODINGS:
        raise ValueError(
            f"encoding must be one of {', '.join(map(repr, ENCODINGS))}; "
            f"got {encoding!r}."
        )
    numeric = make_pipeline(
        SimpleImputer(strategy="median", add_indicator=True), _scaler(scaling)
    )
    if sp.issparse(X):
        # A bag of words, say: scaled column by column to [-1, 1], which
        # keeps its zeros (centring would fill them in).
        return ColumnTransformer([("numeric", MaxAbsScaler(), slice(0, None))])
    if not isinstance(X, pd.DataFrame):
        return ColumnTransformer([("numeric", numeric, slice(0, None))])
    reasons = unusable_columns(X) if drop is None else dict.fromkeys(drop, "in drop")
    dropped = set(reasons)
    if X.shape[1] and dropped >= set(X.columns):
        listed = "; ".join(f"{column!r}: {why}" for column, why in reasons.items())
        raise ValueError(
            f"X has no column left to train on: every one is left out ({listed}); "
            "add columns that describe the rows."
        )
    categorical = set(X.select_dtypes(include=CATEGORICAL_DTYPES).columns)
    # Columns by name; by position where a name is not a string (a
    # ColumnTransformer reads integers as positions).
    by_name = all(isinstance(c, str) for c in X.columns)
    kept = [
        (c if by_name else i, c in categorical)
        for i, c in enumerate(X.columns)
        if c not in dropped
    ]
    numeric_columns = [c for c, is_categorical in kept if not is_categorical]
    categorical_columns = [c for c, is_categorical in kept if is_categorical]
    many_levels = []
    if encoding == "target" and not native_categories:
        many_levels = [
            c
            for c in categorical_columns
            if X[c if by_name else X.columns[c]].nunique() > MAX_CATEGORIES
        ]
        categorical_columns = [c for c in categorical_columns if c not in many_levels]
    if native_categories:
        # Gradient boosting splits on categories and on missing values
        # itself: codes (the first columns), numbers as they are.
        codes = OrdinalEncoder(
            handle_unknown="use_encoded_value",
            unknown_value=np.nan,
            encoded_missing_value=np.nan,
            max_categories=MAX_TREE_CATEGORIES,
        )
        return ColumnTransformer(
            [
                (
                    "categorical",
                    make_pipeline(ColumnTypeCheck(), codes),
                    categorical_columns,
                ),
                ("numeric", ColumnTypeCheck(), numeric_columns),
            ],
            remainder="drop",
            sparse_threshold=0,
        )
    target_encoded = make_pipeline(
        ColumnTypeCheck(),
        _target_encoder(),  # missing values: a level of their own
        _scaler(scaling),
    )
    return ColumnTransformer(
        [
            (
                "numeric",
                make_pipeline(ColumnTypeCheck(), *numeric),
                numeric_columns,
            ),
            (
                "categorical",
                make_pipeline(
                    ColumnTypeCheck(),
                    OneHotEncoder(
                        handle_unknown="infrequent_if_exist",
                        max_categories=MAX_CATEGORIES,
                    ),
                ),
                categorical_columns,
            ),
        ]
        + ([("target-encoded", target_encoded, many_levels)] if many_levels else []),
        remainder="drop",
        sparse_threshold=0.3,
    )


def check_encodable(X):
    """Raise a ValueError naming the first column the preprocessing cannot
    encode (mixed strings and numbers in one column, say), before any training.
    """
    if not isinstance(X, pd.DataFrame):
        X = X if sp.issparse(X) else np.asarray(X)
        if X.dtype.kind not in "biuf":
            raise ValueError(
                "X must hold numbers; got an array of dtype "
                f"{X.dtype}. Pass a DataFrame to have text columns one-hot encoded."
            )
        return
    categorical = set(X.select_dtypes(include=CATEGORICAL_DTYPES).columns)
    for column in X.columns:
        if column in categorical:
            kinds = {type(v) for v in X[column].dropna()}
            text = {k for k in kinds if issubclass(k, str)}
            if text and kinds - text:
                raise ValueError(
                    f"column {column!r} mixes text and other values "
                    f"({sorted(k.__name__ for k in kinds)}); one-hot encoding needs "
                    "one kind per column. Convert it with df[col].astype(str) or "
                    "clean it."
                )
        elif not pd.api.types.is_numeric_dtype(X[column]):
            raise ValueError(
                f"column {column!r} has dtype {X[column].dtype}, which is neither "
                "numeric nor categorical; convert it (to numbers, or to "
                "'category') before the comparison."
            )
