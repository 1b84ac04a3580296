"""specjit_export: fitted scikit-learn estimators -> specjit `model` descriptors.

    >>> from specjit_export import export
    >>> descriptor = export(fitted_estimator, feature_names=["age", "income"])
    >>> json.dump(descriptor, open("model.json", "w"))

Command line (prints the descriptor as JSON):

    python3 -m specjit_export MODEL.pkl > model.json

The descriptor format and its meaning: docs/model-semantics.md and
docs/pipeline-semantics.md. What is exported, and how, is in python/README.md.
"""

import json

from .sklearn import ExportError, export, format_number, split_threshold

__all__ = ["export", "dumps", "ExportError", "split_threshold",
           "format_number"]
__version__ = "0.1.0"


def dumps(descriptor, indent=None):
    """The descriptor as JSON text (finite numbers only, shortest round-trip
    floats, so every f64 reads back bit for bit)."""
    seps = (",", ":") if indent is None else (",", ": ")
    return json.dumps(descriptor, indent=indent, allow_nan=False,
                      ensure_ascii=False, separators=seps)
