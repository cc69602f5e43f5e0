"""Write a tripartite dataset as RecBole atomic files, all or nothing."""

import os
import shutil
import tempfile
from pathlib import Path

from recbole_vagnn.utils.errors import InputError
from recbole_vagnn.utils.paths import check_dataset_name

INTER_COLUMNS = {"user_id": "token", "item_id": "token", "timestamp": "float"}
ITEM_COLUMNS = {"item_id": "token", "vlogger_id": "token"}
UVL_COLUMNS = {"user_id": "token", "vlogger_id": "token", "timestamp": "float"}


def follow_umask(path):
    """Give a file or folder made by ``tempfile`` (mode 0600 / 0700) the mode ``open``/``mkdir`` would give it.

    Datasets and results are shared between users and containers, so they follow the umask.
    """
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(path, (0o777 if os.path.isdir(path) else 0o666) & ~umask)


def _write(df, columns, path):
    frame = df[list(columns)]
    frame.columns = [f"{name}:{kind}" for name, kind in columns.items()]
    frame.to_csv(path, sep="\t", index=False)


def _clean_up_after_killed_runs(out_dir):
    """Remove staging folders a killed run left next to ``out_dir``; put back a folder it moved away."""
    for staging in out_dir.parent.glob(f".{out_dir.name}.staging-*"):
        shutil.rmtree(staging, ignore_errors=True)
    for old in sorted(out_dir.parent.glob(f".{out_dir.name}.old-*")):
        if out_dir.exists():
            shutil.rmtree(old, ignore_errors=True)
        else:  # killed between the two renames of the swap: the old dataset is still whole
            os.rename(old, out_dir)


def check_output_folder(out_dir, name):
    """Refuse, before any work, a dataset folder ``out_dir`` that :func:`write_tripartite` could not fill.

    That is: a path through an existing file (``OUT_DIR`` given as a data file), or a folder that
    holds files of something other than dataset ``name``.
    """
    check_dataset_name(name)
    out_dir = Path(out_dir)
    for folder in [out_dir, *out_dir.parents]:
        if folder.exists():
            if not folder.is_dir():
                raise InputError(
                    f"{folder} is a file, not a folder: the output is a data folder (OUT_DIR, e.g. dataset/) that "
                    f"receives {name}/{name}.inter, .item and .uvl"
                )
            break
    foreign = (
        [p.name for p in out_dir.iterdir() if not (p.is_file() and p.name.startswith(f"{name}."))]
        if out_dir.is_dir()
        else []
    )
    if foreign:
        raise InputError(
            f"{out_dir}: holds {', '.join(sorted(foreign)[:3])}{', ...' if len(foreign) > 3 else ''}, which are not "
            f"files of dataset '{name}'; write the dataset into a folder of its own"
        )


def write_tripartite(out_dir, name, inter, item, uvl):
    """Write ``name.inter``, ``name.item`` and ``name.uvl`` as the folder ``out_dir``, all or nothing.

    ``inter`` needs ``user_id, item_id, timestamp`` (extra columns are written too, as floats),
    ``item`` ``item_id, vlogger_id`` and ``uvl`` ``user_id, vlogger_id[, timestamp]`` (explicit
    events; a missing or NaN time is written empty: known before training).

    The files are written into a staging folder next to ``out_dir`` (with copies of the other
    ``name.*`` files already in ``out_dir``, e.g. ``name.user``), which then takes ``out_dir``'s
    place by two renames; an ``out_dir`` holding anything else is refused. A failure
    leaves ``out_dir`` as it was; a killed run leaves at most a staging folder or the old folder
    under a hidden name, which the next run into the same ``out_dir`` removes or puts back. Run one
    conversion per output folder at a time.
    """
    out_dir = Path(out_dir)
    check_output_folder(out_dir, name)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    _clean_up_after_killed_runs(out_dir)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.staging-", dir=out_dir.parent))
    follow_umask(staging)
    try:
        inter_columns = dict(INTER_COLUMNS, **{c: "float" for c in inter.columns if c not in INTER_COLUMNS})
        _write(inter, inter_columns, staging / f"{name}.inter")
        _write(item, ITEM_COLUMNS, staging / f"{name}.item")
        _write(uvl.reindex(columns=list(UVL_COLUMNS)), UVL_COLUMNS, staging / f"{name}.uvl")
        if out_dir.is_dir():
            for other in out_dir.iterdir():
                if not (staging / other.name).exists():
                    shutil.copy2(other, staging / other.name)
            old = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.old-", dir=out_dir.parent))
            os.rmdir(old)
            os.rename(out_dir, old)
            os.rename(staging, out_dir)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.rename(staging, out_dir)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return out_dir
