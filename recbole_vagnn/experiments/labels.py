"""Model labels of the benchmark: any model name, plus the paper's variants (SGL-ED, VAGNN-A, ...)."""

from recbole_vagnn.model.ablations import ABLATIONS
from recbole_vagnn.utils.errors import ConfigError

PAPER_MODELS = ["NGCF", "LightGCN", "GTN", "SGL-ED", "SGL-ND", "SGL-RW", "SimGCL", "VAGNN"]
VARIANTS = {f"SGL-{kind}": ("SGL", {"type": kind}) for kind in ("ED", "ND", "RW")}
VARIANTS.update({f"VAGNN-{letter}": ("VAGNN", switches) for letter, switches in ABLATIONS.items()})
VARIANTS.update(
    {
        "VAGNN-watched": ("VAGNN", {"vlogger_view_graph": "watched"}),  # the authors' vlogger view
        "VAGNN-uvl-paper": ("VAGNN", {"uvl_rule": "paper"}),  # the paper's literal, leaky relation
        # one part at a time, for diagnosing what helps on a dataset (the manual: Benchmark and tuning)
        "VAGNN-no-walk": ("VAGNN", {"walk_q1": 0.0}),  # no meta-path augmentation
        "VAGNN-fixed-gate": ("VAGNN", {"use_gate": False}),  # w = 1/2 instead of the learned gate
        "VAGNN-sum": ("VAGNN", {"view_fusion": "sum"}),  # e_1 + e_2 instead of e_1 || e_2
        # VA-GNN with every vlogger part off: LightGCN's model inside VA-GNN's code
        "VAGNN-video-core": (
            "VAGNN",
            {"use_vlogger_view": False, "use_vlogger_loss": False, "use_vlogger_score": False, "walk_q1": 0.0},
        ),
    }
)
ABLATION_NAMES = {
    "VAGNN": "VA-GNN",
    "VAGNN-A": "(A) w/o CL loss",
    "VAGNN-B": "(B) w/o vlogger loss",
    "VAGNN-C": "(C) w/o video-view",
    "VAGNN-D": "(D) w/o vlogger-view",
    "VAGNN-E": "(E) w/o y_up",
}


def resolve(label):
    """Model label -> (RecBole model name, config overrides)."""
    return VARIANTS.get(label, (label, {}))


def check_labels(labels):
    """Raise :class:`ConfigError` naming the first label that is no model and no variant, before any training."""
    from recbole_vagnn.utils.utils import get_model

    for label in labels:
        try:
            get_model(resolve(label)[0])
        except ConfigError as error:
            raise ConfigError(
                f"--models: '{label}' is no model label; use a model name (e.g. {', '.join(PAPER_MODELS[:2])}) "
                f"or a variant ({', '.join(VARIANTS)}). {error}"
            ) from error
