"""The `compare` Hydra app: one comparison explained as a case report."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import hydra
import numpy as np
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig

from balr.cli.errors import report
from balr.cli.instantiate import build
from balr.config.store import register_configs
from balr.data.guard import sha256_of
from balr.errors import BalrError, ConfigError, DatasetError
from balr.report import Case, calibration_info, case_from_scorer, scorer_info, write_report
from balr.report.build import read_labelled_scores
from balr.report.calibration_text import bounds_text, clipped_sentence, data_text, method_text
from balr.report.case import LN10, Recording
from balr.report.inputs import Encoders, check_distinct, load_side
from balr.report.text import lr_text

if TYPE_CHECKING:
    from balr.scoring.base import Scorer
    from balr.scoring.commands.calibration_choice import ChosenCalibration

register_configs()
log = logging.getLogger("balr.compare")


def run_compare(cfg: DictConfig, run_dir: Path) -> Case:
    """Score cfg.enrollment vs cfg.test with the scorer of cfg.scorer_dir; write the report."""
    from balr.report.conditions import check_names
    from balr.scoring import load_scorer
    from balr.scoring.io import scorer_file_digests

    check_names("condition_enrollment", cfg.condition_enrollment)
    check_names("condition_test", cfg.condition_test)
    scorer_path = Path(cfg.scorer_dir)
    scorer = load_scorer(scorer_path)
    folder = scorer_path if scorer_path.is_dir() else scorer_path.parent
    chosen = _calibration(cfg, folder, scorer)
    models: list[Recording] = []
    extract = _memo(_extractor(cfg, models))  # a fusion's embedding systems embed audio too
    encoders = Encoders(_binarizer(cfg, models), extract, int(scorer.n_attributes))
    dataset = None
    if cfg.data:
        from balr.data import AudioDataset

        dataset = AudioDataset.from_path(cfg.data)
    check_distinct(list(cfg.enrollment), list(cfg.test), dataset)
    enrollment = load_side("enrollment", list(cfg.enrollment), encoders, dataset)
    test = load_side("test", list(cfg.test), encoders, dataset)
    info = scorer_info(scorer_path, scorer, *scorer_file_digests(scorer_path))
    if cfg.get("fusion"):  # the fusion is the calibration (chosen.why would say none)
        log.info("calibration: the fusion %s (--fusion), with its ELUB bounds", cfg.fusion)
    else:
        log.info("calibration: %s", chosen.why)
    calibration = None
    if chosen.calibration is not None and chosen.path is not None:
        calibration = calibration_info(chosen.calibration, chosen.path, sha256_of(chosen.path))
    labelled = None if cfg.get("fusion") else _labelled(cfg, folder, chosen.path)
    case = case_from_scorer(
        scorer, info, enrollment, test, calibration, labelled, chosen.calibration
    )
    case.models = models
    if cfg.get("fusion"):
        _fuse(cfg, case, scorer_path, extract, dataset)
    _add_conditions(cfg, case, folder)
    paths = write_report(case, run_dir, int(cfg.top))
    print_summary(case, int(cfg.top))
    log.info("case report written to %s", paths["report.html"])
    return case


def _memo(extract: Callable[[Path], np.ndarray]) -> Callable[[Path], np.ndarray]:
    """`extract`, each audio file embedded once however often it is asked for."""
    done: dict[Path, np.ndarray] = {}

    def once(path: Path) -> np.ndarray:
        if path not in done:
            done[path] = extract(path)
        return done[path]

    return once


def _fuse(
    cfg: DictConfig,
    case: Case,
    scorer_path: Path,
    extract: Callable[[Path], np.ndarray],
    dataset: Any,
) -> None:
    """Make the case's LR cfg.fusion's fusion of the BA-LR scorer with embedding scorers."""
    from balr.evaluation.fusion import Fusion
    from balr.report.fused import apply_fusion, side_embeddings, split_systems, system_scores

    path = Path(cfg.fusion)
    fusion = Fusion.load(path)
    balr_name, others = split_systems(fusion, path, scorer_path)
    scores: dict[str, float] = {}
    if others:
        enrollment = side_embeddings("enrollment", list(cfg.enrollment), extract, dataset)
        test = side_embeddings("test", list(cfg.test), extract, dataset)
        scores = system_scores(others, enrollment, test)
    apply_fusion(case, fusion, path, balr_name, scores)
    parts = {**scores, balr_name: case.llr_raw}
    shown = ", ".join(f"{s.name} {s.weight * parts[s.name] / LN10:+.2f}" for s in fusion.systems)
    log.info("fused LR: log10 parts %s, offset %+.2f", shown, fusion.offset / LN10)


def _add_conditions(cfg: DictConfig, case: Case, folder: Path) -> None:
    """The case's and the calibration data's recording conditions: recorded, and a warning
    (in the report's caveats and on the terminal) when they differ."""
    from dataclasses import asdict

    from balr.report.conditions import case_conditions

    given = (cfg.condition_enrollment, cfg.condition_test)
    found = case_conditions(given, (case.enrollment, case.test), folder, case.calibration)
    case.conditions = asdict(found)
    case.notes += found.sentences()
    if found.warning:
        log.warning("%s", found.warning)


def _calibration(cfg: DictConfig, folder: Path, scorer: Scorer) -> ChosenCalibration:
    """--calibration, else the scorer run's own calibration.json, else none (--uncalibrated:
    none); refused when it was fitted for another scorer (unless --force-calibration)."""
    from balr.scoring.commands.calibration_choice import choose_calibration
    from balr.scoring.commands.inputs import raw_kind
    from balr.scoring.io import scorer_digest

    if cfg.get("fusion") and cfg.calibration:
        raise ConfigError("--fusion is the calibration of the fused LR: drop --calibration")
    uncalibrated = bool(cfg.uncalibrated) or bool(cfg.get("fusion"))
    # The text comes from the scorer (always BA-LR LLRs today: load_scorer refuses cosine).
    chosen = choose_calibration(cfg.calibration, folder, uncalibrated, raw_kind(scorer))
    if chosen.calibration is not None:
        chosen.calibration.check_scorer(scorer_digest(folder), bool(cfg.force_calibration))
    return chosen


def _labelled(
    cfg: DictConfig, folder: Path, calibration: Path | None
) -> tuple[np.ndarray, np.ndarray, str, bool] | None:
    """Labelled raw LLRs to place the case among: --scores, beside --calibration, the run's
    validation scores, else the out-of-fold scores its own calibration was fitted on."""
    candidates: list[tuple[Path, bool]] = []
    if cfg.scores:
        candidates.append((Path(cfg.scores), False))
    elif cfg.calibration:
        candidates.append((Path(cfg.calibration).absolute().parent / "scores.tsv", True))
    candidates.append((folder / "scores.tsv", False))
    own = calibration is not None and calibration.absolute().parent == folder.absolute()
    candidates.append((folder / "cv_scores.tsv", own))
    for path, same in candidates:
        if not path.is_file():
            continue
        found = read_labelled_scores(path)
        if found is not None:
            return found[0], found[1], str(path.absolute()), same
        log.warning("%s has no labelled same- and different-speaker scores; not used", path)
    return None


def _model(name: str, path: str | Path) -> Recording:
    """A model file as the report lists it (with its sha256)."""
    path = Path(path).absolute()
    return Recording(name, "model", str(path), sha256_of(path))


def _binarizer(cfg: DictConfig, used: list[Recording]) -> Callable[[np.ndarray], np.ndarray] | None:
    """Embeddings -> 0/1 rows by cfg.encoder.model, loaded on first use; None when unset.

    The model file is added to `used` when it is loaded.
    """
    if cfg.encoder.model.get("checkpoint_path") is None:
        return None
    models: list = []

    def binarise(embeddings: np.ndarray) -> np.ndarray:
        import torch

        if not models:
            models.append(build(cfg.encoder.model, "encoder.model", device=str(cfg.device)))
            used.append(_model("binary-attribute encoder", models[0].checkpoint_path))
        model = models[0]
        model.check_embedding_dim(embeddings.shape[1], "an embedding has")
        with torch.inference_mode():
            bits = model.binarize_embeddings(torch.from_numpy(embeddings.astype(np.float32)))
        return bits.to("cpu", torch.uint8).numpy()

    return binarise


def _extractor(cfg: DictConfig, used: list[Recording]) -> Callable[[Path], np.ndarray]:
    """Audio file -> embeddings [m, D] (m segments, or 1), the encoder loaded on first use.

    The encoder's weights file is added to `used` when it is loaded.
    """
    encoders: list = []

    def extract(path: Path) -> np.ndarray:
        from balr.extract import AudioError, read_audio, split_segments
        from balr.extract.ge2e import WEIGHTS

        if not encoders:
            encoders.append(build(cfg.extractor, "extractor"))
            weights = cfg.extractor.get("weights") or cfg.extractor.get("path") or WEIGHTS
            used.append(_model(f"speaker encoder {encoders[0].name}", weights))
        encoder = encoders[0]
        try:
            wav = encoder.prepare(read_audio(path, encoder.sample_rate))
        except AudioError as error:
            message = str(error)
            raise AudioError(message if str(path) in message else f"{path}: {message}") from None
        pieces = [wav]
        if cfg.segments:
            pieces = split_segments(wav, encoder.sample_rate, float(cfg.segments))
            if not pieces:
                raise DatasetError(f"{path}: shorter than one segment of {cfg.segments} s")
        log.info("%s: %d embedding(s) from %.1f s of speech", path, len(pieces),
                 len(wav) / encoder.sample_rate)  # fmt: skip
        return np.asarray(encoder.embed(pieces), dtype=np.float32)

    return extract


def print_summary(case: Case, top: int) -> None:
    """log10 LR, verbal category and the top attributes, as a rich table on stdout."""
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    console = Console()
    c = case.calibration
    calibrated = "NOT calibrated" if c is None else "calibrated"
    if case.clipped:
        calibrated += ", bounded"
    console.print(
        f"[bold]log10 LR = {case.log10_lr:+.2f}[/bold] (LR = {lr_text(case.log10_lr)},"
        f" {calibrated}): {case.verbal.phrase} [dim]({len(case.enrollment)} enrollment vs"
        f" {len(case.test)} test recordings, scorer {case.scorer.name}, reference"
        f" {escape(case.scorer.reference)})[/dim]",
        highlight=False,
    )
    if case.clipped:
        console.print(f"[bold]Bounded:[/bold] {escape(clipped_sentence(case))}", highlight=False)
    if c is not None:
        console.print(
            f"calibration: {method_text(c)}, fitted on {escape(data_text(c))}; bounds:"
            f" {escape(bounds_text(c))} [dim]({escape(c.path)})[/dim]",
            highlight=False,
        )
    if case.fusion is not None:
        parts = ", ".join(f"{s['name']} {s['part'] / LN10:+.2f}" for s in case.fusion["systems"])
        offset = case.fusion["offset"] / LN10
        console.print(f"fused: log10 parts {parts}, offset {offset:+.2f}", highlight=False)
    n_up, up, n_down, down = case.balance()
    console.print(
        f"{n_up} attributes push towards the same speaker (log10 sum {up:+.2f}), {n_down}"
        f" towards different speakers ({down:+.2f}); raw log10 LR {case.llr_raw / LN10:+.2f}",
        highlight=False,
    )
    table = Table(title=f"Largest {top} contributions each way (raw, log10)", title_justify="left")
    for name in ("attribute", "case", "enroll", "test", "log10 part", "ref. speakers"):
        table.add_column(name, justify="left" if name == "case" else "right", no_wrap=True)
    for row in case.largest(top):
        share = "n/a" if row.speaker_share is None else f"{100 * row.speaker_share:.1f} %"
        table.add_row(
            str(row.index),
            row.case,
            f"{row.enroll_active}/{row.enroll_total}",
            f"{row.test_active}/{row.test_total}",
            f"{row.log10_contribution:+.3f}",
            share,
        )
    console.print(table)


@hydra.main(version_base="1.3", config_path=None, config_name="compare")
def compare_app(cfg: DictConfig) -> None:
    """Hydra entry point of `balr compare`."""
    run_dir = Path(HydraConfig.get().runtime.output_dir)
    try:
        run_compare(cfg, run_dir)
    except BalrError as error:
        raise SystemExit(report(error)) from None
