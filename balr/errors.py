"""Errors a user can cause and fix.

Every message names the file, row or config key at fault and says what to do.
The CLI prints them on one line and exits with status 2.
"""

from __future__ import annotations


class BalrError(Exception):
    """Base class of every user-fixable error raised by balr."""


class DatasetError(BalrError):
    """A dataset path, CSV file or its content is unusable."""


class VectorFileError(DatasetError):
    """A vector file (.txt, .npy, .pkl) is missing, unreadable or malformed."""


class ConfigError(BalrError):
    """A configuration value is invalid."""


class CheckpointError(BalrError):
    """A checkpoint file is missing, corrupt or does not fit the model."""


class DeviceError(BalrError):
    """A requested device is not available."""


class RunDirError(BalrError):
    """A run directory cannot be created or used."""


class CalibrationError(BalrError):
    """A calibration file is missing, unreadable or malformed."""
