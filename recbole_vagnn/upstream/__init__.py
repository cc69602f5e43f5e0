"""The upstream contribution: ``recbole-vagnn upstream`` lays VA-GNN out as RecBole's own source
tree and pull request (``upstream``), with the model's documentation page and the pull-request
text (``docs/``)."""
