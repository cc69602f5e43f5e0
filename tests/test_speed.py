"""The speed report's figures on the embedded data: epoch time, memory, loader and InfoNCE shares, the profile."""

import pytest
import torch

from recbole_vagnn.experiments.speed import time_models


@pytest.mark.slow
def test_time_models_reports_epoch_time_loader_share_and_a_profile(capsys):
    results = time_models("vagnn-demo", None, ["LightGCN", "VAGNN"], epochs=1, profile=True)
    for name in ("LightGCN", "VAGNN"):
        timing = results[name]
        assert timing.built > 0 and timing.per_epoch > 0 and timing.peak_mb > 300 and timing.per_eval > 0
        assert 0 < timing.loader_share < 1  # producing the batches alone takes part of the epoch, never all of it
    assert results["LightGCN"].infonce_share is None  # no contrastive loss
    assert 0 <= results["VAGNN"].infonce_share < 1  # a share; on 2 batches timing noise may make it 0
    out = capsys.readouterr().out
    assert out.count("top operators by self CPU time") == 2 and "Self CPU time total" in out


def test_one_epoch_is_refused_since_the_first_is_a_warm_up():
    import pytest

    from recbole_vagnn.experiments.speed import main
    from recbole_vagnn.utils.errors import ConfigError

    with pytest.raises(ConfigError, match="--epochs must be at least 2: the first epoch is a warm-up"):
        main(["--epochs", "1"])


@pytest.mark.skipif(torch.cuda.is_available(), reason="refused only where torch sees no GPU")
def test_a_gpu_run_without_a_gpu_is_one_line(capsys):
    from recbole_vagnn.cli.base import run_main
    from recbole_vagnn.experiments.speed import main

    with pytest.raises(SystemExit) as exit_:
        run_main(main, ["--device", "cuda"])
    assert exit_.value.code == 1 and "--device cuda: torch sees no CUDA device" in capsys.readouterr().err
