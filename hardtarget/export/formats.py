"""The built-in export formats, registered by their entry points in ``pyproject.toml``
(group ``hardtarget.exporters``) exactly as a plugin's: ``json``, ``onnx`` and ``c``."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .._io import atomic_open, write_file_set
from ..errors import HardTargetError
from ..labels import class_labels, output_index
from ..params import Param
from .exporter import Exporter

__all__ = ["JsonFormat", "OnnxFormat", "CFormat"]


class JsonFormat(Exporter):
    """The portable JSON model file: exact for any inputs, read back by hardtarget.load."""

    name = "json"
    suffixes = (".json",)
    pipelines = False

    def write(self, net, path: Path, *, inputs: str, steps: list, **options) -> list[Path]:
        from .jsonfile import save_json

        save_json(net, path)
        return [path]

    def open(self, path: Path, **runtime) -> _JsonRunner:
        return _JsonRunner(path)


class _JsonRunner:
    def __init__(self, path):
        from .jsonfile import load

        self.net = load(path)
        self.n_features, self.n_outputs = self.net.n_features, self.net.widths[-1]
        self.inputs = "real"  # the model file is exact for any inputs

    def decision(self, X) -> np.ndarray:
        return np.asarray(self.net.decision_function(X)).reshape(len(X), -1)

    def index(self, X) -> np.ndarray:
        return output_index(self.net, X)

    def labels(self, X) -> np.ndarray:
        return class_labels(self.net)[self.index(X)]


class OnnxFormat(Exporter):
    """ONNX (opset 13+), run by onnxruntime; integer or packed first layers for ±1/0-1 inputs."""

    name = "onnx"
    suffixes = (".onnx",)

    def write(self, net, path: Path, *, inputs: str, steps: list, **options) -> list[Path]:
        from .onnx import onnx_model

        data = onnx_model(net, inputs, steps).SerializeToString()
        with atomic_open(path) as fh:
            fh.write(data)
        return [path]

    def open(self, path: Path, **runtime) -> _OnnxRunner:
        return _OnnxRunner(path)


class _OnnxRunner:
    def __init__(self, path):
        try:
            import onnxruntime as ort
        except ImportError:
            raise HardTargetError(
                "running the ONNX export needs onnxruntime: pip install 'hardtarget[onnx]'"
            ) from None
        self.session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
        self.n_features = self.session.get_inputs()[0].shape[1]
        self.n_outputs = next(
            o.shape[1] for o in self.session.get_outputs() if o.name == "decision"
        )
        props = self.session.get_modelmeta().custom_metadata_map
        self.inputs = props.get("hardtarget.inputs", "real")

    def _run(self, output: str, X) -> np.ndarray:
        return self.session.run([output], {"X": np.ascontiguousarray(X, dtype=np.float64)})[0]

    def decision(self, X) -> np.ndarray:
        return self._run("decision", X)

    def index(self, X) -> np.ndarray:
        return self._run("index", X)

    def labels(self, X) -> np.ndarray:
        return self._run("label", X)


class CFormat(Exporter):
    """C99 source and header, no dependencies; run through ctypes after compiling it."""

    name = "c"
    suffixes = (".c", ".h")
    params = {"name": Param("str", "C symbol prefix (default: the file's stem)", none=True)}

    def outputs(self, path: Path) -> list[Path]:
        """The ``.c`` file and its header beside it.

        Parameters
        ----------
        path : Path
            The ``.c`` path.

        Returns
        -------
        list of Path
        """
        return [path, path.with_suffix(".h")]

    def write(
        self, net, path: Path, *, inputs: str, steps: list, name: str | None = None, **options
    ) -> list[Path]:
        """Write the source and its header as one set (see :meth:`Exporter.write`).

        Parameters
        ----------
        net, path, inputs, steps
            As for :meth:`Exporter.write`.
        name : str, optional
            The C symbol prefix (default: the file name's stem).
        **options
            No others are declared.

        Returns
        -------
        list of Path
        """
        from .c import c_name, c_sources

        if path.suffix != ".c":
            raise HardTargetError(
                f"a C export is written to a .c file (its header beside it), got {path}"
            )
        header = path.stem + ".h"
        source, text = c_sources(net, name or c_name(path.stem), inputs, header, steps)
        # one set: a crash leaves both files new or both old (hardtarget._io.write_file_set)
        write_file_set([(path, source), (path.with_suffix(".h"), text)])
        return self.outputs(path)

    def open(self, path: Path, cc: str | None = None, cflags=None, **runtime):
        """The export compiled with ``cc`` and ``cflags`` (default ``-O2``) and loaded.

        Parameters
        ----------
        path : Path
            The ``.c`` file (or its header).
        cc : str, optional
            The C compiler command.
        cflags : tuple of str, optional
            Its flags.
        **runtime
            Ignored.

        Returns
        -------
        CModel
        """
        from .runtime import CModel

        flags = ("-O2",) if cflags is None else tuple(cflags)
        return CModel(Path(path).with_suffix(".c"), flags, cc)
