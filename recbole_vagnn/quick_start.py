"""Train and evaluate one model, RecBole's ``run_recbole`` with this package's look-ups.

Command line (``recbole-vagnn run`` or ``python run_recbole.py`` in a checkout):
``--model VAGNN [--dataset NAME] [--config_files "a.yaml b.yaml"]`` plus any RecBole config key
as ``--key value`` or ``--key=value`` (e.g. ``--epochs 50 --learning_rate=0.001``). Without ``--dataset`` the
embedded synthetic dataset ``vagnn-demo`` is used.
"""

import os
import sys
import textwrap
from logging import getLogger

from recbole_vagnn.cli import add_config_files_flag, argument_parser, config_file_list, recbole_flags
from recbole_vagnn.paths import DEFAULT_DATASET, unknown_model_error


def key_hyper_parameters(model):
    """The keys a run's header shows for ``model``: its tuned keys (``properties/tuning/MODEL.yaml``; a key
    fixed to one value there is a grid's switch, left out) and the training ones."""
    from recbole_vagnn.paths import tuning_grids

    tuned = [key for grid in tuning_grids(model) for key, values in grid.items() if len(values) > 1]
    return tuned + ["embedding_size", "learning_rate", "train_batch_size", "stopping_step", "epochs", "seed"]


def run_header(config, dataset):
    """The short header a run logs instead of RecBole's config dump (shown with ``--verbose``/``verbose: True``)."""
    import torch

    from recbole_vagnn.config_checks import PAPER_NAMES

    paper_name = {key: name for name, key in PAPER_NAMES.items()} if config["model"] == "VAGNN" else {}
    values = ", ".join(
        f"{paper_name[key] + ' ' if key in paper_name else ''}{key}={config[key]}"
        for key in dict.fromkeys(key_hyper_parameters(config["model"]))
        if config[key] is not None
    )
    device = config["device"]
    count = torch.get_num_threads()
    threads = (
        f"{count} CPU thread{'s' if count != 1 else ''}" if device.type == "cpu" else torch.cuda.get_device_name(device)
    )
    return (
        f"{config['model']} on {config['dataset']} ({dataset.user_num - 1:,} users, {dataset.item_num - 1:,} items, "
        f"{dataset.inter_num:,} interactions) | {values} | device {device}, {threads} "
        "(--verbose for the full config)"
    )


def load_data_and_model(model=None, dataset=None, config_file_list=None, config_dict=None):
    """Config, dataset, split data loaders and a freshly initialised model, as RecBole builds them."""
    from recbole.data import data_preparation
    from recbole.utils import init_logger, init_seed

    from recbole_vagnn.config import Config
    from recbole_vagnn.data import create_dataset
    from recbole_vagnn.data.device_loader import device_loaders
    from recbole_vagnn.protocol import apply_training_schedule
    from recbole_vagnn.utils import get_model

    config = Config(model=model, dataset=dataset, config_file_list=config_file_list, config_dict=config_dict)
    init_seed(config["seed"], config["reproducibility"])
    init_logger(config)
    logger = getLogger()
    dataset = create_dataset(config)
    train_data, valid_data, test_data = data_preparation(config, dataset)
    apply_training_schedule(config, train_data)
    if config["verbose"]:  # after the convergence rule, so that the dump shows the values used
        logger.info(sys.argv)
        logger.info(config)
        logger.info(dataset)
    model_class = get_model(config["model"])
    train_data, valid_data, test_data = device_loaders(config, model_class, train_data, valid_data, test_data)
    init_seed(config["seed"] + config["local_rank"], config["reproducibility"])
    model = model_class(config, train_data._dataset).to(config["device"])
    logger.info(model if config["verbose"] else run_header(config, dataset))
    return config, model, dataset, train_data, valid_data, test_data


def plain(result):
    """A result dict as plain floats, ``{'recall@10': 0.315, ...}``, the same on every stack (NumPy 2 prints ``np.float64(...)``)."""
    return None if result is None else {key: float(value) for key, value in result.items()}


def run_recbole(
    model=None, dataset=None, config_file_list=None, config_dict=None, saved=True, on_validation=None, resume=None
):
    """Train ``model`` on ``dataset`` with early stopping, then evaluate the best model on test.

    ``resume``: a checkpoint of this package (``saved/MODEL-DATE.pth``) to continue from, through
    RecBole's ``resume_checkpoint``: its weights, optimizer state, epoch and patience; the epochs
    after its epoch are trained again. A run ended by Ctrl-C logs which checkpoint it kept and how
    to resume it.

    ``on_validation(optimizer_steps, score)``, if given, is called after every validation with the
    valid metric's score made larger-is-better (negated where RecBole's ``valid_metric_bigger`` is
    False); a Ray trial reports it to its scheduler.

    Returns RecBole's result dict (``best_valid_score``, ``best_valid_result``, ``test_result``,
    ``valid_score_bigger``) plus ``valid_metric`` (the key of ``best_valid_score``, e.g.
    ``recall@10``), ``epochs`` (epochs trained), ``best_epoch`` (the epoch of the kept checkpoint,
    counted from 0 as RecBole's log does), ``best_valid_step`` (its optimizer steps),
    ``seconds_per_epoch`` (training only, evaluation excluded), ``train_batch_size`` and ``stopping_step`` as the convergence rule
    set them (:mod:`recbole_vagnn.protocol`), ``optimizer_steps``, ``converged`` (early stopping
    ended the run, not the epoch cap or ``max_train_steps``), ``valid_curve`` and ``video_only_curve`` (``(optimizer steps,
    valid score)`` per validation; the second for VA-GNN's score without its vlogger part),
    ``valid_standard_error`` (the kept validation score's standard error over the validation users,
    :func:`recbole_vagnn.protocol.standard_error`; None where the valid metric has no per-user values), ``test_curve`` and
    ``valid_per_user_curve`` (with ``record_test_curve: True``: the test result and the per-user
    valid values at every validation; else empty),
    ``test_per_user`` (each test user's value of every metric defined per user, RecBole's metrics before
    averaging: :mod:`recbole_vagnn.evaluator`), ``test_users`` (their ids, in the same order; None where
    the evaluation has no users, as for labeled value metrics) and ``link_lift`` (tripartite data:
    :func:`recbole_vagnn.data.signal.link_lift` of the split, else None).
    """
    from recbole.utils import get_environment, set_color

    from recbole_vagnn.config_checks import check_topk_fits
    from recbole_vagnn.protocol import standard_error
    from recbole_vagnn.utils import get_trainer

    config, model, dataset, train_data, valid_data, test_data = load_data_and_model(
        model, dataset, config_file_list, config_dict
    )
    check_topk_fits(config, dataset)  # before training, not after its first epoch
    logger = getLogger()
    trainer = get_trainer(config["MODEL_TYPE"], config["model"])(config, model)
    callback = None
    if on_validation is not None:
        sign = 1 if config["valid_metric_bigger"] else -1

        def callback(epoch, score):
            on_validation(trainer.optimizer_steps, sign * float(score))

    if resume:
        trainer.resume_checkpoint(resume)
    if config["record_test_curve"]:
        trainer.curve_test_data = test_data
    try:
        best_valid_score, best_valid_result = trainer.fit(
            train_data, valid_data, saved=saved, show_progress=config["show_progress"], callback_fn=callback
        )
    except KeyboardInterrupt:
        if saved and os.path.isfile(trainer.saved_model_file):
            logger.warning(
                f"interrupted: the checkpoint kept so far is {trainer.saved_model_file}; continue it with the same "
                f"command plus --resume {trainer.saved_model_file}"
            )
        raise
    test_result = trainer.evaluate(test_data, load_best_model=saved, show_progress=config["show_progress"])
    if config["verbose"]:
        logger.info("The running environment of this training is as follows:\n" + get_environment(config).draw())
    logger.info(set_color("best valid ", "yellow") + f": {plain(best_valid_result)}")
    logger.info(set_color("test result", "yellow") + f": {plain(test_result)}")
    return {
        "best_valid_score": best_valid_score,
        "valid_score_bigger": config["valid_metric_bigger"],
        "valid_metric": config["valid_metric"].lower(),
        "best_valid_result": best_valid_result,
        "test_result": test_result,
        "epochs": len(trainer.epoch_seconds),
        "best_epoch": (trainer.best_evaluation + 1) * config["eval_step"] - 1 if trainer.valid_curve else None,
        "best_valid_step": trainer.valid_curve[trainer.best_evaluation][0] if trainer.valid_curve else None,
        "seconds_per_epoch": sum(trainer.epoch_seconds) / max(len(trainer.epoch_seconds), 1),
        "train_batch_size": config["train_batch_size"],
        "stopping_step": config["stopping_step"],
        "optimizer_steps": trainer.optimizer_steps,
        "converged": len(trainer.epoch_seconds) < config["epochs"] and not trainer.step_budget_spent,
        "valid_curve": trainer.valid_curve,
        "valid_standard_error": standard_error(trainer.best_valid_per_user),
        "test_curve": trainer.test_curve,
        "valid_per_user_curve": trainer.valid_per_user_curve,
        "video_only_curve": trainer.video_only_curve,
        "test_per_user": {k: v.tolist() for k, v in trainer.evaluator.per_user.items()},
        "test_users": None if trainer.evaluated_users is None else trainer.evaluated_users.tolist(),
        "link_lift": getattr(train_data._dataset, "link_lift", None),
    }


def main(argv=None):
    """Command line: parse this command's flags, hand the rest to RecBole's Config as ``--key=value`` flags."""
    parser = argument_parser(
        "Train and evaluate a model; any RecBole config key is passed on as --key value or --key=value.",
        epilog=textwrap.fill(
            "Any RecBole or recbole-vagnn config key works as --key value or --key=value, e.g. --learning_rate 0.002 "
            "--train_batch_size=512 --lambda1 0.5. The keys and their defaults are in the package's properties/ "
            "folder: overall.yaml (every run, with the convergence rule), dataset/tripartite.yaml, "
            "protocol/paper.yaml, model/MODEL.yaml, and the presets in presets/."
        ),
    )
    parser.add_argument("--model", "-m", default="VAGNN", help="model name: VAGNN, SimGCL, GTN or any RecBole model")
    parser.add_argument("--dataset", "-d", default=DEFAULT_DATASET, help="dataset name (folder under --data_path)")
    add_config_files_flag(parser)
    parser.add_argument(
        "--epochs", default=None, help="RecBole's cap on training epochs (None: properties/overall.yaml's 500)"
    )
    parser.add_argument(
        "--data_path", default=None, help="folder holding the dataset folder (None: dataset/, then the embedded data)"
    )
    parser.add_argument(
        "--verbose", action="store_true", help="log RecBole's full config, dataset and model dump instead of a header"
    )
    parser.add_argument(
        "--resume",
        default=None,
        metavar="FILE",
        help="continue training from this package's checkpoint FILE (saved/MODEL-DATE.pth), with the same flags",
    )
    args, rest = parser.parse_known_args(argv)
    error = unknown_model_error(args.model)  # at once, before torch and RecBole's model zoo load
    if error:
        raise error
    sys.argv = sys.argv[:1] + recbole_flags(rest)  # what RecBole's Config reads: its keys, and only those
    config_files = config_file_list(args.config_files)
    named = {key: getattr(args, key) for key in ("epochs", "data_path") if getattr(args, key) is not None}
    if args.verbose:
        named["verbose"] = True
    if args.resume:
        from recbole_vagnn.checkpoint import check_model_file

        check_model_file(args.resume)
    run_recbole(
        model=args.model,
        dataset=args.dataset,
        config_file_list=config_files,
        config_dict=named or None,
        resume=args.resume,
    )
