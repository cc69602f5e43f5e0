"""Recommend with a trained model: top videos per user, the gate's explanation, vloggers to follow.

:func:`recommend` and :class:`Recommender` are the Python API; ``recbole-vagnn recommend``
(:mod:`recbole_vagnn.cli.recommend`) the command line, which also formats the output.

The checkpoint is loaded with ``torch.load(weights_only=True)`` (:mod:`recbole_vagnn.trainer.checkpoint`);
its dataset is rebuilt from the config stored in it (``--data_path`` points elsewhere) and must be
the very data it was trained on (same SHA-256 of the atomic files). For each user, in the
dataset's original tokens:

- the ``--topk`` videos with the highest model score that the user has not watched in any split
  (training, validation or test), each with its vlogger and score;
- with ``--explain`` (VA-GNN only), the gate's split of the score (Eq. 16):
  ``video_part = w e_u.e_v`` and ``vlogger_part = (1 - w) e_u.e_p``, which sum to the score;
- with ``--vloggers K`` (VA-GNN only), the K vloggers with the highest learned user-vlogger score
  e_u.e_p among those the user has no explicit ``.uvl`` event with (does not follow yet).

Baselines (LightGCN, NGCF, SGL, SimGCL, GTN, ...) give videos and scores. Users are scored
``batch_size`` at a time, so memory is bounded by one batch.
"""

import sys

import numpy as np
import torch
from tqdm import tqdm

from recbole_vagnn.trainer.checkpoint import load_checkpoint
from recbole_vagnn.utils.errors import CheckpointError, InputError


class Recommender:
    """A trained model with its dataset, ready to rank videos and vloggers for users by token."""

    def __init__(self, model_file, data_path=None, trust=False, device="cpu"):
        from recbole.utils import init_seed

        from recbole_vagnn.data import create_dataset
        from recbole_vagnn.quick_start.quick_start import config_from_checkpoint
        from recbole_vagnn.utils.utils import get_model

        checkpoint = load_checkpoint(model_file, map_location=device, trust=trust)
        self.config = config_from_checkpoint(checkpoint, model_file, data_path, device, show_progress=False)
        init_seed(self.config["seed"], self.config["reproducibility"])
        self.dataset = create_dataset(self.config)
        train = self.dataset.build()[0]
        self.model = get_model(self.config["model"])(self.config, train).to(device)
        try:
            self.model.load_state_dict(checkpoint["state_dict"])
        except RuntimeError as error:
            raise CheckpointError(
                f"{model_file}: its weights do not fit dataset '{self.config['dataset']}' "
                f"({' '.join(str(error).split())[:160]})"
            ) from error
        self.model.eval()
        self.device = device
        self.is_vagnn = hasattr(self.model, "score_parts")
        self.watched = self.dataset.inter_matrix(form="csr").astype(bool)  # every split: not yet watched
        self.followed = self._explicit_follows() if self.is_vagnn else None

    def _explicit_follows(self):
        uvl = self.dataset.uvl_feat
        field = self.dataset.vlogger_field
        users = self.dataset._column(uvl, self.dataset.uid_field).astype(np.int64)
        vloggers = self.dataset._column(uvl, field).astype(np.int64)
        followed = torch.zeros(self.dataset.user_num, self.dataset.vlogger_num, dtype=torch.bool)
        followed[torch.as_tensor(users), torch.as_tensor(vloggers)] = True
        return followed

    def user_ids(self, tokens):
        """Internal ids of user tokens; an unknown token is an :class:`InputError` naming it."""
        tokens = [str(token) for token in tokens]
        known = self.dataset.field2token_id[self.dataset.uid_field]
        unknown = [token for token in tokens if token not in known or token == "[PAD]"]
        if unknown:
            shown = ", ".join(repr(t) for t in unknown[:5]) + (", ..." if len(unknown) > 5 else "")
            raise InputError(f"unknown user token(s) {shown}: not in dataset '{self.config['dataset']}'")
        return np.array([known[token] for token in tokens], dtype=np.int64)

    def all_user_tokens(self):
        return list(self.dataset.field2id_token[self.dataset.uid_field][1:])

    @torch.no_grad()
    def recommend_ids(self, user_ids, topk=10, explain=False, vloggers=0):
        """Per user id: one dict with ``videos`` (and ``vloggers``), tokens and scores (module docstring)."""
        if (explain or vloggers) and not self.is_vagnn:
            raise InputError(f"--explain and --vloggers need a VA-GNN model; this checkpoint is {self.config['model']}")
        users = torch.as_tensor(user_ids, device=self.device)
        scores = self.model.full_sort_predict({self.dataset.uid_field: users}).view(len(users), -1).float().cpu()
        scores[:, 0] = -torch.inf  # the padding video
        seen = self.watched[user_ids].tocoo()
        scores[torch.as_tensor(seen.row, dtype=torch.long), torch.as_tensor(seen.col, dtype=torch.long)] = -torch.inf
        k = min(topk, self.dataset.item_num - 1)
        top_scores, top_items = torch.topk(scores, k, dim=1)
        rows = [self._videos(user_ids, top_scores, top_items)]
        if explain:
            w, video_part, vlogger_part = (
                part.view(len(users), k).cpu()
                for part in self.model.score_parts(users.repeat_interleave(k), top_items.view(-1).to(self.device))
            )
            for u, videos in enumerate(rows[0]):
                for j, video in enumerate(videos):
                    video.update(
                        gate=float(w[u, j]), video_part=float(video_part[u, j]), vlogger_part=float(vlogger_part[u, j])
                    )
        results = [{"user": token, "videos": videos} for token, videos in zip(self._tokens("uid", user_ids), rows[0])]
        if vloggers:
            preference = self.model.vlogger_scores(users).float().cpu()
            preference[:, 0] = -torch.inf
            preference[self.followed[torch.as_tensor(user_ids)]] = -torch.inf
            v_scores, v_ids = torch.topk(preference, min(vloggers, self.dataset.vlogger_num - 1), dim=1)
            for result, ids, values in zip(results, v_ids.tolist(), v_scores.tolist()):
                result["vloggers"] = [
                    {"rank": rank, "vlogger": token, "score": score}
                    for rank, (token, score) in enumerate(zip(self._tokens("vlogger", ids), values), start=1)
                    if score > -np.inf
                ]
        return results

    def _tokens(self, kind, ids):
        field = {"uid": self.dataset.uid_field, "iid": self.dataset.iid_field, "vlogger": self.dataset.vlogger_field}[
            kind
        ]
        return list(self.dataset.field2id_token[field][np.asarray(ids, dtype=np.int64)])

    def _videos(self, user_ids, top_scores, top_items):
        item2vlogger = getattr(self.dataset, "item2vlogger", None)
        per_user = []
        for scores, items in zip(top_scores.tolist(), top_items.tolist()):
            videos = []
            for rank, (item, score) in enumerate(zip(items, scores), start=1):
                if score == -np.inf:  # fewer unwatched videos than topk
                    break
                video = {"rank": rank, "video": self._tokens("iid", [item])[0]}
                if item2vlogger is not None:
                    video["vlogger"] = self._tokens("vlogger", [item2vlogger[item]])[0]
                videos.append({**video, "score": score})
            per_user.append(videos)
        return per_user

    def recommend(self, tokens, topk=10, explain=False, vloggers=0, batch_size=256, progress=False):
        """Yield one result dict per user token, scoring ``batch_size`` users at a time."""
        if topk < 1 or vloggers < 0 or batch_size < 1:
            raise InputError("--topk and --batch_size must be at least 1, --vloggers at least 0")
        ids = self.user_ids(tokens)
        with tqdm(total=len(ids), unit="user", file=sys.stderr, disable=not progress) as bar:
            for start in range(0, len(ids), batch_size):
                batch = ids[start : start + batch_size]
                yield from self.recommend_ids(batch, topk, explain, vloggers)
                bar.update(len(batch))


def recommend(model_file, users, topk=10, explain=False, vloggers=0, data_path=None, trust=False):
    """Recommendations for ``users`` (tokens) from ``model_file``: a list of dicts, see the module docstring."""
    return list(Recommender(model_file, data_path, trust).recommend(users, topk, explain, vloggers))
