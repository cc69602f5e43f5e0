"""Experiment tools around the plugin: benchmark tables, hyper-parameter sweeps, speed figures and
synthetic data. They use the plugin's public entry points and are not needed to train a model."""
