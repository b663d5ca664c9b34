"""Tabular preprocessing that every method of a comparison shares.

Numeric columns get median imputation and standard scaling; categorical
columns (object, category, bool, string) get a one-hot encoding that ignores
categories unseen at fit. The transformer is the first step of each method's
pipeline, so it is fitted on the training fold only and nothing of the
validation or test part leaks into it.
"""

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer, make_column_selector
from sklearn.impute import SimpleImputer
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

__all__ = ["CATEGORICAL_DTYPES", "check_encodable", "make_preprocessor"]

#: The column dtypes that are one-hot encoded.
CATEGORICAL_DTYPES = ["object", "category", "bool", "string"]


def make_preprocessor(X):
    """The preprocessing for ``X``: a ``ColumnTransformer`` that imputes and
    scales the numeric columns and one-hot encodes the categorical ones (an
    array's columns are all numeric).

    The one-hot part may make the output sparse (``OneHotEncoder``'s
    default); the skimb estimators, the resamplers and the linear reference
    accept that.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"amount": [1.0, None, 3.0], "country": ["fr", "de", "fr"]})
    >>> make_preprocessor(df).fit_transform(df).shape
    (3, 3)
    """
    numeric = make_pipeline(SimpleImputer(strategy="median"), StandardScaler())
    if not isinstance(X, pd.DataFrame):
        return ColumnTransformer([("numeric", numeric, slice(0, None))])
    return ColumnTransformer(
        [
            (
                "numeric",
                numeric,
                make_column_selector(dtype_exclude=CATEGORICAL_DTYPES),
            ),
            (
                "categorical",
                OneHotEncoder(handle_unknown="ignore"),
                make_column_selector(dtype_include=CATEGORICAL_DTYPES),
            ),
        ],
        sparse_threshold=0.3,
    )


def check_encodable(X):
    """Raise a ValueError naming the first column the preprocessing cannot
    encode (mixed strings and numbers in one column, say), before any training.
    """
    if not isinstance(X, pd.DataFrame):
        X = np.asarray(X)
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
