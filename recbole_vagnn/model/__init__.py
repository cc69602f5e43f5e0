"""Models of recbole-vagnn."""
