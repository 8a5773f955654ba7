"""Recording conditions: what a telephone, a codec, noise, a room or a short duration do to audio.

A `Condition` is a named chain of steps, each a callable on float32 mono samples:
`Telephone`, `Codec`, `Noise`, `Reverb`, `Gain`, `NetSpeech`. The CLI builds them from
the `condition` config group (balr/config/conditions.py); in Python::

    from balr.conditions import Condition, Noise, Telephone
    steps = [Noise("white", 10.0), Telephone(300, 3400, 8000, "gsm")]
    noisy_phone = Condition("phone_noisy", steps)
    degraded = noisy_phone.apply(wav, 16000, recording_id="1234-5678-0001")
"""

from __future__ import annotations

from balr.conditions.chain import Condition, Context, Source, Step, recording_seed
from balr.conditions.channel import Codec, Gain, Telephone
from balr.conditions.checks import ConditionError, RecordingError
from balr.conditions.duration import NetSpeech
from balr.conditions.noise import Noise
from balr.conditions.room import Reverb

__all__ = [
    "Codec",
    "Condition",
    "ConditionError",
    "Context",
    "Gain",
    "NetSpeech",
    "Noise",
    "RecordingError",
    "Reverb",
    "Source",
    "Step",
    "Telephone",
    "recording_seed",
]
