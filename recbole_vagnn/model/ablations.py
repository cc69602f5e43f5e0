"""VA-GNN's ablation variants (paper Table 3) as config switches of :class:`recbole_vagnn.model.VAGNN`."""

ABLATIONS = {
    "A": {"use_cl": False},
    "B": {"use_vlogger_loss": False},
    "C": {"use_video_view": False},
    "D": {"use_vlogger_view": False},
    "E": {"use_vlogger_score": False},
}
"""Variant letter -> the config overrides that make it: (A) w/o CL loss ... (E) w/o y_up."""
