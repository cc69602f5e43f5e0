"""Where a trained VA-GNN's score comes from: ``recbole-vagnn parts --model_file saved/VAGNN-....pth``.

Prints, for the validation and test splits of the run the checkpoint comes from (RecBole's
evaluator, every metric and cut-off of the run's config, full ranking):

- the metrics of the full score (Eq. 16) and of each of its parts alone: the video part
  y = e_u.e_v and the vlogger part y = e_u.e_{p_v} (:meth:`VAGNN.score_part`), and whether the
  full score validates at least as well as each part (where a part alone is better, the fusion
  throws away what that part knows);
- the gate w over the split's positive (user, video) pairs, by the video's number of training
  interactions (five bins of about equal size) and by whether the user met the video's vlogger in
  training (a training interaction with one of its videos, or a link of the user-vlogger relation).

Any other model of the package or of RecBole prints the full score's metrics alone: its score has
no parts. The checkpoint's dataset is rebuilt from its config (``--data_path`` where it moved).
"""

import numpy as np
import pandas as pd

from recbole_vagnn.cli.base import argument_parser, run_main

GATE_BINS = 5


def evaluate_parts(trainer, model, data):
    """``{score: result}`` on ``data``: ``full``, then for VA-GNN ``video part`` and ``vlogger part``."""
    results = {"full": trainer.evaluate(data, load_best_model=False, show_progress=False)}
    if getattr(model, "use_vlogger_score", False):
        for part in ("video", "vlogger"):
            with model.score_part(part):
                results[f"{part} part"] = trainer.evaluate(data, load_best_model=False, show_progress=False)
    return results


def gate_table(model, train, split):
    """The gate w over ``split``'s (user, video) pairs, grouped by video popularity and by user-vlogger contact."""
    users = split.inter_feat[split.uid_field].numpy().copy()
    items = split.inter_feat[split.iid_field].numpy().copy()
    w, _, _ = model.score_parts(*(model.item2vlogger.new_tensor(ids) for ids in (users, items)))
    popularity = np.asarray(train.inter_matrix(form="csr").sum(axis=0)).ravel()[items]
    met = train.watched_vlogger_matrix(form="csr") + train.user_vlogger_matrix(form="csr", training=True)
    vloggers = np.asarray(train.item2vlogger)[items]
    frame = pd.DataFrame(
        {
            "w": w.cpu().numpy(),
            "training interactions of the video": pd.qcut(popularity, GATE_BINS, duplicates="drop"),
            "user met the vlogger": np.asarray(met.tocsr()[users, vloggers]).ravel() > 0,
        }
    )
    tables = [
        frame.groupby(column, observed=True)["w"].agg(pairs="size", mean="mean", median="median")
        for column in ("training interactions of the video", "user met the vlogger")
    ]
    tables[0].index = [f"{max(0, int(np.floor(b.left)) + 1)}-{int(b.right)}" for b in tables[0].index]
    tables[0].index.name = "training interactions of the video"
    return tables


def report(model_file, data_path=None, trust=False):
    """The printed report of the module docstring for one checkpoint, as a string."""
    from recbole_vagnn.quick_start import load_data_and_model
    from recbole_vagnn.utils.utils import get_trainer

    config, model, _, train_data, valid_data, test_data = load_data_and_model(model_file, data_path, trust)
    trainer = get_trainer(config["MODEL_TYPE"], config["model"])(config, model)
    model.eval()
    valid_metric = config["valid_metric"].lower()
    lines = [f"{config['model']} on {config['dataset']} ({model_file})"]
    for name, data in (("valid", valid_data), ("test", test_data)):
        results = evaluate_parts(trainer, model, data)
        rows = pd.DataFrame({score: dict(result) for score, result in results.items()}).T
        lines += ["", f"{name}:", rows.to_string(float_format=lambda x: f"{x:.4f}")]
        if name == "valid" and len(results) > 1:
            full = results["full"][valid_metric]
            better = [s for s, r in results.items() if r[valid_metric] > full]
            lines.append(
                f"valid {valid_metric}: the full score {'is below ' + ' and '.join(better) + ' alone' if better else 'is at least each part alone'}"
            )
    if getattr(model, "use_vlogger_score", False):
        lines += [
            "",
            f"gate bias b = {float(model.gate_bias):g} (0: the paper's gate; chosen on validation with gate_calibration)",
        ]
        for name, data in (("valid", valid_data), ("test", test_data)):
            for table in gate_table(model, train_data._dataset, data._dataset):
                lines += [
                    "",
                    f"gate w on {name} positives, by {table.index.name}:",
                    table.to_string(float_format=lambda x: f"{x:.3f}"),
                ]
    else:
        lines += ["", f"{config['model']} scores with one part: no gate to show"]
    return "\n".join(lines)


def main(argv=None):
    parser = argument_parser("The parts of a trained VA-GNN's score on validation and test (see the module docstring).")
    parser.add_argument("--model_file", required=True, help="a checkpoint written by a run (saved/MODEL-....pth)")
    parser.add_argument("--data_path", default=None, help="the folder holding the dataset folder, where it moved")
    parser.add_argument("--trust_checkpoint", action="store_true", help="also load checkpoints that unpickle objects")
    args = parser.parse_args(argv)
    print(report(args.model_file, args.data_path, args.trust_checkpoint))


if __name__ == "__main__":
    run_main(main)
