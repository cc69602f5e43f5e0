"""Write a tripartite dataset as RecBole atomic files, all or nothing."""

import os
import shutil
import tempfile
from pathlib import Path

INTER_COLUMNS = {"user_id": "token", "item_id": "token", "timestamp": "float"}
ITEM_COLUMNS = {"item_id": "token", "vlogger_id": "token"}
UVL_COLUMNS = {"user_id": "token", "vlogger_id": "token", "timestamp": "float"}


def _write(df, columns, path):
    frame = df[list(columns)]
    frame.columns = [f"{name}:{kind}" for name, kind in columns.items()]
    frame.to_csv(path, sep="\t", index=False)


def write_tripartite(out_dir, name, inter, item, uvl):
    """Write ``name.inter``, ``name.item`` and ``name.uvl`` into ``out_dir``.

    ``inter`` needs ``user_id, item_id, timestamp`` (extra columns are written too, as floats),
    ``item`` ``item_id, vlogger_id`` and ``uvl`` ``user_id, vlogger_id[, timestamp]`` (explicit
    events; a missing or NaN time is written empty: known before training). Files go to a temporary
    folder next to ``out_dir`` first, which replaces ``out_dir``'s files only when all are written,
    so a failure never leaves half a dataset behind.
    """
    out_dir = Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}-", dir=out_dir.parent))
    try:
        inter_columns = dict(INTER_COLUMNS, **{c: "float" for c in inter.columns if c not in INTER_COLUMNS})
        _write(inter, inter_columns, staging / f"{name}.inter")
        _write(item, ITEM_COLUMNS, staging / f"{name}.item")
        _write(uvl.reindex(columns=list(UVL_COLUMNS)), UVL_COLUMNS, staging / f"{name}.uvl")
        out_dir.mkdir(exist_ok=True)
        for file in staging.iterdir():
            os.replace(file, out_dir / file.name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return out_dir
