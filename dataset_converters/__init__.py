"""Converters from raw micro-video data to recbole-vagnn's tripartite atomic files.

Installed as ``recbole_vagnn.dataset_converters`` (the checkout keeps them in the top-level
``dataset_converters/`` folder); ``recbole-vagnn convert CONVERTER`` runs them. In a checkout,
``python -m dataset_converters.wechat RAW_DIR OUT_DIR`` works too (likewise ``takatak``,
``authors``, ``table``).
"""
