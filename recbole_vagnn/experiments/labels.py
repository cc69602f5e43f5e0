"""Model labels of the benchmark: any model name, plus the paper's variants (SGL-ED, VAGNN-A, ...)."""

from recbole_vagnn.errors import ConfigError
from recbole_vagnn.model.ablations import ABLATIONS

PAPER_MODELS = ["NGCF", "LightGCN", "GTN", "SGL-ED", "SGL-ND", "SGL-RW", "SimGCL", "VAGNN"]
VARIANTS = {f"SGL-{kind}": ("SGL", {"type": kind}) for kind in ("ED", "ND", "RW")}
VARIANTS.update({f"VAGNN-{letter}": ("VAGNN", switches) for letter, switches in ABLATIONS.items()})
VARIANTS.update(
    {
        "VAGNN-watched": ("VAGNN", {"vlogger_view_graph": "watched"}),  # the authors' vlogger view
        "VAGNN-uvl-paper": ("VAGNN", {"uvl_rule": "paper"}),  # the paper's literal, leaky relation
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
    from recbole_vagnn.utils import get_model

    for label in labels:
        try:
            get_model(resolve(label)[0])
        except ConfigError as error:
            raise ConfigError(
                f"--models: '{label}' is no model label; use a model name (e.g. {', '.join(PAPER_MODELS[:2])}) "
                f"or a variant ({', '.join(VARIANTS)}). {error}"
            ) from error
