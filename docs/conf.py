"""Sphinx configuration: the user guide (Markdown through myst-parser) and an
API reference generated from the numpydoc docstrings (autosummary)."""

import sys

import skimb

project = "skimb"
author = "skimb developers"
copyright = "skimb developers"
release = skimb.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "numpydoc",
    "myst_parser",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build"]
templates_path = ["_templates"]

# The API pages are generated from the public names at build time.
autosummary_generate = True
autosummary_imported_members = True
autosummary_ignore_module_all = False
autodoc_typehints = "none"

# numpydoc renders the Parameters and Attributes sections; the methods are
# documented by the class template (skimb's own only, see
# _skip_foreign_member), so numpydoc's member tables, which would list every
# method inherited from skorch and scikit-learn, stay off.
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False

# Headings in the Markdown pages get anchors, so "page.md#a-heading" links work.
myst_heading_anchors = 3
myst_enable_extensions = ["colon_fence"]

html_theme = "pydata_sphinx_theme"
html_title = f"skimb {release}"
html_theme_options = {"navigation_with_keys": False, "show_toc_level": 2}
html_static_path = []


# Module-level constants are re-exported by each package's ``__init__``, but
# their ``#:`` doc comments live in the private module that defines them,
# where autodoc does not look. Read them there; never show the docstring of
# the value's type (``tuple``'s, ``dict``'s); show short values only (a
# registry's repr is pages long, and ``SUITES`` builds its lists when printed).
_PLAIN_VALUES = (tuple, str, int, float, dict)
_MAX_VALUE_CHARS = 200


def _doc_comment(package, name):
    from sphinx.pycode import ModuleAnalyzer

    for modname in sorted(sys.modules):
        if modname != package and not modname.startswith(package + "."):
            continue
        try:
            docs = ModuleAnalyzer.for_module(modname).find_attr_docs()
        except Exception:  # a compiled or source-less module: no comments
            continue
        if ("", name) in docs:
            return list(docs[("", name)])
    return None


def _document_constant(app, what, name, obj, options, lines):
    if what != "data":
        return
    package, _, attr = name.rpartition(".")
    comment = _doc_comment(package, attr)
    if comment is not None:
        lines[:] = comment
    elif " ".join(lines).split() == (type(obj).__doc__ or "").split():
        lines[:] = []
    value = repr(obj) if type(obj) in _PLAIN_VALUES else None
    if value is not None and len(value) <= _MAX_VALUE_CHARS:
        lines.extend(["", f"Value: ``{value}``"])


def _defining_module(obj):
    obj = getattr(obj, "fget", obj)  # a property's getter
    obj = getattr(obj, "__func__", obj)  # a classmethod's function
    return getattr(obj, "__module__", None)


def _skip_foreign_member(app, what, name, obj, skip, options):
    # A class page documents the methods skimb defines, also those of its
    # private base classes; what skorch, torch, scikit-learn and Python
    # define (and document) is left to them.
    module = _defining_module(obj)
    if what == "class" and module is not None and not module.startswith("skimb"):
        return True
    return None


def setup(app):
    app.connect("autodoc-skip-member", _skip_foreign_member)
    # Before numpydoc (priority 500) reformats the lines.
    app.connect("autodoc-process-docstring", _document_constant, priority=400)
