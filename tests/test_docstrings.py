"""Every public callable documents its parameters (numpydoc ``Parameters`` section).

Public: the names in ``__all__`` of ``hardtarget`` and of its public subpackages, and the
public methods those classes define.  A class documents its constructor's parameters
(``Parameters``, or ``Attributes`` for a dataclass's fields).  Methods that override a
method of a class from outside hardtarget (``forward`` of ``torch.nn.Module``) keep that
class's contract and are not checked; inherited docstrings count.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect

import pytest
from numpydoc.docscrape import NumpyDocString

MODULES = [
    "hardtarget",
    "hardtarget.labels",
    "hardtarget.search",
    "hardtarget.units",
    "hardtarget.export",
    "hardtarget.registry",
    "hardtarget.params",
]
if importlib.util.find_spec("torch") is not None:
    MODULES += ["hardtarget.torch", "hardtarget.torch.baselines"]


def _documented(doc: str, sections: tuple[str, ...]) -> set[str]:
    parsed = NumpyDocString(doc)
    names = set()
    for section in sections:
        for param in parsed[section]:
            for name in param.name.split(","):
                names.add(name.strip().lstrip("*"))
    return names


def _parameters(fn) -> list[str]:
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return []
    return [p for p in sig.parameters if p not in ("self", "cls")]


def _foreign_override(cls: type, name: str) -> bool:
    return any(
        name in vars(base) and not base.__module__.startswith("hardtarget")
        for base in cls.__mro__[1:]
    )


def public_callables() -> list[tuple[str, object, list[str], tuple[str, ...]]]:
    """``(name, object, parameters, sections that may document them)`` for each one."""
    seen: set[int] = set()
    out = []
    for module in MODULES:
        mod = importlib.import_module(module)
        for name in mod.__all__:
            obj = getattr(mod, name)
            if inspect.ismodule(obj):  # ``hardtarget.export``: the module calls its function
                obj = getattr(obj, name)
            if not callable(obj) or id(obj) in seen or name.startswith("__"):
                continue
            seen.add(id(obj))
            if inspect.isclass(obj):
                if issubclass(obj, Exception):
                    continue
                init = (
                    obj.__init__
                    if "__init__" in vars(obj) or hasattr(obj, "__dataclass_fields__")
                    else None
                )
                params = _parameters(init) if init is not None else []
                out.append((f"{module}.{name}", obj, params, ("Parameters", "Attributes")))
                for meth_name, meth in vars(obj).items():
                    if meth_name.startswith("_") or _foreign_override(obj, meth_name):
                        continue
                    fn = meth.__func__ if isinstance(meth, (classmethod, staticmethod)) else meth
                    if not inspect.isfunction(fn):
                        continue
                    out.append(
                        (
                            f"{module}.{name}.{meth_name}",
                            getattr(obj, meth_name),
                            _parameters(fn),
                            ("Parameters",),
                        )
                    )
            else:
                out.append((f"{module}.{name}", obj, _parameters(obj), ("Parameters",)))
    return out


CALLABLES = public_callables()


def test_there_are_many_public_callables():
    assert len(CALLABLES) > 100


@pytest.mark.parametrize("name,obj,params,sections", CALLABLES, ids=[c[0] for c in CALLABLES])
def test_public_callable_documents_its_parameters(name, obj, params, sections):
    doc = inspect.getdoc(obj)
    assert doc, f"{name} has no docstring"
    missing = [p for p in params if p not in _documented(doc, sections)]
    assert not missing, f"{name}: parameters {missing} not in its numpydoc {sections[0]} section"
