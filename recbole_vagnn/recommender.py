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

New videos (``--new_videos FILE``, ``new_videos=`` in the API): videos uploaded after training,
never seen by the model, ranked by their vlogger without retraining. FILE is a RecBole ``.item``
file (tab-separated, typed header and field counts checked by the dataset's own
reader, :func:`~recbole_vagnn.data.dataset.tripartite_dataset.typed_header`) with at least the dataset's
video and vlogger columns, both ``:token`` (``item_id:token<TAB>vlogger_id:token``); one row per
new video, other columns ignored, an exactly repeated row counted once.

- Score (VA-GNN): a new video v of vlogger p has no trained embedding e_v, so it gets the vlogger
  part of Eq. 16 with the gate w = 0: ``y_uv = e_u.e_p`` (the model's :meth:`vlogger_scores`).
  ``--explain`` shows ``gate 0, video_part 0, vlogger_part = score`` and ``new: true``. A VA-GNN
  trained without the vlogger score (ablation E, ``use_vlogger_score: False``) is refused: its
  ranking has no vlogger part to score a video by. CreatorPop and CreatorAffinity score a new video
  with their own formulas and a training popularity of 0 for the video: CreatorPop
  ``vlogger_pop[p]``, CreatorAffinity ``C[u,p] + follow_weight F[u,p] + delta vlogger_pop[p] /
  (1 + max vlogger_pop)``. Every other model (LightGCN, BPR, ...) has one learned score per
  trained video and nothing for an unseen one: ``new_videos`` is refused in one line.
- Ranking: by default the new videos compete with the known videos the user has not watched
  (known ones scored as without ``--new_videos``); ``new_only`` ranks the new videos alone. Each
  video of a result carries ``new`` (true for a video of FILE), only when new videos are given.
- Vlogger the model never saw (not in the trained dataset): a note on stderr (how many, the first
  few), and the fallback score of an unknown vlogger. VA-GNN: ``e_u . mean_p e_p`` over every
  vlogger of the trained dataset (the padding id excluded), i.e. the user's mean score of the
  known vloggers: the expected score of a vlogger drawn uniformly from those the model knows, so
  the video ranks as an average vlogger's would, neither buried nor promoted. CreatorPop and
  CreatorAffinity: 0, their formulas for a vlogger with no training interaction and no follow.
- A video of FILE that the trained dataset already has is refused (one line naming the file, line
  and video): FILE lists new videos only; a known video is ranked anyway, by its trained score.
- A malformed FILE (unreadable, not text in the dataset's encoding, empty, a header without the
  two ``:token`` columns, a row with the wrong number of fields or an empty id, no rows, a video
  given two vloggers) is an :class:`InputError` naming the file and line; the command then writes
  nothing.

Scoring is vectorised per batch of users: one users x vloggers product (``vlogger_scores``), then
a gather of each new video's vlogger column. Measured on a shared 2-core CPU (OMP_NUM_THREADS=1,
rough): ``recommend --all_users --new_only --topk 10 --format csv`` with 1,000 new videos on the
10x synthetic set (4,000 users, 600 vloggers, 4,808 videos; VA-GNN after 1 epoch) took 5.6-6.4 s
end to end, of which ranking all users took 0.3 s and rebuilding the model and dataset 1.4 s
(the rest is starting Python, torch and RecBole); the same command without new videos, 4.6 s.
"""

import csv
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from recbole_vagnn.trainer.checkpoint import load_checkpoint
from recbole_vagnn.utils.errors import CheckpointError, InputError

BOM = b"\xef\xbb\xbf"  # a UTF-8 byte-order mark, not data


def _shown(values, limit=5):
    return ", ".join(repr(str(v)) for v in values[:limit]) + (", ..." if len(values) > limit else "")


@dataclass(frozen=True)
class NewVideos:
    """The videos of a ``--new_videos`` file, in file order (see :meth:`Recommender.read_new_videos`)."""

    path: str
    videos: np.ndarray  # video tokens (object array of str)
    vloggers: np.ndarray  # their vlogger tokens
    vlogger_ids: np.ndarray  # the vloggers' ids in the trained dataset, -1 for a vlogger it does not have

    def __len__(self):
        return len(self.videos)

    @property
    def unknown(self):
        """Mask of the videos whose vlogger the model never saw."""
        return self.vlogger_ids < 0


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
        self.train = self.dataset.build()[0]
        self.model = get_model(self.config["model"])(self.config, self.train).to(device)
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
        self._item_tokens = np.asarray(self.dataset.field2id_token[self.dataset.iid_field], dtype=object)
        item2vlogger = getattr(self.dataset, "item2vlogger", None)
        self._item_vlogger_tokens = (
            None
            if item2vlogger is None
            else np.asarray(self.dataset.field2id_token[self.dataset.vlogger_field], dtype=object)[item2vlogger]
        )
        self._candidate_cache = (None, None, None)  # (new videos, new_only, _candidates' value)

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

    # ---- new videos --------------------------------------------------------------------------
    def check_new_video_model(self):
        """Refuse, in one line, a model that cannot score a video it was not trained on."""
        model = self.config["model"]
        if not hasattr(self.model, "vlogger_scores"):  # the models that score a video by its vlogger
            raise InputError(
                f"--new_videos: {model} cannot score an unseen video (it has a learned score only for the videos it "
                "was trained on); VA-GNN, or this package's CreatorPop / CreatorAffinity, score a new video by its vlogger"
            )
        if self.is_vagnn and not getattr(self.model, "use_vlogger_score", True):
            raise InputError(
                f"--new_videos: this {model} was trained without the vlogger score (use_vlogger_score: False, "
                "ablation E), so it cannot score an unseen video by its vlogger; use a VA-GNN with the vlogger score"
            )

    def read_new_videos(self, path):
        """The new videos of ``path`` (module docstring), checked; a note on stderr for unknown vloggers.

        Any fault of the file, or a model that cannot score new videos, is an :class:`InputError`
        naming the file and line.
        """
        self.check_new_video_model()
        videos, vloggers = self._parse_new_videos(path)
        known_vloggers = self.dataset.field2token_id[self.dataset.vlogger_field]
        ids = np.array([known_vloggers.get(p, 0) for p in vloggers], dtype=np.int64)
        ids[ids == 0] = -1  # absent, or the padding token
        new = NewVideos(str(path), np.asarray(videos, dtype=object), np.asarray(vloggers, dtype=object), ids)
        if new.unknown.any():
            unknown = list(dict.fromkeys(new.vloggers[new.unknown]))
            fallback = (
                "the user's mean score over the model's known vloggers, e_u . mean_p e_p"
                if self.is_vagnn
                else "0, as a vlogger without training interactions"
            )
            print(
                f"note: {path}: {int(new.unknown.sum())} of {len(new)} new video(s) have a vlogger the model never saw "
                f"({len(unknown)} vlogger(s): {_shown(unknown)}); they score {fallback}",
                file=sys.stderr,
            )
        return new

    def _parse_new_videos(self, path):
        """``(video tokens, vlogger tokens)`` of a ``.item``-style file, in file order."""
        separator = self.config["field_separator"] or "\t"
        encoding = self.config["encoding"] or "utf-8"
        video_field, vlogger_field = self.dataset.iid_field, self.dataset.vlogger_field
        try:  # the dataset's own check of an atomic file's typed header and field counts (typed_header)
            _, names = self.dataset._checked_header(path)
            data = Path(path).read_bytes()
        except OSError as error:
            raise InputError(f"{path}: cannot read the new videos ({error.strerror or error})") from error
        try:
            text = data.removeprefix(BOM).decode(encoding)
        except UnicodeDecodeError as error:
            line = data[: error.start].count(b"\n") + 1
            raise InputError(f"{path}: line {line}: not {encoding} text ({error.reason})") from error
        lines = text.split("\n")
        kinds = [field.partition(":")[2] for field in lines[0].rstrip("\r").split(separator)]
        example = f"'{video_field}:token<TAB>{vlogger_field}:token'"
        columns = []
        for name in (video_field, vlogger_field):
            if names.count(name) != 1:
                problem = "no" if name not in names else "more than one"
                raise InputError(f"{path}: line 1: the header has {problem} '{name}' column; it needs {example}")
            column = names.index(name)
            if kinds[column] != "token":
                raise InputError(
                    f"{path}: line 1: column '{name}:{kinds[column]}' must be '{name}:token' (ids are tokens); "
                    f"the header needs {example}"
                )
            columns.append(column)
        rows = {}  # video -> (vlogger, line)
        for number, line in enumerate(lines[1:], start=2):
            line = line.removesuffix("\r")
            if not line.strip():
                continue
            fields = next(csv.reader([line], delimiter=separator)) if len(separator) == 1 else line.split(separator)
            if len(fields) != len(names):
                raise InputError(
                    f"{path}: line {number} has {len(fields)} field(s), the header declares {len(names)} "
                    "(fields are tab-separated)"
                )
            video, vlogger = (fields[c] for c in columns)
            for name, value in ((video_field, video), (vlogger_field, vlogger)):
                if not value.strip():
                    raise InputError(
                        f"{path}: line {number}: empty '{name}'; every new video needs an id and a vlogger"
                    )
            if video in rows and rows[video][0] != vlogger:
                raise InputError(
                    f"{path}: line {number}: video '{video}' has vlogger '{vlogger}' here and '{rows[video][0]}' at "
                    f"line {rows[video][1]}; each video has exactly one vlogger"
                )
            rows.setdefault(video, (vlogger, number))
        if not rows:
            raise InputError(f"{path}: line 2: no video; the file has only its header (one new video per row)")
        known = self.dataset.field2token_id[video_field]
        trained = [(video, number) for video, (_, number) in rows.items() if video in known]
        if trained:
            video, number = trained[0]
            more = f" ({len(trained)} such videos)" if len(trained) > 1 else ""
            raise InputError(
                f"{path}: line {number}: video '{video}' is already in dataset '{self.config['dataset']}'{more}; "
                "--new_videos lists only videos the model was not trained on (known videos are ranked anyway)"
            )
        return list(rows), [vlogger for vlogger, _ in rows.values()]

    def _vlogger_table(self, users):
        """``len(users) x (vloggers + 1)`` scores of a new video by vlogger id, the last column an unknown vlogger's.

        Each model scores a video of a known vlogger with no training interaction itself
        (``vlogger_scores``: VA-GNN's e_u.e_p, CreatorPop's and CreatorAffinity's formulas).
        """
        scores = self.model.vlogger_scores(users).float().cpu()
        unknown = scores[:, 1:].mean(dim=1, keepdim=True) if self.is_vagnn else torch.zeros(len(users), 1)
        return torch.cat([scores, unknown], dim=1)

    def new_video_scores(self, user_ids, new_videos):
        """``len(user_ids) x len(new_videos)`` scores of the new videos (module docstring), on the CPU."""
        users = torch.as_tensor(np.asarray(user_ids, dtype=np.int64), device=self.device)
        columns = np.where(new_videos.unknown, self.dataset.vlogger_num, new_videos.vlogger_ids)
        with torch.no_grad():
            return self._vlogger_table(users)[:, torch.as_tensor(columns)]

    def _candidates(self, new_videos, new_only):
        """``(video tokens, vlogger tokens or None, is_new)`` of the ranked columns, cached per file."""
        cached_videos, cached_new_only, value = self._candidate_cache
        if value is not None and cached_videos is new_videos and cached_new_only == new_only:
            return value
        if new_videos is None:
            value = (self._item_tokens, self._item_vlogger_tokens, None)
        elif new_only:
            value = (new_videos.videos, new_videos.vloggers, np.ones(len(new_videos), dtype=bool))
        else:
            is_new = np.zeros(len(self._item_tokens) + len(new_videos), dtype=bool)
            is_new[len(self._item_tokens) :] = True
            value = (
                np.concatenate([self._item_tokens, new_videos.videos]),
                np.concatenate([self._item_vlogger_tokens, new_videos.vloggers]),
                is_new,
            )
        self._candidate_cache = (new_videos, new_only, value)
        return value

    # ---- ranking -----------------------------------------------------------------------------
    @torch.no_grad()
    def recommend_ids(self, user_ids, topk=10, explain=False, vloggers=0, new_videos=None, new_only=False):
        """Per user id: one dict with ``videos`` (and ``vloggers``), tokens and scores (module docstring).

        ``new_videos`` (a :class:`NewVideos`) adds the new videos to the ranking, or with
        ``new_only`` ranks them alone.
        """
        if (explain or vloggers) and not self.is_vagnn:
            raise InputError(f"--explain and --vloggers need a VA-GNN model; this checkpoint is {self.config['model']}")
        if new_only and new_videos is None:
            raise InputError("--new_only needs --new_videos FILE: the new videos to rank")
        users = torch.as_tensor(user_ids, device=self.device)
        parts = []
        if not new_only:
            scores = self.model.full_sort_predict({self.dataset.uid_field: users}).view(len(users), -1).float().cpu()
            scores[:, 0] = -torch.inf  # the padding video
            seen = self.watched[user_ids].tocoo()
            rows, cols = (torch.as_tensor(index, dtype=torch.long) for index in (seen.row, seen.col))
            scores[rows, cols] = -torch.inf
            parts.append(scores)
        if new_videos is not None:
            parts.append(self.new_video_scores(user_ids, new_videos))
        scores = parts[0] if len(parts) == 1 else torch.cat(parts, dim=1)
        video_tokens, vlogger_tokens, is_new = self._candidates(new_videos, new_only)
        k = min(topk, scores.shape[1] - (0 if new_only else 1))
        top_scores, top_items = torch.topk(scores, k, dim=1)
        top_items = top_items.numpy()
        top_new = None if is_new is None else is_new[top_items]
        extra = None
        if explain:
            extra = self._explain(users, top_scores, top_items, top_new)
        videos = self._videos(top_scores, top_items, video_tokens, vlogger_tokens, top_new, extra)
        results = [{"user": token, "videos": rows} for token, rows in zip(self._tokens("uid", user_ids), videos)]
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

    def _explain(self, users, top_scores, top_items, top_new):
        """``(gate, video_part, vlogger_part)`` of the ranked videos; a new video's gate and video part are 0."""
        n, k = top_items.shape
        new = np.zeros((n, k), dtype=bool) if top_new is None else top_new
        known_items = torch.as_tensor(np.where(new, 0, top_items).reshape(-1), device=self.device)
        w, video_part, vlogger_part = (
            part.view(n, k).float().cpu() for part in self.model.score_parts(users.repeat_interleave(k), known_items)
        )
        if new.any():
            mask = torch.as_tensor(new)
            w[mask], video_part[mask], vlogger_part[mask] = 0.0, 0.0, top_scores[mask]
        return w.tolist(), video_part.tolist(), vlogger_part.tolist()

    def _tokens(self, kind, ids):
        field = {"uid": self.dataset.uid_field, "iid": self.dataset.iid_field, "vlogger": self.dataset.vlogger_field}[
            kind
        ]
        return list(self.dataset.field2id_token[field][np.asarray(ids, dtype=np.int64)])

    @staticmethod
    def _videos(top_scores, top_items, video_tokens, vlogger_tokens, top_new, extra):
        per_user = []
        videos_of, vloggers_of = video_tokens[top_items], None if vlogger_tokens is None else vlogger_tokens[top_items]
        for u, scores in enumerate(top_scores.tolist()):
            videos = []
            for j, score in enumerate(scores):
                if score == -np.inf:  # fewer unwatched videos than topk
                    break
                video = {"rank": j + 1, "video": str(videos_of[u, j])}
                if vloggers_of is not None:
                    video["vlogger"] = str(vloggers_of[u, j])
                if top_new is not None:
                    video["new"] = bool(top_new[u, j])
                video["score"] = score
                if extra is not None:
                    video.update(gate=extra[0][u][j], video_part=extra[1][u][j], vlogger_part=extra[2][u][j])
                videos.append(video)
            per_user.append(videos)
        return per_user

    def recommend(
        self,
        tokens,
        topk=10,
        explain=False,
        vloggers=0,
        batch_size=256,
        progress=False,
        new_videos=None,
        new_only=False,
    ):
        """Yield one result dict per user token, scoring ``batch_size`` users at a time.

        ``new_videos``: a :class:`NewVideos` from :meth:`read_new_videos`, or the path of its file.
        """
        if topk < 1 or vloggers < 0 or batch_size < 1:
            raise InputError("--topk and --batch_size must be at least 1, --vloggers at least 0")
        if new_videos is not None and not isinstance(new_videos, NewVideos):
            new_videos = self.read_new_videos(new_videos)
        ids = self.user_ids(tokens)
        with tqdm(total=len(ids), unit="user", file=sys.stderr, disable=not progress) as bar:
            for start in range(0, len(ids), batch_size):
                batch = ids[start : start + batch_size]
                yield from self.recommend_ids(batch, topk, explain, vloggers, new_videos, new_only)
                bar.update(len(batch))


def recommend(
    model_file, users, topk=10, explain=False, vloggers=0, data_path=None, trust=False, new_videos=None, new_only=False
):
    """Recommendations for ``users`` (tokens) from ``model_file``: a list of dicts, see the module docstring.

    ``new_videos``: the path of a file of new videos to rank too (alone with ``new_only``).
    """
    return list(
        Recommender(model_file, data_path, trust).recommend(
            users, topk, explain, vloggers, new_videos=new_videos, new_only=new_only
        )
    )
