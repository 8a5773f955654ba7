"""What both scorer families share: their error, their settings, the fitted check.

Below `balr.scoring.base` and `balr.scoring.embedding`, which both mix `Settings` in, so
either kind of scorer reports and checks its settings the same way.
"""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any, ClassVar

from balr.errors import BalrError


class ScorerError(BalrError):
    """A scorer is unfitted, misused, or its files are unusable."""


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

    @property
    def fitted(self) -> bool:
        """True once the scorer can score (fitted or loaded)."""
        raise NotImplementedError

    def check_fitted(self) -> None:
        """ScorerError unless the scorer is fitted."""
        if not self.fitted:
            raise ScorerError(
                f"the {self.name} scorer is not fitted: fit it on a reference or load a saved one"
            )

    def check_settings(self, settings: dict[str, Any], path: Path) -> None:
        """ScorerError when `settings` (asked for by the user) differ from this loaded
        scorer's."""
        stored = self.hyperparameters()
        for key, value in settings.items():
            if key not in stored:
                raise ScorerError(f"{path}: a {self.name} scorer has no setting {key!r}")
            if stored[key] != value:
                raise ScorerError(
                    f"{path}: the scorer was fitted with {key}={stored[key]!r}, not {value!r}:"
                    f" drop scorer.{key}, or refit with balr score train REF"
                    f" scorer={self.name} scorer.{key}={value}"
                )
