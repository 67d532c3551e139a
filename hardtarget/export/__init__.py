"""Using a trained network elsewhere: the model file, ONNX, C, their check, and a summary.

Every function takes a model in any form: a :class:`~hardtarget.Network`, a fitted
:class:`~hardtarget.HardThresholdClassifier`, a search result, a ``hardtarget.torch``
MLP or a model file.
"""

from __future__ import annotations

import os
import sys
import types
from pathlib import Path

from .. import registry
from .._io import atomic_open
from ..errors import HardTargetError
from ._model import as_network, check_trained_inputs
from ._pipeline import split_pipeline
from .exporter import Exporter, format_of, get_exporter
from .jsonfile import load
from .summary import ModelSummary, summary
from .torch_onnx import is_torch_chain
from .verify import ExportCheck, verify_export

__all__ = [
    "export",
    "load",
    "verify_export",
    "summary",
    "ExportCheck",
    "ModelSummary",
    "Exporter",
    "FORMATS",
]

FORMATS = registry.choices("exporters")
"""The registered export formats (group ``hardtarget.exporters``), read on first use."""


def export(
    model,
    path: str | os.PathLike[str],
    format: str | None = None,
    *,
    inputs: str = "real",
    name: str | None = None,
) -> list[Path]:
    """Write ``model`` as ``json``, ``onnx``, ``c`` or a plugin's registered format (default:
    from the suffix of ``path``; see :class:`Exporter` and :mod:`hardtarget.registry`).

    Parameters
    ----------
    model : Network, fitted HardThresholdClassifier, SearchResult, torch MLP, model file,
        or a fitted scikit-learn ``Pipeline`` of supported preprocessing (scalers,
        ``Binarizer``; see :mod:`hardtarget.export._pipeline`) ending in one of these,
        exported as ONNX or C with the preprocessing in it; or a torch conv net of the
        bridge (``ConvNet4``, ``ConvNet8``, ``AlexNet``, an ``nn.Sequential``), exported
        to ONNX only (see :mod:`hardtarget.export.torch_onnx`).
    path : output file; for ``c`` the header is written beside it (``.h``).
    format : ``"json"``, ``"onnx"``, ``"c"`` or another registered format (:data:`FORMATS`).
    inputs : ``"real"`` (any numbers), ``"sign"`` (every input is -1 or +1) or ``"binary"``
        (every input is 0 or 1); ``sign`` and ``binary`` let the first layer run on integers
        or packed bits in ONNX and C, which then refuse other rows (C: ``NAME_predict``
        returns -1; ONNX: ``index`` -1, ``valid`` false).  A fitted estimator trained on
        other values is refused.
    name : C symbol prefix (default: the file name's stem).

    Returns
    -------
    The paths written.

    Examples
    --------
    >>> import numpy as np, hardtarget as ht, tempfile, os
    >>> net = ht.Network([np.array([[1.0], [1.0], [-1.0]])], ["sign"])
    >>> out = ht.export(net, os.path.join(tempfile.mkdtemp(), "and.c"), inputs="sign")
    >>> [p.suffix for p in out]
    ['.c', '.h']
    """
    path = Path(path)
    if is_torch_chain(model):  # a conv net of the torch bridge: ONNX only
        return _export_torch(model, path, format)
    steps, final = split_pipeline(model)
    net = as_network(final)
    if not steps:
        check_trained_inputs(final, inputs)
    fmt = format_of(path, format)
    exporter = get_exporter(fmt)
    if steps and not exporter.pipelines:
        able = [c.name for c in registry.components("exporters") if c.obj.pipelines]
        raise HardTargetError(
            f"the {fmt} format holds a network only; export a pipeline with preprocessing "
            f"as {' or '.join(able)} (or export its last step)"
        )
    options = registry.get("exporters", fmt).check_options({"name": name} if name else {})
    return exporter.write(net, path, inputs=inputs, steps=steps, **options)


def _export_torch(model, path: Path, format: str | None) -> list[Path]:
    from .torch_onnx import torch_onnx_model

    if format_of(path, format) != "onnx":
        raise HardTargetError(
            f"a {type(model).__name__} (a torch conv net) exports to ONNX only; write "
            "a path ending in .onnx (C and the JSON model file hold hard-threshold MLPs)"
        )
    data = torch_onnx_model(model).SerializeToString()
    with atomic_open(path) as fh:
        fh.write(data)
    return [path]


class _CallableModule(types.ModuleType):
    """``hardtarget.export`` names both this package and the function; calling it exports.

    (Importing the package makes ``hardtarget.export`` the module, so the module calls
    :func:`export`.)
    """

    def __call__(self, *args, **kwargs):
        return export(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
