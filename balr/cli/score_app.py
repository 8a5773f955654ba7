"""The `score_train` and `score_test` Hydra apps: turn the config into a scoring run.

What the runs do lives in `balr.scoring.commands`; this module reads the datasets and the
scorer the config names and hands them over.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import hydra
import numpy as np
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig, OmegaConf

from balr.cli.errors import report
from balr.cli.instantiate import build
from balr.config.scoring import SCORER_ONLY_KEYS
from balr.config.store import register_configs
from balr.errors import BalrError, ConfigError
from balr.report.build import reference_facts
from balr.scoring.commands import Bits, TestOptions, check_declared_width
from balr.scoring.commands.crossval import CrossValOptions

if TYPE_CHECKING:
    from balr.scoring.commands.inputs import AnyScorer, Embeddings, ScoringInput

register_configs()
log = logging.getLogger("balr.score")

# The form of an explicit scorer choice for a BA-LR 2.0 scorer.pt.
_SCORER_HELP = (
    "give --scorer RUN_DIR (a `balr score train` run) or scorer=NAME"
    " scorer.checkpoint_path=scorer.pt"
)


def load_bits(cfg: DictConfig, *, require_speakers: bool, path: str | None = None) -> Bits:
    """cfg.input's binary attributes (or those of `path`, read like cfg.input).

    The attributes are read, or computed in memory by cfg.encoder.model when it is set.
    """
    from balr.scoring.conditions import conditions_of
    from balr.scoring.distinct import recording_numbers

    node = cfg.input if path is None else OmegaConf.merge(cfg.input, {"path": path})
    dataset = build(node, "input" if path is None else "val_data")
    if cfg.encoder.model.get("checkpoint_path") is None:
        from balr.data.attributes import load_attribute_table

        table = load_attribute_table(dataset, require_speakers=require_speakers)
        bits = np.ascontiguousarray(table.bits, dtype=np.uint8)
        data = Bits(dataset.name, table.ids, bits, table.labels, table.speakers)
    else:
        data = _binarised(cfg, dataset, require_speakers)
    data.conditions = conditions_of(dataset.iter_dicts())
    data.same = recording_numbers(dataset)
    return data


def load_input(
    cfg: DictConfig, embeddings: bool, *, require_speakers: bool, path: str | None = None
) -> ScoringInput:
    """cfg.input's embeddings (for cosine, plda) or binary attributes (`load_bits`)."""
    if not embeddings:
        data = load_bits(cfg, require_speakers=require_speakers, path=path)
        check_declared_width(data, _declared_width(cfg))
        return data
    if cfg.encoder.model.get("checkpoint_path") is not None:
        raise ConfigError(
            "encoder.model.checkpoint_path binarises the embeddings, but cosine and plda score"
            " embeddings: drop encoder.model.checkpoint_path"
        )
    return load_embeddings(cfg, require_speakers=require_speakers, path=path)


def load_embeddings(
    cfg: DictConfig, *, require_speakers: bool, path: str | None = None
) -> Embeddings:
    """cfg.input's embeddings (or those of `path`, read like cfg.input), never binarised."""
    from balr.scoring.commands.inputs import read_embeddings

    node = cfg.input if path is None else OmegaConf.merge(cfg.input, {"path": path})
    dataset = build(node, "input" if path is None else "val_data")
    return read_embeddings(dataset, require_speakers=require_speakers)


def _declared_width(cfg: DictConfig) -> int | None:
    """BA-LR 2.0's scorer.n_attributes when set."""
    return cfg.scorer.get("n_attributes") if cfg.get("scorer") else None


def _binarised(cfg: DictConfig, dataset: Any, require_speakers: bool) -> Bits:
    import torch

    from balr.data.table import load_embedding_table
    from balr.training.devices import resolve_device

    encoder = build(cfg.encoder.model, "encoder.model", device=str(resolve_device(cfg.device)))
    table = load_embedding_table(dataset, require_speakers=require_speakers)
    if len(table):
        encoder.check_embedding_dim(table.dim, f"the embeddings of {dataset.name} have")
    with torch.inference_mode():
        bits = encoder.binarize_embeddings(table.embeddings).to("cpu", torch.uint8).numpy()
    log.info("binarised %d embeddings with %s", len(bits), encoder.checkpoint_path)
    return Bits(dataset.name, table.ids, bits, table.labels.numpy(), table.speakers)


def run_score_train(cfg: DictConfig, run_dir: Path) -> AnyScorer:
    """Fit cfg.scorer on cfg.input's speakers, save it into `run_dir`; return it."""
    from balr.scoring.commands import train_scorer

    if (cfg.val_data is None) != (cfg.val_trials is None):
        raise ConfigError("give both val_data=DATA and val_trials=TRIALS (or neither)")
    from balr.scoring.embedding import EmbeddingScorer

    make_scorer = functools.partial(build, cfg.scorer, "scorer", exclude=SCORER_ONLY_KEYS)
    embeddings = isinstance(make_scorer(), EmbeddingScorer)
    reference = load_input(cfg, embeddings, require_speakers=True)
    validation = None
    if cfg.val_data is not None:
        val = load_input(cfg, embeddings, require_speakers=False, path=cfg.val_data)
        validation = (val, Path(cfg.val_trials))
    facts = reference_facts(reference.name, cfg.reference_name)
    return train_scorer(make_scorer, reference, run_dir, facts, validation, _crossval(cfg))


def _crossval(cfg: DictConfig) -> CrossValOptions | None:
    """The cross-validated calibration of cfg.cv (None: cv.folds=0, none)."""
    cv = cfg.cv
    if int(cv.folds) == 0:
        return None
    return CrossValOptions(int(cv.folds), int(cv.seed), int(cv.max_pairs), cv.method, cv.bounds)


def load_test_scorer(
    cfg: DictConfig, chosen: str | None, keys: Sequence[str] = ()
) -> tuple[AnyScorer, str]:
    """The scorer to test and where it came from.

    Args:
        cfg: the score_test config.
        chosen: an explicit scorer=NAME, else None.
        keys: the scorer.KEY settings given on the command line: they configure a BA-LR
            2.0 scorer.pt and must match a balr scorer's (never silently ignored).
    """
    from balr.scoring import load_any_scorer, load_scorer

    settings = {key: cfg.scorer[key] for key in keys} if cfg.get("scorer") else {}
    checkpoint = cfg.scorer.get("checkpoint_path") if cfg.get("scorer") else None
    if cfg.scorer_dir is not None:
        where = Path(cfg.scorer_dir)
        return load_any_scorer(where, kind=chosen, settings=settings), str(where)
    if checkpoint is not None:
        where = Path(checkpoint)
        # BA-LR 2.0 users name the type; its default scorer is beta.
        kind = chosen or ("beta" if where.suffix == ".pt" else None)
        return load_scorer(where, kind=kind, settings=settings), str(where)
    raise ConfigError(f"no scorer to test: {_SCORER_HELP}")


def options_of(cfg: DictConfig, raw: str = "raw LLRs") -> TestOptions:
    """The score_test options of the config (the calibration chosen and read); `raw` says
    what the scorer's uncalibrated output is, for the log."""
    from balr.scoring.commands.calibration_choice import choose_calibration

    uncalibrated = bool(cfg.uncalibrated)
    chosen = choose_calibration(cfg.calibration, cfg.scorer_dir, uncalibrated, raw)
    log.info("calibration: %s", chosen.why)
    force = bool(cfg.get("force_calibration", False))
    return TestOptions(chosen.calibration, chosen.path, int(cfg.explain), bool(cfg.plots), force)


def run_score_test(
    cfg: DictConfig, run_dir: Path, chosen: str | None, keys: Sequence[str] = ()
) -> dict[str, Any]:
    """Score cfg.trials over cfg.input; write the outputs into `run_dir`; return the summary.

    `chosen` and `keys`: an explicit scorer=NAME and scorer.KEY settings (`load_test_scorer`).
    """
    from balr.scoring.commands import score_test
    from balr.scoring.commands.inputs import raw_kind
    from balr.scoring.embedding import EmbeddingScorer

    if cfg.get("fusion") is not None:
        return run_fused_test(cfg, run_dir)
    scorer, where = load_test_scorer(cfg, chosen, keys)
    options = options_of(cfg, raw_kind(scorer))
    data = load_input(cfg, isinstance(scorer, EmbeddingScorer), require_speakers=False)
    return score_test(scorer, where, data, Path(cfg.trials), run_dir, options)


def run_fused_test(cfg: DictConfig, run_dir: Path) -> dict[str, Any]:
    """`balr score test --fusion`: every system of cfg.fusion scores cfg.trials, then fused."""
    from balr.evaluation.fusion import Fusion, FusionError
    from balr.scoring import load_any_scorer
    from balr.scoring.commands.fused import score_fused

    path = Path(cfg.fusion)
    if cfg.scorer_dir is not None or cfg.calibration is not None:
        raise ConfigError("--fusion names its systems' scorers: drop --scorer and --calibration")
    if cfg.explain or cfg.plots:
        raise ConfigError(
            "--fusion writes the fused scores.tsv and metrics.json: drop --explain and --plots"
            " (balr compare --fusion explains one comparison system by system)"
        )
    fusion = Fusion.load(path)
    systems = []
    for system in fusion.systems:
        if system.scorer is None:
            raise FusionError(
                f"{path}: system {system.name!r} names no scorer run ('scorer'): fuse score"
                " files written by balr score test, or set its 'scorer' to the scorer run dir"
            )
        systems.append((load_any_scorer(Path(system.scorer)), system.scorer))
    cache: dict[bool, ScoringInput] = {}

    def inputs(embeddings: bool) -> ScoringInput:
        # Both families read DATA: embeddings as they are, attributes read or binarised.
        if embeddings not in cache:
            load = load_embeddings if embeddings else load_bits
            cache[embeddings] = load(cfg, require_speakers=False)
        return cache[embeddings]

    return score_fused(fusion, systems, inputs, Path(cfg.trials), run_dir)


@hydra.main(version_base="1.3", config_path=None, config_name="score_train")
def score_train_app(cfg: DictConfig) -> None:
    """Hydra entry point of `balr score train`."""
    run_dir = Path(HydraConfig.get().runtime.output_dir)
    try:
        run_score_train(cfg, run_dir)
    except BalrError as error:
        raise SystemExit(report(error)) from None


@hydra.main(version_base="1.3", config_path=None, config_name="score_test")
def score_test_app(cfg: DictConfig) -> None:
    """Hydra entry point of `balr score test`."""
    run_dir = Path(HydraConfig.get().runtime.output_dir)
    chosen = HydraConfig.get().runtime.choices.get("scorer")
    task = [o.lstrip("+~") for o in HydraConfig.get().overrides.task]
    explicit = any(o.startswith("scorer=") for o in task)
    # scorer.KEY settings typed by the user (checkpoint_path only says where the scorer is).
    keys = [o.split("=", 1)[0].removeprefix("scorer.") for o in task if o.startswith("scorer.")]
    keys = [k for k in keys if k not in SCORER_ONLY_KEYS]
    try:
        run_score_test(cfg, run_dir, chosen if explicit else None, keys)
    except BalrError as error:
        raise SystemExit(report(error)) from None
