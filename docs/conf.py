"""Sphinx configuration for the divgan user documentation.

Build (warnings are errors, nothing is downloaded):

    python -m sphinx -W --keep-going -b html docs docs/_build/html

Prose pages are MyST markdown; the API reference is autodoc + numpydoc over the docstrings.
``tests/test_docs.py`` runs this build and executes every ``>>>`` example on the prose pages.
"""
from __future__ import annotations

import importlib
import inspect
import os
import sys
from pathlib import Path

from docutils import nodes
from docutils.parsers.rst import directives
from docutils.statemachine import StringList
from sphinx.errors import PycodeError
from sphinx.pycode import ModuleAnalyzer
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective
from sphinx.util.nodes import nested_parse_with_titles

logger = logging.getLogger(__name__)

# One thread: the docs build imports torch (for the divgan.gan reference) on a shared machine.
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MPLBACKEND", "Agg")

# Document the checkout this conf.py belongs to, even when another copy is installed.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import divgan  # noqa: E402

project = "divgan"
author = "divgan contributors"
copyright = "2026, divgan contributors"
version = release = divgan.__version__

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.mathjax",
    "numpydoc",
]
# No intersphinx: the build must work offline and never download anything.

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
# Files starting with "_" are fragments (the README tour), included where needed.
exclude_patterns = ["_build", "_*.md", "**/.ipynb_checkpoints"]
templates_path: list[str] = []

myst_enable_extensions = ["dollarmath", "amsmath"]
myst_heading_anchors = 3

autodoc_default_options = {"member-order": "bysource"}
autodoc_typehints = "none"  # numpydoc's Parameters sections carry the types
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_attributes_as_param_list = True

html_theme = "alabaster"
html_static_path: list[str] = []
html_title = f"divgan {release}"


def _first_paragraph(obj) -> str:
    """The first paragraph of ``obj``'s docstring on one line (empty if it has none)."""
    doc = inspect.getdoc(obj) or ""
    return " ".join(doc.strip().split("\n\n")[0].split())


class ModuleSummary(SphinxDirective):
    """``.. divgan-summary:: module`` — a table of the module's ``__all__``, then each entry.

    The page follows the code: a name added to ``__all__`` appears (table row and full
    docstring, in ``__all__`` order) without editing the page. Classes are documented with
    their public methods, constants with their value. ``:exclude: NAME ...`` leaves names out.
    A name that cannot be imported is a warning, so the ``-W`` build fails on it.
    """

    required_arguments = 1
    option_spec = {"exclude": directives.unchanged}

    def run(self):
        modname = self.arguments[0]
        try:
            module = importlib.import_module(modname)
        except ImportError as exc:
            logger.warning("divgan-summary: cannot import %s: %s", modname, exc,
                           location=self.get_location())
            return []
        names = getattr(module, "__all__", None)
        if names is None:
            names = [n for n, obj in vars(module).items() if not n.startswith("_")
                     and getattr(obj, "__module__", None) == modname]
        excluded = set(self.options.get("exclude", "").split())
        names = [n for n in names if n not in excluded]
        missing = [n for n in names if not hasattr(module, n)]
        for name in missing:
            logger.warning("divgan-summary: %s.__all__ names %r, which it does not define",
                           modname, name, location=self.get_location())
        names = [n for n in names if n not in missing]
        try:
            attr_docs = ModuleAnalyzer.for_module(modname).find_attr_docs()
        except PycodeError:
            attr_docs = {}
        # The table lists functions and classes with the first paragraph of their docstring
        # (autosummary's first-sentence cut breaks a literal such as ``hidden... -> out``);
        # constants (tuples of names) are documented below with their value instead.
        lines = [f".. currentmodule:: {modname}", "", ".. list-table::", "   :widths: 30 70",
                 "   :class: divgan-summary", ""]
        for name in names:
            obj = getattr(module, name)
            if callable(obj):
                lines += [f"   * - :py:obj:`{name}`", f"     - {_first_paragraph(obj)}"]
        for name in names:
            obj = getattr(module, name)
            if inspect.isclass(obj):
                lines += ["", f".. autoclass:: {name}", "   :members:"]
            elif callable(obj):
                lines += ["", f".. autofunction:: {name}"]
            else:  # a constant: its value, and its ``#:`` comment if the source has one
                lines += ["", f".. py:data:: {name}", f"   :value: {obj!r}", ""]
                lines += [f"   {line}" for line in attr_docs.get(("", name), [])]
        # Parse with a source name that says which module a warning comes from.
        content = StringList(lines, source=f"<divgan-summary {modname}>")
        node = nodes.section()
        node.document = self.state.document
        nested_parse_with_titles(self.state, content, node)
        return node.children


def setup(app):
    app.add_directive("divgan-summary", ModuleSummary)
