"""Recommend with a trained model: top videos per user, the gate's explanation, vloggers to follow.

    python -m recbole_vagnn.recommend --model-file saved/VAGNN-....pth --user 17 [--user 42 ...]
        [--users-file FILE | --all-users] [--topk 10] [--explain] [--vloggers 5]
        [--format table|csv|json] [--output FILE] [--batch-size 256] [--data_path PATH]
        [--trust-checkpoint]

The checkpoint is loaded with ``torch.load(weights_only=True)`` (:mod:`recbole_vagnn.checkpoint`);
its dataset is rebuilt from the config stored in it (``--data_path`` points elsewhere) and must be
the very data it was trained on (same SHA-256 of the atomic files). For each user, in the
dataset's original tokens:

- the ``--topk`` videos with the highest model score that the user has not watched in any split
  (training, validation or test), each with its vlogger and score;
- with ``--explain`` (VA-GNN only), the gate's split of the score (Eq. 16):
  ``video_part = w e_u.e_v`` and ``vlogger_part = (1 - w) e_u.e_p``, which sum to the score;
- with ``--vloggers K`` (VA-GNN only), the K vloggers with the highest learned user-vlogger score
  e_u.e_p among those the user has no explicit ``.uvl`` event with (does not follow yet).

Baselines (LightGCN, NGCF, SGL, SimGCL, GTN, ...) give videos and scores. ``--format table``
prints a block per user; ``csv`` writes one row per recommendation; ``json`` writes JSON Lines,
one object per user. Users are scored ``--batch-size`` at a time, so memory is bounded by one
batch; with ``--output`` the file is written as the batches finish (a progress bar on stderr) and
appears under its name only when complete.
"""

import csv
import io
import json
import os
import sys
import tempfile
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from recbole_vagnn.checkpoint import data_digest, load_checkpoint
from recbole_vagnn.commands import argument_parser, run_main
from recbole_vagnn.data.atomic import follow_umask
from recbole_vagnn.errors import CheckpointError, InputError

FORMATS = ("table", "csv", "json")
CSV_COLUMNS = ["user", "kind", "rank", "video", "vlogger", "score", "gate", "video_part", "vlogger_part"]


class Recommender:
    """A trained model with its dataset, ready to rank videos and vloggers for users by token."""

    def __init__(self, model_file, data_path=None, trust=False, device="cpu"):
        from recbole.utils import init_seed

        from recbole_vagnn.config import Config
        from recbole_vagnn.data import create_dataset
        from recbole_vagnn.utils import get_model

        checkpoint = load_checkpoint(model_file, map_location=device, trust=trust)
        stored = checkpoint["config"]
        external = checkpoint.get("external_config") or dict(getattr(stored, "external_config_dict", {}))
        overrides = {**external, "device": device, "use_gpu": device != "cpu", "show_progress": False}
        if data_path is not None:
            overrides["data_path"] = str(data_path)
        argv, sys.argv = sys.argv, sys.argv[:1]  # RecBole's Config would read this command's flags
        try:
            self.config = Config(model=stored["model"], dataset=stored["dataset"], config_dict=overrides)
        finally:
            sys.argv = argv
        expected = checkpoint.get("data_sha256")
        if expected and expected != data_digest(self.config["data_path"], self.config["dataset"]):
            raise CheckpointError(
                f"{model_file}: trained on other data than the files of dataset '{self.config['dataset']}' in "
                f"{self.config['data_path']} (their SHA-256 differs); point --data_path at the data it was trained on"
            )
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
            raise InputError("--topk and --batch-size must be at least 1, --vloggers at least 0")
        ids = self.user_ids(tokens)
        with tqdm(total=len(ids), unit="user", file=sys.stderr, disable=not progress) as bar:
            for start in range(0, len(ids), batch_size):
                batch = ids[start : start + batch_size]
                yield from self.recommend_ids(batch, topk, explain, vloggers)
                bar.update(len(batch))


def recommend(model_file, users, topk=10, explain=False, vloggers=0, data_path=None, trust=False):
    """Recommendations for ``users`` (tokens) from ``model_file``: a list of dicts, see the module docstring."""
    return list(Recommender(model_file, data_path, trust).recommend(users, topk, explain, vloggers))


def _csv_rows(result):
    for video in result["videos"]:
        yield {"user": result["user"], "kind": "video", **video}
    for vlogger in result.get("vloggers", []):
        yield {"user": result["user"], "kind": "vlogger", **vlogger}


def _table(result):
    lines = [f"user {result['user']}"]
    for v in result["videos"]:
        line = f"  {v['rank']:>3}. video {v['video']:<12} vlogger {v.get('vlogger', '-'):<10} score {v['score']:9.4f}"
        if "gate" in v:
            line += f"  = video {v['video_part']:8.4f} + vlogger {v['vlogger_part']:8.4f}  (w {v['gate']:.2f})"
        lines.append(line)
    if "vloggers" in result:
        lines.append(
            "  vloggers to follow: " + ", ".join(f"{p['vlogger']} ({p['score']:.3f})" for p in result["vloggers"])
        )
    return "\n".join(lines) + "\n"


def write_results(results, handle, output_format):
    """Write result dicts to a text handle as they come (table, csv or JSON Lines)."""
    writer = None
    for result in results:
        if output_format == "json":
            handle.write(json.dumps(result) + "\n")
        elif output_format == "csv":
            if writer is None:
                writer = csv.DictWriter(handle, CSV_COLUMNS, extrasaction="ignore")
                writer.writeheader()
            writer.writerows(_csv_rows(result))
        else:
            handle.write(_table(result))


def read_user_file(path):
    """User tokens, one per line (blank lines and ``#`` comments skipped)."""
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    tokens = [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]
    if not tokens:
        raise InputError(f"{path}: names no user")
    return tokens


def main(argv=None):
    parser = argument_parser(__doc__.splitlines()[0])
    parser.add_argument("--model-file", required=True, help="checkpoint written by this package (saved/MODEL-....pth)")
    who = parser.add_mutually_exclusive_group(required=True)
    who.add_argument("--user", action="append", help="user token from the dataset (repeatable)")
    who.add_argument("--users-file", help="file with one user token per line")
    who.add_argument("--all-users", action="store_true", help="every user of the dataset (batch mode)")
    parser.add_argument("--topk", type=int, default=10, help="videos per user")
    parser.add_argument("--explain", action="store_true", help="split each VA-GNN score by the gate")
    parser.add_argument("--vloggers", type=int, default=0, help="vloggers to suggest per user, VA-GNN only")
    parser.add_argument("--format", choices=FORMATS, default="table", help="output format")
    parser.add_argument("--output", default=None, help="file to write (None: standard output)")
    parser.add_argument("--batch-size", type=int, default=256, help="users scored at once")
    parser.add_argument("--data_path", default=None, help="folder holding the dataset folder (None: the checkpoint's)")
    parser.add_argument("--device", default="cpu", help="torch device")
    parser.add_argument(
        "--trust-checkpoint",
        action="store_true",
        help="also load files that unpickle Python objects (e.g. RecBole's own); only from a trusted source",
    )
    args = parser.parse_args(argv)
    recommender = Recommender(args.model_file, args.data_path, args.trust_checkpoint, args.device)
    if args.all_users:
        tokens = recommender.all_user_tokens()
    else:
        tokens = read_user_file(args.users_file) if args.users_file else args.user
    recommender.user_ids(tokens)  # every token checked before anything is written
    results = recommender.recommend(
        tokens, args.topk, args.explain, args.vloggers, args.batch_size, progress=args.output is not None
    )
    if args.output is None:
        write_results(results, sys.stdout, args.format)
        return
    output = Path(args.output)
    fd, partial = tempfile.mkstemp(dir=output.parent if str(output.parent) else ".", prefix=f".{output.name}-")
    try:
        with io.open(fd, "w", encoding="utf-8", newline="") as handle:
            write_results(results, handle, args.format)
        follow_umask(partial)
        os.replace(partial, output)
    finally:
        if os.path.exists(partial):
            os.unlink(partial)
    print(f"wrote {output}", file=sys.stderr)


if __name__ == "__main__":
    run_main(main)
