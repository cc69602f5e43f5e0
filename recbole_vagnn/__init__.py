"""recbole-vagnn: VA-GNN and its baselines as a RecBole plugin.

The public entry points mirror RecBole's own: :class:`recbole_vagnn.config.Config`,
:func:`recbole_vagnn.utils.get_model`, :func:`recbole_vagnn.data.create_dataset` and
:func:`recbole_vagnn.quick_start.run_recbole`. Each looks in this package first and falls back
to RecBole, so every RecBole model runs through them unchanged.
"""

__version__ = "0.3.0"
