"""The documentation page and pull-request text that ``recbole-vagnn upstream`` writes (data files)."""
