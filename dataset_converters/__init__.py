"""Converters from raw micro-video data to recbole-vagnn's tripartite atomic files.

- ``python -m dataset_converters.wechat RAW_DIR OUT_DIR``: WeChat Big Data Challenge 2021.
- ``python -m dataset_converters.takatak EVENTS_CSV OUT_DIR``: TakaTak-style event logs.
- ``python -m dataset_converters.authors RELEASE_DIR OUT_DIR``: the VA-GNN authors' released layout.
"""
