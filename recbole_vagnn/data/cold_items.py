"""Cold videos: a share of the videos held out of training with all their interactions (``cold_items``).

New videos are most of what a micro-video service shows. With ``cold_items: s`` (0 < s < 1) the
tripartite dataset's ``build`` holds out ``s * V`` (rounded, halves up) of the ``V`` videos that have
interactions, chosen by ``cold_split``:

- ``random``: uniformly, from a generator seeded with ``seed`` (the same on every rank);
- ``time``: the newest videos by their first interaction (ties: the larger id is newer).

The held-out videos are split into two disjoint sets: validation gets half of them (rounded
down), test the rest; under ``time`` validation gets the older half, test the newest. Training
holds every interaction of the other videos; validation and test hold every interaction of their
videos. Each held-out video keeps its vlogger (known at upload): the publishing matrix Z has it.

``cold_candidates`` says what a user's full ranking holds at evaluation: ``cold``, the held-out
videos of that split only (the split's ``candidate_items``, which the trainer applies to every
full-sort batch); ``all``, every video outside the user's history, RecBole's ranking.

No training negative is a held-out video (:func:`keep_held_out_videos_from_negatives`).

No torch here: the schema reads :data:`COLD_SPLITS` and :data:`COLD_CANDIDATES` without it.
"""

import numpy as np

from recbole_vagnn.utils.errors import ConfigError

COLD_SPLITS = ("random", "time")
"""How ``cold_items`` chooses the held-out videos: uniformly (seeded) or the newest."""
COLD_CANDIDATES = ("cold", "all")
"""What a user's full ranking holds under ``cold_items``: that split's held-out videos, or every video."""


def choose_cold_videos(item_ids, times, item_num, share, how, seed):
    """``(validation videos, test videos)``: sorted item-id arrays, disjoint, as the module docstring says.

    Args:
        item_ids: the item id of every interaction.
        times: the time of every interaction (needed for ``how == 'time'``; None otherwise).
        item_num: the number of item ids, padding id 0 included.
        share: ``cold_items``, in (0, 1).
        how: ``cold_split``, one of :data:`COLD_SPLITS`.
        seed: the seed of ``random``.
    """
    videos = np.flatnonzero(np.bincount(item_ids, minlength=item_num)[1:]) + 1  # ids with interactions
    held = int(np.floor(share * len(videos) + 0.5))
    if held < 2 or held >= len(videos):
        raise ConfigError(
            f"cold_items {share} holds out {held} of the {len(videos)} videos with interactions: at least 2 must be "
            "held out (one for validation, one for test) and one must stay for training; change cold_items"
        )
    if how == "time":
        first = np.full(item_num, np.inf)
        np.minimum.at(first, item_ids, times)
        chosen = videos[np.lexsort((videos, first[videos]))][-held:]  # oldest to newest
    else:
        chosen = np.random.default_rng(seed).permutation(videos)[:held]
    validation = held // 2
    return np.sort(chosen[:validation]), np.sort(chosen[validation:])


def doubly_cold_count(held_out, training_videos, item2vlogger, vlogger_num):
    """How many ``held_out`` videos have a vlogger who has no video in ``training_videos``."""
    trained_vloggers = np.zeros(vlogger_num, dtype=bool)
    trained_vloggers[item2vlogger[training_videos]] = True
    return int((~trained_vloggers[item2vlogger[held_out]]).sum())


def keep_held_out_videos_from_negatives(train_data):
    """Make RecBole's training loader draw no held-out video as a negative (``cold_items`` only).

    A held-out video stands for an upload that did not exist when the model was trained, so no
    training step may see its id, as a positive or as a sampled negative: otherwise BPR pushes
    every user away from it (and, for VA-GNN, from its vlogger). The loader's sampler keeps its
    distribution (uniform, or RecBole's popularity table) and redraws any held-out video, as it
    redraws a video of the user's history; the training split's ``held_out_items`` (set by the
    tripartite dataset's cold split) says which. A loader without a sampler, or data without held-out
    videos, is left as it is. The device loader does the same on its own draws.
    """
    held_out = getattr(getattr(train_data, "_dataset", None), "held_out_items", None)
    sampler = getattr(train_data, "_sampler", None)
    if held_out is None or sampler is None:
        return
    draw = sampler.sampling

    def sampling(sample_num):
        values = np.asarray(draw(sample_num))
        redraw = np.flatnonzero(held_out[values])
        while len(redraw):
            values[redraw] = draw(len(redraw))
            redraw = redraw[held_out[values[redraw]]]
        return values

    sampler.sampling = sampling
