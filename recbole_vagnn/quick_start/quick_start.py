"""Train and evaluate one model, RecBole's ``run_recbole`` with this package's look-ups.

The command line over it is :mod:`recbole_vagnn.cli.run` (``recbole-vagnn run``, ``python run_recbole.py``).
"""

import os
import sys
from logging import getLogger


def key_hyper_parameters(model):
    """The keys a run's header shows for ``model``: its tuned keys (``properties/tuning/MODEL.yaml``; a key
    fixed to one value there is a grid's switch, left out) and the training ones."""
    from recbole_vagnn.utils.paths import tuning_grids

    tuned = [key for grid in tuning_grids(model) for key, values in grid.items() if len(values) > 1]
    return tuned + ["embedding_size", "learning_rate", "train_batch_size", "stopping_step", "epochs", "seed"]


def run_header(config, dataset):
    """The short header a run logs instead of RecBole's config dump (shown with ``--verbose``/``verbose: True``)."""
    import torch

    from recbole_vagnn.config.checks import PAPER_NAMES

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
        f"{dataset.inter_num:,} interactions) | {values} | device {device}, {threads}{processes(config)} "
        "(--verbose for the full config)"
    )


def processes(config):
    """The header's note on a distributed run, ``, 2 processes (gloo)``: the world size and the backend; '' for one process."""
    if config["single_spec"]:
        return ""
    import torch.distributed as dist

    return f", {config['world_size']} processes ({dist.get_backend()})"


def log_on_rank_zero_only(config):
    """A distributed run logs to one file: RecBole's ``init_logger`` opens a log file in every
    process; every rank but 0 (which RecBole sets to log errors only) closes and removes its own
    file when empty, and keeps showing its errors on stderr."""
    import logging

    if config["single_spec"] or config["local_rank"] == 0:
        return
    root = logging.getLogger()
    for handler in list(root.handlers):
        if isinstance(handler, logging.FileHandler):
            root.removeHandler(handler)
            handler.close()
            if os.path.isfile(handler.baseFilename) and os.path.getsize(handler.baseFilename) == 0:
                os.remove(handler.baseFilename)


def check_environment(config):
    """Refuse, before any data loads, a run this machine cannot do (:class:`~recbole_vagnn.utils.errors.ConfigError`).

    ``enable_amp: True`` on a CPU (RecBole's autocast then runs in bfloat16, which sparse graph
    propagation and several of RecBole's losses do not support, ending in a traceback mid-epoch), and
    ``log_wandb: True`` without the ``wandb`` package (RecBole fails when it makes the trainer).
    """
    import importlib.util

    from recbole_vagnn.utils.errors import ConfigError

    if config["enable_amp"] and config["device"].type != "cuda":
        raise ConfigError(
            f"config 'enable_amp' True needs a CUDA GPU, and this run is on {config['device']}: "
            "set --enable_amp=False, or run on a GPU"
        )
    if config["log_wandb"] and importlib.util.find_spec("wandb") is None:
        raise ConfigError(
            "config 'log_wandb' True needs the package 'wandb', which is not installed: "
            "pip install wandb, or set --log_wandb=False"
        )


def start_logging(config):
    """RecBole's ``init_logger``, with its folders made first: RecBole's ``ensure_dir`` (exists? else
    makedirs) races when processes start together, the ranks of a distributed run or runs started
    side by side in one folder."""
    from recbole.utils import init_logger

    for folder in (os.path.join("log", config["model"]), config["checkpoint_dir"]):
        os.makedirs(folder, exist_ok=True)
    init_logger(config)


def build_data_and_model(model=None, dataset=None, config_file_list=None, config_dict=None):
    """Config, dataset, split data loaders and a freshly initialised model, as :func:`run_recbole` builds them.

    Args:
        model (str): the model's name (this package's or RecBole's); None: the config's ``model``.
        dataset (str): the dataset's name; None: the config's ``dataset``.
        config_file_list (list): YAML config files.
        config_dict (dict): config values, above the files.

    Returns:
        tuple: ``(config, model, dataset, train_data, valid_data, test_data)``, the model untrained.

    In a distributed run (:func:`run`) every rank builds the same dataset, split, user-vlogger
    relation and graphs: they are deterministic functions of the files and the config, read and
    split under ``init_seed(seed)`` (the same seed on every rank; VA-GNN's meta-path walk is seeded
    with ``seed`` too, :mod:`recbole_vagnn.model.metapath`). The model is then made under RecBole's
    ``init_seed(seed + local_rank)``, so every draw during training (negatives, VA-GNN's vlogger
    triples, SimGCL's noise, dropout) differs between ranks on purpose: each rank draws its own
    share of the global batch's samples, as one process draws them for the whole batch (the same
    draws on every rank would repeat each sample ``world_size`` times). The initial weights still
    agree: DistributedDataParallel copies rank 0's to every rank.
    """
    from recbole.data import data_preparation
    from recbole.utils import init_seed

    from recbole_vagnn.config.configurator import Config
    from recbole_vagnn.data import create_dataset
    from recbole_vagnn.data.cold_items import keep_held_out_videos_from_negatives
    from recbole_vagnn.data.dataloader.device_loader import device_loaders
    from recbole_vagnn.trainer.convergence import apply_training_schedule
    from recbole_vagnn.utils.utils import get_model

    config = Config(model=model, dataset=dataset, config_file_list=config_file_list, config_dict=config_dict)
    check_environment(config)
    init_seed(config["seed"], config["reproducibility"])
    start_logging(config)
    log_on_rank_zero_only(config)
    logger = getLogger()
    dataset = create_dataset(config)
    train_data, valid_data, test_data = data_preparation(config, dataset)
    keep_held_out_videos_from_negatives(train_data)
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


def config_from_checkpoint(checkpoint, model_file, data_path=None, device=None, **settings):
    """The :class:`~recbole_vagnn.config.Config` a checkpoint of this package was trained with.

    It is rebuilt from the settings the run was given (``external_config``) on top of this
    package's defaults, with ``data_path``, ``device`` and ``settings`` replaced where given, and the dataset's
    files must be the very ones it was trained on (the same SHA-256), else
    :class:`~recbole_vagnn.utils.errors.CheckpointError`.
    """
    from recbole_vagnn.config.configurator import Config
    from recbole_vagnn.trainer.checkpoint import data_digest
    from recbole_vagnn.utils.errors import CheckpointError

    stored = checkpoint["config"]
    overrides = dict(checkpoint.get("external_config") or getattr(stored, "external_config_dict", {}))
    if device is not None:
        overrides.update(device=device, use_gpu=str(device) != "cpu")
    if data_path is not None:
        overrides["data_path"] = str(data_path)
    overrides.update(settings)
    from recbole_vagnn.config.command_line import recbole_command_line

    with recbole_command_line():
        config = Config(model=stored["model"], dataset=stored["dataset"], config_dict=overrides)
    expected = checkpoint.get("data_sha256")
    if expected and expected != data_digest(config["data_path"], config["dataset"]):
        raise CheckpointError(
            f"{model_file}: trained on other data than the files of dataset '{config['dataset']}' in "
            f"{config['data_path']} (their SHA-256 differs); point --data_path at the data it was trained on"
        )
    return config


def load_data_and_model(model_file, data_path=None, trust=False):
    """Load a saved run, as RecBole's ``load_data_and_model``: its config, dataset, loaders and trained model.

    Args:
        model_file (str): a checkpoint written by a run of this package (``saved/MODEL-....pth``).
        data_path (str): the folder holding the dataset folder, where it moved since training.
        trust (bool): also load checkpoints that unpickle Python objects (RecBole's own); only
            from a trusted source (:func:`recbole_vagnn.trainer.checkpoint.load_checkpoint`).

    Returns:
        tuple: ``(config, model, dataset, train_data, valid_data, test_data)`` as RecBole's: the
        filtered dataset, RecBole's split loaders, and the model with the checkpoint's weights, so
        that RecBole's ``recbole.utils.case_study.full_sort_topk`` ranks with it.
    """
    from recbole.data import data_preparation
    from recbole.utils import init_seed

    from recbole_vagnn.data import create_dataset
    from recbole_vagnn.data.cold_items import keep_held_out_videos_from_negatives
    from recbole_vagnn.trainer.checkpoint import load_checkpoint
    from recbole_vagnn.utils.utils import get_model

    checkpoint = load_checkpoint(model_file, trust=trust)
    config = config_from_checkpoint(checkpoint, model_file, data_path)
    init_seed(config["seed"], config["reproducibility"])
    start_logging(config)
    dataset = create_dataset(config)
    train_data, valid_data, test_data = data_preparation(config, dataset)
    keep_held_out_videos_from_negatives(train_data)
    init_seed(config["seed"], config["reproducibility"])
    model = get_model(config["model"])(config, train_data._dataset).to(config["device"])
    model.load_state_dict(checkpoint["state_dict"])
    model.load_other_parameter(checkpoint.get("other_parameter"))
    return config, model, dataset, train_data, valid_data, test_data


def plain(result):
    """A result dict as plain floats, ``{'recall@10': 0.315, ...}``, the same on every stack (NumPy 2 prints ``np.float64(...)``)."""
    return None if result is None else {key: float(value) for key, value in result.items()}


def run_recbole(
    model=None,
    dataset=None,
    config_file_list=None,
    config_dict=None,
    saved=True,
    on_validation=None,
    resume=None,
    queue=None,
):
    """Train ``model`` on ``dataset`` with early stopping, then evaluate the best model on test.

    ``queue``: as RecBole's, in a distributed run rank 0 puts the result there for the parent
    (:func:`run`); every rank returns it, and leaves the process group at the end.

    ``resume``: a checkpoint of this package (``saved/MODEL-DATE-PID-RANDOM.pth``) to continue from, through
    RecBole's ``resume_checkpoint``: its weights, optimizer state, epoch and patience; the epochs
    after its epoch are trained again. A run ended by Ctrl-C logs which checkpoint it kept and how
    to resume it.

    ``on_validation(optimizer_steps, score)``, if given, is called after every validation with the
    valid metric's score made larger-is-better (negated where RecBole's ``valid_metric_bigger`` is
    False); a Ray trial reports it to its scheduler.

    Returns RecBole's result dict, each key with RecBole's meaning: ``best_valid_score`` (the
    kept checkpoint's validation score), ``best_valid_result`` (its metrics), ``test_result``,
    ``valid_score_bigger``; plus ``model``, ``best_valid_mean`` (the score the early-stopping rule
    compared: the mean of the last ``stopping_window`` validations ending at the kept checkpoint,
    :class:`recbole_vagnn.trainer.convergence.EarlyStopping`; ``best_valid_score`` where the window
    is 1), ``valid_metric`` (the key of ``best_valid_score``, e.g.
    ``recall@10``), ``epochs`` (epochs trained), ``best_epoch`` (the epoch of the kept checkpoint's
    validation, counted from 0 as RecBole's log does; None where no validation ran, e.g. ``eval_step``
    0, or ``max_train_steps`` spent before the first), ``best_valid_step`` (its optimizer steps),
    ``seconds_per_epoch`` (training only, evaluation excluded), ``train_batch_size`` and ``stopping_step`` as the convergence rule
    set them (:mod:`recbole_vagnn.trainer.convergence`), ``optimizer_steps``, ``converged`` (early stopping
    ended the run, not the epoch cap or ``max_train_steps``), ``valid_curve`` and ``video_only_curve`` (``(optimizer steps,
    valid score)`` per validation; the second for VA-GNN's score without its vlogger part),
    ``valid_standard_error`` (the kept validation score's standard error over the validation users,
    :func:`recbole_vagnn.trainer.convergence.standard_error`; None where the valid metric has no per-user values), ``test_curve`` and
    ``valid_per_user_curve`` (with ``record_test_curve: True``: the test result and the per-user
    valid values at every validation; else empty),
    ``test_per_user`` (each test user's value of every metric defined per user, RecBole's metrics before
    averaging: :mod:`recbole_vagnn.evaluator.evaluator`), ``test_users`` (their ids, in the same order; None where
    the evaluation has no users, as for labeled value metrics) and ``link_lift`` (tripartite data:
    :func:`recbole_vagnn.data.link_lift.link_lift` of the split, else None).
    """
    from recbole.utils import get_environment, set_color

    from recbole_vagnn.config.checks import check_topk_fits
    from recbole_vagnn.trainer.convergence import standard_error
    from recbole_vagnn.utils.utils import get_trainer

    config, model, dataset, train_data, valid_data, test_data = build_data_and_model(
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
    kept = trainer.valid_curve[trainer.best_evaluation][1] if trainer.valid_curve else best_valid_score
    if trainer.gate_calibration:  # the kept checkpoint is the calibrated model
        kept = trainer.gate_calibration[float(model.gate_bias)]
    result = {
        "model": config["model"],
        "best_valid_score": kept,
        "best_valid_mean": best_valid_score,
        "valid_score_bigger": config["valid_metric_bigger"],
        "valid_metric": config["valid_metric"].lower(),
        "best_valid_result": best_valid_result,
        "test_result": test_result,
        "epochs": len(trainer.epoch_seconds),
        "best_epoch": trainer.best_epoch,
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
        "gate_calibration": trainer.gate_calibration,
        "test_per_user": {k: v.tolist() for k, v in trainer.evaluator.per_user.items()},
        "test_users": None if trainer.evaluated_users is None else trainer.evaluated_users.tolist(),
        "link_lift": getattr(train_data._dataset, "link_lift", None),
    }
    if not config["single_spec"]:
        import torch.distributed as dist

        dist.barrier()  # none leaves while another still talks to it (gloo aborts on a vanished peer)
        dist.destroy_process_group()
        if config["local_rank"] == 0 and queue is not None:
            queue.put(result)
    return result


def run(
    model,
    dataset,
    config_file_list=None,
    config_dict=None,
    saved=True,
    nproc=1,
    world_size=-1,
    ip="localhost",
    port="5678",
    group_offset=0,
):
    """RecBole's ``run``: :func:`run_recbole` in this process, or in ``nproc`` processes of a distributed run.

    The arguments and their meanings are RecBole's. ``nproc`` 1 and ``world_size`` -1: one process.
    Otherwise this node starts ``nproc`` processes with ``torch.multiprocessing.spawn``
    (:func:`run_recboles`), ranks ``group_offset`` to ``group_offset + nproc - 1`` of
    ``world_size`` (-1: ``nproc``, one node), meeting at ``tcp://ip:port`` (the node with
    ``group_offset`` 0 listens there). They train with DistributedDataParallel, on NCCL and one
    GPU each (RecBole's path; ``gpu_id`` names the GPUs), or where no GPU is visible on the CPU
    with gloo (this package's extension, :meth:`recbole_vagnn.config.Config._init_device`).
    Returns the result dict of rank 0 (on the other nodes, None), as RecBole passes it back
    through a queue. Bad values (:func:`check_processes`), a port in use, or a process that
    fails or dies raise :class:`~recbole_vagnn.utils.errors.DistributedError` with one line;
    the other processes are stopped.
    """
    nproc, world_size, group_offset = check_processes(nproc, world_size, port, group_offset)
    if nproc == 1 and world_size <= 0:
        return run_recbole(model, dataset, config_file_list, config_dict, saved=saved)
    return run_distributed(
        model, dataset, config_file_list, config_dict, saved, nproc, world_size, ip, port, group_offset
    )


def run_distributed(
    model, dataset, config_file_list, config_dict, saved, nproc, world_size, ip, port, group_offset, resume=None
):
    """:func:`run`'s several processes (checked values); ``resume``: a checkpoint every process continues from."""
    world_size = nproc if world_size == -1 else world_size
    check_devices(nproc, model, dataset, config_file_list, config_dict)
    if group_offset == 0:
        check_port_free(ip, port)
    config_dict = dict(config_dict or {})
    config_dict.update({"world_size": world_size, "ip": ip, "port": port, "nproc": nproc, "offset": group_offset})
    kwargs = {"config_dict": config_dict, "saved": saved}
    if resume:
        kwargs["resume"] = resume
    return spawn_processes(run_recboles, (model, dataset, config_file_list), kwargs, nproc)


def check_processes(nproc, world_size=-1, port="5678", group_offset=0):
    """RecBole's distributed arguments as RecBole means them, else :class:`~recbole_vagnn.utils.errors.DistributedError`.

    ``nproc`` an integer of 1 or more; ``world_size`` -1 or an integer of at least
    ``group_offset + nproc``; ``group_offset`` an integer of 0 or more; ``port`` 1 to 65535.
    Returns ``(nproc, world_size, group_offset)`` as integers.
    """
    from recbole_vagnn.utils.errors import DistributedError

    def integer(name, value):
        if (
            isinstance(value, bool)
            or not isinstance(value, int)
            and not (isinstance(value, str) and value.lstrip("-").isdigit())
        ):
            raise DistributedError(f"--{name} {value!r} is not an integer")
        return int(value)

    nproc, world_size, group_offset = (
        integer(name, value)
        for name, value in (("nproc", nproc), ("world_size", world_size), ("group_offset", group_offset))
    )
    if nproc < 1:
        raise DistributedError(f"--nproc {nproc}: the number of processes must be 1 or more")
    if group_offset < 0:
        raise DistributedError(f"--group_offset {group_offset}: the first rank of this node must be 0 or more")
    if world_size != -1 and world_size < group_offset + nproc:
        raise DistributedError(
            f"--world_size {world_size} is below --group_offset {group_offset} + --nproc {nproc}: "
            "world_size counts the processes of every node (-1: this node's nproc)"
        )
    if not 1 <= integer("port", port) <= 65535:
        raise DistributedError(f"--port {port}: a TCP port is 1 to 65535")
    return nproc, world_size, group_offset


def check_devices(nproc, model, dataset, config_file_list, config_dict):
    """On GPUs, one per process: ``nproc`` above the GPUs visible, or above those ``gpu_id`` names, is refused.

    The config is read here, in the parent, as each process will read it (so a bad value is
    reported once, before any process starts); on the CPU (gloo) any ``nproc`` runs. Returns the config.
    """
    import torch

    from recbole_vagnn.config.configurator import Config
    from recbole_vagnn.utils.errors import DistributedError

    visible = torch.cuda.device_count() if torch.cuda.is_available() else 0  # before RecBole sets CUDA_VISIBLE_DEVICES
    config = Config(model=model, dataset=dataset, config_file_list=config_file_list, config_dict=config_dict)
    if config["device"].type != "cuda":
        return config
    named = [gpu for gpu in str(config["gpu_id"]).split(",") if gpu.strip()]
    if nproc > visible:
        raise DistributedError(
            f"--nproc {nproc} is more than the {visible} GPU{'s' if visible != 1 else ''} visible: "
            f"each process trains on a GPU of its own; use --nproc {visible} or fewer"
        )
    if nproc > len(named):
        raise DistributedError(
            f"--nproc {nproc} needs {nproc} GPUs and gpu_id '{config['gpu_id']}' names {len(named)}: "
            f"set --gpu_id={','.join(map(str, range(nproc)))}"
        )
    return config


def check_port_free(ip, port):
    """The node with rank 0 listens at ``ip:port``: a port already in use there is a :class:`DistributedError`."""
    import socket

    from recbole_vagnn.utils.errors import DistributedError

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((ip, int(port)))
        except OSError as error:
            raise DistributedError(
                f"--port {port} on {ip} cannot be used by rank 0 ({error.strerror}): another process holds it; "
                "choose a free one with --port"
            ) from None


WARNING_FILTERS = "_warning_filters"
"""The key of :func:`run_recboles`'s keyword arguments under which :func:`spawn_processes` sends the
parent's ``warnings.filters`` (a spawned process starts with Python's; the command lines hide
RecBole's own deprecation notices, :func:`recbole_vagnn.cli.base.hide_unactionable_warnings`)."""


def spawn_processes(function, args, kwargs, nproc):
    """``torch.multiprocessing.spawn(function, args + (kwargs,), nproc)`` with a queue for rank 0's result, as RecBole's ``run``.

    A process that raises, or exits before the end (killed, ``os._exit``), ends the run: torch
    stops the other processes, and this raises :class:`DistributedError` with one line naming
    the process and what ended it (the process's own traceback is chained, shown with ``--debug``).
    """
    import warnings

    import torch.multiprocessing as mp

    from recbole_vagnn.utils.errors import DistributedError

    queue = mp.get_context("spawn").SimpleQueue()
    kwargs = {**kwargs, "queue": queue}
    if function is run_recboles:  # a new interpreter: this process's warning policy goes with it
        kwargs[WARNING_FILTERS] = list(warnings.filters)
    result = None
    try:
        context = mp.spawn(function, args=(*args, kwargs), nprocs=nproc, join=False)
        while True:  # read while they run: a result larger than the pipe's buffer blocks its writer until read
            while not queue.empty():
                result = queue.get()
            if context.join(timeout=0.2):
                break
    except mp.ProcessRaisedException as error:
        import re

        lines = [line for line in str(error).strip().splitlines() if line.strip()]
        last = re.sub(r"^[\w.]+\.(\w+): ", r"\1: ", lines[-1].strip())  # recbole_vagnn.utils.errors.ConfigError: ...
        raise DistributedError(
            f"process {error.error_index} of {nproc} failed, and the others were stopped: {last}"
        ) from error
    except mp.ProcessExitedException as error:
        why = f"signal {error.signal_name}" if error.signal_name else f"exit code {error.exit_code}"
        raise DistributedError(
            f"process {error.error_index} of {nproc} ended ({why}) before the run did, and the others were stopped"
        ) from error
    while not queue.empty():
        result = queue.get()
    return result


def run_recboles(rank, *args):
    """RecBole's ``run_recboles(rank, model, dataset, config_file_list, kwargs)``: what each process of a
    distributed run starts with (``torch.multiprocessing.spawn`` gives ``rank``): :func:`run_recbole` as
    process ``rank`` of this node, ``kwargs`` its keyword arguments (``config_dict``, ``queue``, ``saved``)."""
    from collections.abc import MutableMapping

    kwargs = args[-1]
    if not isinstance(kwargs, MutableMapping):
        raise TypeError(f"the last argument of run_recboles must be a dict of keyword arguments, got {type(kwargs)}")
    kwargs = dict(kwargs)
    if WARNING_FILTERS in kwargs:
        import warnings

        warnings.filters[:] = kwargs.pop(WARNING_FILTERS)
    kwargs["config_dict"] = {**(kwargs.get("config_dict") or {}), "local_rank": rank}
    return run_recbole(*args[:3], **kwargs)


def objective_function(config_dict=None, config_file_list=None, saved=True):
    """RecBole's ``objective_function`` for ``recbole.trainer.HyperTuning``: one trial through this package.

    The model and dataset come from the config (``config_dict`` or the files), as in RecBole;
    every model this package or RecBole has can be tuned. Returns RecBole's dict: ``model``,
    ``best_valid_score`` (the kept checkpoint's validation score), ``valid_score_bigger``,
    ``best_valid_result`` and ``test_result``.
    """
    result = run_recbole(config_file_list=config_file_list, config_dict=config_dict, saved=saved)
    keys = ("best_valid_score", "valid_score_bigger", "best_valid_result", "test_result")
    return {"model": result["model"], **{key: result[key] for key in keys}}
