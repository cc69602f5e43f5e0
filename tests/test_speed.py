"""The speed report's figures on the embedded data: epoch time, loader share and the profile."""

from recbole_vagnn.experiments.speed import time_models


def test_time_models_reports_epoch_time_loader_share_and_a_profile(capsys):
    results = time_models("vagnn-demo", None, ["LightGCN", "VAGNN"], epochs=1, profile=True)
    for name in ("LightGCN", "VAGNN"):
        built, per_epoch, peak, share, per_eval = results[name]
        assert built > 0 and per_epoch > 0 and peak > 0 and per_eval > 0
        assert 0 < share < 1  # producing the batches alone takes part of the epoch, never all of it
    out = capsys.readouterr().out
    assert out.count("top operators by self CPU time") == 2 and "Self CPU time total" in out


def test_one_epoch_is_refused_since_the_first_is_a_warm_up():
    import pytest

    from recbole_vagnn.errors import ConfigError
    from recbole_vagnn.experiments.speed import main

    with pytest.raises(ConfigError, match="--epochs must be at least 2: the first epoch is a warm-up"):
        main(["--epochs", "1"])
