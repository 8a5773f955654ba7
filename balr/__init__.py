"""balr: binary-attribute speaker representations for explainable forensic speaker recognition."""

from balr.errors import BalrError

__version__ = "0.1.0"

__all__ = ["BalrError", "__version__"]
