"""recbole-vagnn: VA-GNN and its baselines as a RecBole plugin.

The public entry points mirror RecBole's own: :class:`recbole_vagnn.config.Config`,
:func:`recbole_vagnn.utils.get_model`, :func:`recbole_vagnn.data.create_dataset` and
:func:`recbole_vagnn.quick_start.run_recbole`. Each looks in this package first and falls back
to RecBole, so every RecBole model runs through them unchanged.
"""

__version__ = "0.7.1"


def _find_checkout_converters():
    """In a checkout, find ``recbole_vagnn.dataset_converters`` in the top-level ``dataset_converters/``.

    The wheel installs that folder as ``recbole_vagnn/dataset_converters`` (pyproject's
    package-dir); a checkout keeps the project's layout, so its root joins this package's path.
    """
    from pathlib import Path

    here = Path(__file__).resolve().parent
    root = here.parent
    if not (here / "dataset_converters").is_dir() and (root / "dataset_converters" / "__init__.py").is_file():
        if (root / "pyproject.toml").is_file():
            __path__.append(str(root))


_find_checkout_converters()
