"""Experiment tools around the plugin: benchmark tables, hyper-parameter sweeps, speed and scaling
figures, the parts of a trained VA-GNN's score, and synthetic data. They use the plugin's public entry points and are not needed to train a model."""
