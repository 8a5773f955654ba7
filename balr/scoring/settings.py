"""A scorer's settings: its constructor arguments, shared by both scorer families.

Below `balr.scoring.base` and `balr.scoring.embedding`, which both mix it in, so either
kind of scorer reports and checks its settings the same way.
"""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any, ClassVar


class Settings:
    """Mixin: the constructor arguments of a scorer are its settings (scorer.json keeps them)."""

    name: ClassVar[str]

    def hyperparameters(self) -> dict[str, Any]:
        """Every constructor argument with its current value (what scorer.json stores)."""
        names = [p for p in inspect.signature(type(self).__init__).parameters if p != "self"]
        return {name: getattr(self, name) for name in names}

    def __repr__(self) -> str:
        settings = ", ".join(f"{k}={v!r}" for k, v in self.hyperparameters().items())
        return f"{type(self).__name__}({settings})"

    def settings_mismatch(self, settings: dict[str, Any], path: Path) -> str | None:
        """Why `settings` (asked for by the user) do not fit this loaded scorer, or None."""
        stored = self.hyperparameters()
        for key, value in settings.items():
            if key not in stored:
                return f"{path}: a {self.name} scorer has no setting {key!r}"
            if stored[key] != value:
                return (
                    f"{path}: the scorer was fitted with {key}={stored[key]!r}, not {value!r}:"
                    f" drop scorer.{key}, or refit with balr score train REF"
                    f" scorer={self.name} scorer.{key}={value}"
                )
        return None
