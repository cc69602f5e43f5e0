"""Sphinx configuration of the recbole-vagnn manual: ``sphinx-build -W -b html docs/source OUT``.

The API reference is generated from the docstrings by autodoc, which imports the package: build
where ``pip install -e ".[docs]"`` (or the README's install command plus the ``docs`` extra) has
installed it, with torch and RecBole. Nothing is mocked: the config keys' table is rendered by the
package itself (``.. config-keys::``, ``_ext/vagnn_docs.py``).
"""

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE / "_ext"))
sys.path.insert(1, str(ROOT))  # a checkout builds without an install, once its dependencies are there

from recbole_vagnn import __version__  # noqa: E402

project = "recbole-vagnn"
author = "the recbole-vagnn authors"
copyright = "the recbole-vagnn authors, MIT licence"
release = __version__
version = ".".join(__version__.split(".")[:2])

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.viewcode",
    "myst_parser",
    "vagnn_docs",
]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "results/*.md"]  # results files are included by their page, not pages themselves
templates_path = []
nitpicky = False

autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_default_options = {"members": True, "undoc-members": False, "show-inheritance": True}
napoleon_google_docstring = True
napoleon_numpy_docstring = False

myst_enable_extensions = ["colon_fence"]
myst_heading_anchors = 3
# the benchmark's files start at ###: a heading level that suits its console output, not a page
suppress_warnings = ["myst.header"]

html_theme = "sphinx_rtd_theme"
html_title = f"recbole-vagnn {release}"
html_static_path = []
html_show_sourcelink = False
