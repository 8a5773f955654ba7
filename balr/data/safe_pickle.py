"""A restricted unpickler that can only rebuild NumPy arrays.

Vector files of unknown origin may be ``.pkl`` files. A plain ``pickle.load``
would run whatever callable the file names; this unpickler resolves only the
few NumPy internals an array pickle needs, so any other pickle is refused
before anything in it runs.
"""

from __future__ import annotations

import io
import pickle
from typing import Any

import numpy as np

# (module, name) pairs an ndarray pickle refers to, from NumPy 1.x and 2.x writers.
_ALLOWED = {
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.numeric", "_frombuffer"),
    ("numpy._core.numeric", "_frombuffer"),
}


class UnsafePickleError(pickle.UnpicklingError):
    """The pickle refers to something other than the NumPy array machinery."""


class _ArrayUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in _ALLOWED:
            raise UnsafePickleError(
                f"refers to {module}.{name}, which is not part of a NumPy array"
            )
        if module.startswith("numpy.core."):
            # NumPy 2 moved numpy.core to numpy._core; resolve there to avoid its shim warning.
            module = "numpy._core." + module.removeprefix("numpy.core.")
        return super().find_class(module, name)

    def persistent_load(self, pid: Any) -> Any:
        raise UnsafePickleError("uses persistent ids, which a NumPy array pickle never does")


def load_array_pickle(data: bytes) -> np.ndarray:
    """Unpickle `data`, which must hold exactly one NumPy array.

    Raises:
        UnsafePickleError: the pickle needs anything but NumPy array internals.
        pickle.UnpicklingError, EOFError, ValueError: the bytes are not a valid pickle.
        TypeError: the pickle holds something other than an ndarray.
    """
    obj = _ArrayUnpickler(io.BytesIO(data)).load()
    if not isinstance(obj, np.ndarray):
        raise TypeError(f"holds a {type(obj).__name__}, not a NumPy array")
    return obj
