"""Sphinx configuration of the skscratchnn documentation.

Build with ``sphinx-build -W --keep-going -b html docs docs/_build/html`` after
``pip install ".[docs]"``; the gallery examples run during the build.
"""

from pathlib import Path

from threadpoolctl import threadpool_limits

import skscratchnn

# The gallery trains small networks, for which one BLAS thread is faster than
# several competing for the cores (much faster on a busy machine).
threadpool_limits(1)

DOCS = Path(__file__).parent

project = "skscratchnn"
author = "the skscratchnn developers"
copyright = "the skscratchnn developers"
version = release = skscratchnn.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    "myst_parser",
]

templates_path = ["_templates"]
# examples/ holds the gallery sources; sphinx-gallery turns them into auto_examples/.
exclude_patterns = ["_build", "examples", "**.ipynb_checkpoints"]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
default_role = "literal"

# API reference: one page per public object, built from the numpydoc docstrings.
autosummary_generate = True
autodoc_typehints = "none"
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_validation_checks = set()

html_theme = "pydata_sphinx_theme"
html_title = f"skscratchnn {release}"
html_static_path = []
html_show_sourcelink = False
html_theme_options = {
    "navbar_align": "left",
    "show_toc_level": 2,
    "navigation_with_keys": False,
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
}
html_context = {"default_mode": "light"}
# Single pages at the top level have no section navigation: give their width to
# the text. The user guide and the gallery keep theirs.
html_sidebars = {"*": []}

sphinx_gallery_conf = {
    "examples_dirs": "examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "doc_module": ("skscratchnn",),
    "reference_url": {"skscratchnn": None},
    "backreferences_dir": "generated/backreferences",
    "remove_config_comments": True,
    "within_subsection_order": "FileNameSortKey",
    "min_reported_time": 1,
    "show_memory": False,
}

# The benchmarks page shows benchmarks/README.md and the result files in
# benchmarks/results/ as they are at build time; it builds without them too.
BENCHMARKS = DOCS.parent / "benchmarks"
myst_heading_anchors = 3
suppress_warnings = ["myst.header", "myst.xref_missing"]


def _include_markdown(path):
    """Return reST including the Markdown file ``path`` (relative to docs/)."""
    # The including page has a title: skip the file's own, if it starts with one.
    starts_with_title = path.read_text().startswith("# ")
    relative = path.relative_to(DOCS.parent).as_posix()
    return (
        f"\n\n.. include:: ../{relative}\n"
        "   :parser: myst_parser.sphinx_\n"
        + ("   :start-line: 1\n" if starts_with_title else "")
    )


def _include_benchmark_results(app, docname, source):
    if docname != "benchmarks":
        return
    readme = BENCHMARKS / "README.md"
    if readme.exists():
        source[0] += _include_markdown(readme)
    else:
        source[0] += "\n\nThere was no ``benchmarks/README.md`` at build time.\n"
    for result in sorted((BENCHMARKS / "results").glob("*.md")):
        first_line = result.read_text().partition("\n")[0]
        title = first_line[2:] if first_line.startswith("# ") else result.name
        source[0] += (
            f"\n\n{title}\n{'-' * len(title)}\n\n"
            f"From ``benchmarks/results/{result.name}``."
            + _include_markdown(result)
        )
        plot = result.with_suffix(".png")
        if plot.exists():
            source[0] += f"\n\n.. image:: ../{plot.relative_to(DOCS.parent).as_posix()}\n"


def setup(app):
    app.connect("source-read", _include_benchmark_results)
