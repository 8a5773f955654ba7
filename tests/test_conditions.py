"""Recording conditions: each step does what it says, measured on the signal it returns."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from balr.conditions import (
    Codec,
    Condition,
    ConditionError,
    Gain,
    NetSpeech,
    Noise,
    RecordingError,
    Reverb,
    Source,
    Telephone,
)
from balr.conditions.channel import gsm_full_rate
from balr.conditions.checks import resample
from balr.conditions.duration import voiced
from balr.conditions.noise import speech_power
from tests.extract_shared import shared_data

RATE = 16000


def white(seconds: float, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return (0.1 * rng.standard_normal(round(seconds * RATE))).astype(np.float32)


@pytest.fixture(scope="module")
def speech() -> np.ndarray:
    """One real utterance of the shared audio (~15 s)."""
    path = sorted((shared_data("librispeech-audio") / "val").glob("*.flac"))[0]
    wav, rate = sf.read(path, dtype="float32")
    assert rate == RATE
    return wav


def band_share(wav: np.ndarray, low_hz: float) -> float:
    """Share of the energy above `low_hz`."""
    power = np.abs(np.fft.rfft(wav)) ** 2
    freqs = np.fft.rfftfreq(len(wav), 1 / RATE)
    return float(power[freqs > low_hz].sum() / power.sum())


def test_telephone_keeps_less_than_one_percent_of_energy_above_4_khz() -> None:
    noise = white(2.0)
    assert band_share(noise, 4000) > 0.45
    phone = Condition("phone", [Telephone(300, 3400, 8000, "gsm")]).apply(noise, RATE, "r")
    assert len(phone) == len(noise)
    assert band_share(phone, 4000) < 0.01


def test_telephone_removes_the_band_below_300_hz() -> None:
    t = np.arange(RATE) / RATE
    hum = (0.3 * np.sin(2 * np.pi * 100 * t)).astype(np.float32)
    out = Condition("p", [Telephone(300, 3400, 8000, "none")]).apply(hum, RATE, "r")
    assert np.sqrt(np.mean(out[4000:] ** 2)) < 0.05 * np.sqrt(np.mean(hum**2))


def test_the_gsm_step_is_the_gsm_610_codec_alone(speech: np.ndarray) -> None:
    # libsndfile's GSM 6.10 is an independent build of the same codec: without an extra
    # filter around it, the two decode the same samples (to 16-bit rounding).
    narrow = resample(speech, RATE, 8000)
    ours = gsm_full_rate(narrow, 8000)
    buffer = io.BytesIO()
    sf.write(buffer, narrow, 8000, format="WAV", subtype="GSM610")
    buffer.seek(0)
    theirs = sf.read(buffer, dtype="float32")[0][: len(ours)]
    assert len(ours) == len(narrow)
    assert 10 * np.log10(np.sum(theirs**2) / np.sum((ours - theirs) ** 2)) > 40


@pytest.mark.parametrize("kind", ["white", "pink"])
def test_noise_is_added_at_the_target_snr_over_the_whole_signal(kind: str) -> None:
    clean = white(3.0, seed=1)
    step = Noise(kind, 7.5, measure="whole")
    noisy = Condition("n", [step]).apply(clean, RATE, "rec")
    added = noisy - clean
    snr = 10 * np.log10(np.mean(clean**2) / np.mean(added**2))
    assert abs(snr - 7.5) < 0.5


def test_pink_noise_falls_3_db_per_octave() -> None:
    step = Noise("pink", 0.0, measure="whole")
    noise = Condition("n", [step]).apply(np.ones(RATE * 4, np.float32), RATE, "r") - 1
    power = np.abs(np.fft.rfft(noise)) ** 2
    freqs = np.fft.rfftfreq(len(noise), 1 / RATE)
    octave_low = power[(freqs >= 500) & (freqs < 1000)].mean()
    octave_high = power[(freqs >= 1000) & (freqs < 2000)].mean()
    assert abs(10 * np.log10(octave_low / octave_high) - 3.0) < 0.5


def test_babble_snr_is_measured_on_active_speech(speech: np.ndarray, tmp_path: Path) -> None:
    sources = []
    for k in range(3):
        path = tmp_path / f"other{k}.flac"
        sf.write(path, np.roll(speech, 5000 * (k + 1)), RATE)
        sources.append(Source(f"o{k}", path, f"spk{k}"))
    condition = Condition("babble", [Noise("babble", 10.0, talkers=3)], sources=sources)
    noisy = condition.apply(speech, RATE, "target", "me")
    added = noisy - speech
    snr = 10 * np.log10(speech_power(speech, RATE) / np.mean(added**2))
    assert abs(snr - 10.0) < 0.5
    # Pauses do not count: over the whole signal the speech is weaker than its active level.
    assert 10 * np.log10(np.mean(speech**2) / np.mean(added**2)) < snr


def test_babble_without_other_speakers_is_a_recording_error(speech: np.ndarray) -> None:
    condition = Condition("b", [Noise("babble", 10.0)], sources=[Source("me1", Path("x"), "me")])
    with pytest.raises(RecordingError, match="other speakers") as error:
        condition.apply(speech, RATE, "rec", "me")
    # A flat folder of many speakers' files is one speaker (its name): the fix is named.
    assert "speaker 'me'" in str(error.value) and "speaker column" in str(error.value)


def test_net_speech_duration_is_exact_and_offsets_follow_the_seed(speech: np.ndarray) -> None:
    step = NetSpeech(5.0, random_offset=True)
    first = Condition("short", [step]).apply(speech, RATE, "a")
    assert len(first) == 5 * RATE
    # The 5 s come from the voice-active part of the recording.
    active = voiced(speech, RATE)
    starts = {
        Condition("s", [step], seed=s).apply(speech, RATE, "a")[:50].tobytes() for s in range(4)
    }
    assert len(starts) > 1
    assert first.tobytes() in active.tobytes()


def test_a_duration_longer_than_the_speech_is_a_recording_error(speech: np.ndarray) -> None:
    with pytest.raises(RecordingError, match="less than the condition's 60 s"):
        Condition("long", [NetSpeech(60.0)]).apply(speech, RATE, "a")


def decay(wav: np.ndarray, start: int) -> float:
    """Energy of the 200 ms after `start` relative to the 200 ms before it (dB)."""
    width = RATE // 5
    before = np.mean(wav[start - width : start] ** 2)
    after = np.mean(wav[start : start + width] ** 2)
    return float(10 * np.log10(after / before + 1e-30))


def test_reverberation_lengthens_the_decay() -> None:
    burst = np.zeros(RATE * 2, np.float32)
    burst[: RATE // 2] = white(0.5, seed=3)
    dry = decay(burst, RATE // 2)
    small = Condition("r", [Reverb((4.0, 3.0, 2.5), 0.3)]).apply(burst, RATE, "x")
    large = Condition("r", [Reverb((6.0, 5.0, 3.0), 0.7)]).apply(burst, RATE, "x")
    assert dry < -100
    assert -40 < decay(small, RATE // 2) < decay(large, RATE // 2) < 0


def test_mp3_changes_the_signal_but_keeps_it_aligned_and_speech_like(speech: np.ndarray) -> None:
    piece = speech[: 4 * RATE]
    coded = Condition("mp3", [Codec("mp3", 32)]).apply(piece, RATE, "a")
    assert len(coded) == len(piece)
    error = np.mean((coded - piece) ** 2) / np.mean(piece**2)
    assert 1e-4 < error < 0.2
    lags = range(-40, 41)
    best = max(lags, key=lambda lag: float(np.dot(np.roll(coded, lag), piece)))
    assert best == 0
    # 32 kbit/s at 16 kHz keeps the speech band (below 4 kHz) nearly whole.
    assert band_share(coded, 4000) < band_share(piece, 4000) + 0.01


def test_opus_at_16_kbits_writes_about_16_kbits(speech: np.ndarray) -> None:
    piece = speech[: 4 * RATE]
    codec = Codec("opus", 16)
    data = codec.encode(piece, RATE)
    assert abs(len(data) * 8 / 4.0 / 1000 - 16) < 3
    decoded = codec.decode(data, RATE, len(piece))
    assert np.corrcoef(decoded, piece)[0, 1] > 0.8


def test_gain_and_clipping_cap_the_peaks() -> None:
    loud = Condition("g", [Gain(20.0, clip_dbfs=-6.0)]).apply(white(0.5), RATE, "a")
    assert np.max(np.abs(loud)) == pytest.approx(10 ** (-6 / 20), rel=1e-3)


def test_conditions_compose_in_order(speech: np.ndarray) -> None:
    piece = speech[: 3 * RATE]
    noise, phone = Noise("white", 10.0), Telephone(300, 3400, 8000, "gsm")
    chained = Condition("phone_noisy", [noise, phone]).apply(piece, RATE, "id")
    by_hand = Condition("p", [phone]).apply(
        Condition("n", [noise]).apply(piece, RATE, "id"), RATE, "id"
    )
    assert np.array_equal(chained, by_hand)
    assert band_share(chained, 4000) < 0.01
    # The other order adds the white noise after the channel: its band comes back.
    reversed_order = Condition("noisy_phone", [phone, noise]).apply(piece, RATE, "id")
    assert band_share(reversed_order, 4000) > 0.05


def test_the_same_id_and_seed_give_the_same_samples_whatever_else_ran() -> None:
    steps = [Noise("pink", 5.0, measure="whole"), Reverb((5.0, 4.0, 3.0), 0.4)]
    wav = white(1.0, seed=9)
    first = Condition("c", steps, seed=3).apply(wav, RATE, "spk/rec-1")
    Condition("c", steps, seed=3).apply(white(1.0, seed=2), RATE, "other")
    again = Condition("c", steps, seed=3).apply(wav, RATE, "spk/rec-1")
    other_seed = Condition("c", steps, seed=4).apply(wav, RATE, "spk/rec-1")
    assert np.array_equal(first, again)
    assert not np.array_equal(first, other_seed)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: Noise("white", 70.0), "noise.snr_db=70: out of range"),
        (lambda: Noise("hiss", 10.0), "noise.kind='hiss': unknown value"),
        (lambda: Codec("opus", 500), "codec.kbps=500: out of range"),
        (lambda: Codec("mp3", 33), "MP3 bit rates are"),
        (lambda: Codec("aac", 32), "choose one of mp3, opus"),
        (lambda: Reverb((5.0, 4.0, 3.0), 2.5), "reflections of order"),
        (lambda: Telephone(300, 3400, 16000, "gsm"), "GSM codec runs at 8000 Hz"),
    ],
)
def test_out_of_range_parameters_are_one_line_errors(make: object, message: str) -> None:
    with pytest.raises(ConditionError, match=message):
        make()  # type: ignore[operator]


def test_a_noise_folder_without_readable_audio_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "broken.wav").write_bytes(b"not audio")
    with pytest.raises(ConditionError, match="no readable audio"):
        Noise("folder", 10.0, noise_dir=str(tmp_path))


def test_noise_from_a_folder_is_drawn_from_its_recordings(tmp_path: Path) -> None:
    sf.write(tmp_path / "hum.wav", white(0.3, seed=5), RATE)
    noisy = Condition("n", [Noise("folder", 0.0, "whole", noise_dir=str(tmp_path))]).apply(
        white(1.0), RATE, "r"
    )
    assert 10 * np.log10(np.mean(white(1.0) ** 2) / np.mean((noisy - white(1.0)) ** 2)) == (
        pytest.approx(0.0, abs=0.5)
    )


def test_measured_band_tells_telephone_audio_from_wideband(
    speech: np.ndarray, tmp_path: Path
) -> None:
    from balr.conditions.measure import measure

    phone = Condition("phone", [Telephone(300, 3400, 8000, "gsm")]).apply(speech, RATE, "a")
    sf.write(tmp_path / "wide.flac", speech, RATE)
    sf.write(tmp_path / "phone.flac", phone, RATE)
    wide, narrow = measure(tmp_path / "wide.flac"), measure(tmp_path / "phone.flac")
    assert not wide.narrow_band and wide.band_hz > 4000
    assert narrow.narrow_band and narrow.band_hz < 4000
    assert abs(wide.speech_seconds - len(voiced(speech, RATE)) / RATE) < 0.05


def test_a_case_condition_outside_the_calibration_data_is_a_warning() -> None:
    from balr.conditions.measure import mismatch

    assert mismatch(["phone"], ["phone", "clean"]) is None
    assert mismatch(["phone"], []) is None
    assert "differ from those of the calibration data (clean)" in str(
        mismatch(["phone"], ["clean"])
    )


def test_a_codec_missing_from_the_installed_library_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(sf, "available_subtypes", lambda fmt=None: {"VORBIS": "Vorbis"})
    with pytest.raises(ConditionError, match=r"cannot write Opus: `pip install -U soundfile`"):
        Codec("opus", 16)
