"""Paired significance of a difference between two models, over test users and over seeds.

For one metric, each model's stored runs (one per seed) carry every test user's value of the
metric (:class:`recbole_vagnn.evaluator.evaluator.PerUserEvaluator`: RecBole's metric before averaging).
The runs of the two models are paired by seed and their users by id.

- Over users: the Wilcoxon signed-rank test (two-sided) on the per-user values averaged over the
  paired seeds, with the mean per-user difference.
- Over seeds: the same test within each seed, and how many seeds find the reference model
  significantly better (p < ``ALPHA`` with a positive mean difference).
"""

import numpy as np
from scipy.stats import wilcoxon

ALPHA = 0.05


def _per_user(run, metric):
    """``{user: value}``; a NaN value (GAUC of a user without negatives) is left out, as RecBole leaves it out."""
    return {user: value for user, value in zip(run["test_users"], run["test_per_user"][metric]) if value == value}


def _wilcoxon(a, b):
    """Two-sided p-value of Wilcoxon's signed-rank test; 1.0 where every pair is equal."""
    difference = np.asarray(a) - np.asarray(b)
    if not np.any(difference):
        return 1.0
    return float(wilcoxon(difference).pvalue)


def paired_test(reference_runs, other_runs, metric):
    """Compare two models' runs on ``metric``; returns a dict (module docstring), or None if unpaired.

    Keys: ``p`` (over users, seed-averaged values), ``diff`` (mean per-user difference, reference
    minus other), ``seed_p`` (one p per paired seed), ``seeds_better`` (seeds where the reference
    is significantly better), ``seeds`` and ``users``.
    """
    others = {run["seed"]: run for run in other_runs}
    pairs = [(run, others[run["seed"]]) for run in reference_runs if run["seed"] in others]
    if not pairs:
        return None
    seed_p, seeds_better, sums = [], 0, None
    for reference, other in pairs:
        ref_values, other_values = _per_user(reference, metric), _per_user(other, metric)
        users = sorted(set(ref_values) & set(other_values))
        a = np.array([ref_values[u] for u in users])
        b = np.array([other_values[u] for u in users])
        p = _wilcoxon(a, b)
        seed_p.append(p)
        seeds_better += p < ALPHA and a.mean() > b.mean()
        sums = (users, a, b) if sums is None else _add_aligned(sums, users, a, b)
    users, a, b = sums
    return {
        "p": _wilcoxon(a / len(pairs), b / len(pairs)),
        "diff": float(np.mean(a - b)) / len(pairs),
        "seed_p": seed_p,
        "seeds_better": int(seeds_better),
        "seeds": len(pairs),
        "users": len(users),
    }


def _add_aligned(sums, users, a, b):
    """Add per-user values of another seed to the running sums, on the users both have."""
    old_users, old_a, old_b = sums
    index = {u: i for i, u in enumerate(users)}
    keep = [i for i, u in enumerate(old_users) if u in index]
    rows = [index[old_users[i]] for i in keep]
    return [old_users[i] for i in keep], old_a[keep] + a[rows], old_b[keep] + b[rows]
