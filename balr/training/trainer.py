"""BinaryAttributeEncoderTrainer: the whole training of a binary-attribute autoencoder."""

from __future__ import annotations

import logging
import math
import os
import signal
import time
from pathlib import Path
from typing import Any

import torch
import torch.distributed as dist
from torch import nn

from balr.config.data import DataConfig
from balr.config.validate import MONITOR_KEYS, MONITORS, validate_data_config
from balr.data import AudioDataset
from balr.data.table import EmbeddingTable, load_embedding_table
from balr.errors import CheckpointError, ConfigError, DatasetError
from balr.logs import run_log_file
from balr.losses import BaseAutoEncoderLoss
from balr.models import AutoEncoder
from balr.models.init import MODEL_INITS, init_hyperplane_hash
from balr.samplers import NxMSampler, build_sampler
from balr.training import distributed as ddp
from balr.training.checkpoint import (
    capture_rng_state,
    load_checkpoint,
    restore_rng_state,
    save_checkpoint,
    seed_everything,
)
from balr.training.curves import TensorBoardSink, plot_curves
from balr.training.devices import device_for_rank, resolve_device
from balr.training.gather import HostStagedGather
from balr.training.llr_probe import LLRProbe
from balr.training.metrics_log import MetricsLog
from balr.training.module import TrainingModule
from balr.training.options import TrainerOptions
from balr.training.progress import EpochProgress, format_losses
from balr.training.run_dir import claim_run_dir
from balr.training.signals import StopRequest, TrainingInterrupted
from balr.training.summary import write_summary
from balr.training.validation import Validator

log = logging.getLogger("balr.train")

# Under DDP the ranks agree on a stop request every this many steps (and at an epoch's end).
STOP_CHECK_STEPS = 10


class BinaryAttributeEncoderTrainer:
    """Trains an AutoEncoder whose binarised latent gives binary speaker attributes.

    Args:
        train: the training dataset (every row needs an embedding and a speaker).
        val: the validation dataset (other speakers).
        data_config: batch geometry, sampler and loading settings.
        loss_funcs: the losses; the total is the sum of weight * loss.
        input_dim: embedding dimension.
        internal_dim: number of binary attributes.
        learning_rate: Adam learning rate.
        epochs: number of epochs.
        seed: seed of Python, NumPy, torch and the samplers.
        save_dir: run directory; None claims runs/train, runs/train2, ...
        save_period: save epoch<N>.pt every this many epochs (0: never).
        log_period: log train metrics every this many epochs (0: only at validations).
        val_period: validate every this many epochs (0: only after the last one).
        device: cpu, cuda, cuda:N, N or mps (or cuda:0,1 under torchrun).
        **kwargs: TrainerOptions (monitor, model, init, resume, compile, val_max_pairs,
            val_scorer_speakers, verbose, run_config); an unknown name is a ConfigError.
    """

    def __init__(
        self,
        train: AudioDataset,
        val: AudioDataset,
        data_config: DataConfig,
        loss_funcs: list[BaseAutoEncoderLoss],
        input_dim: int = 256,
        internal_dim: int = 512,
        learning_rate: float = 0.001,
        epochs: int = 100,
        seed: int = 1234,
        save_dir: Path | None = None,
        save_period: int = 0,
        log_period: int = 2,
        val_period: int = 10,
        device: str | torch.device = "cpu",
        **kwargs: Any,
    ):
        self.options = TrainerOptions.from_kwargs(kwargs)
        _check_arguments(epochs, learning_rate, save_period, log_period, val_period, loss_funcs)
        if self.options.monitor not in MONITORS:
            raise ConfigError(f"trainer.monitor={self.options.monitor!r}: choose one of {MONITORS}")
        if self.options.val_scorer_speakers < 0:
            raise ConfigError(
                f"trainer.val_scorer_speakers={self.options.val_scorer_speakers} is invalid:"
                " it must be >= 0 (0 turns the val LLR metrics off)"
            )
        if self.options.monitor == "val_cllr_min" and self.options.val_scorer_speakers == 0:
            raise ConfigError(
                "trainer.monitor=val_cllr_min needs trainer.val_scorer_speakers > 0"
                " (e.g. 500), or monitor val_eer"
            )
        if self.options.init not in MODEL_INITS:
            raise ConfigError(f"trainer.init={self.options.init!r}: choose one of {MODEL_INITS}")
        validate_data_config(data_config)
        self.train_dataset, self.val_dataset = train, val
        self.data_config = data_config
        self.loss_funcs = list(loss_funcs)
        self.input_dim, self.internal_dim = input_dim, internal_dim
        self.learning_rate, self.epochs, self.seed = learning_rate, epochs, seed
        self.save_dir = Path(save_dir).absolute() if save_dir is not None else None
        self.save_period, self.log_period, self.val_period = save_period, log_period, val_period
        self.ctx = _current_context()
        self.device = resolve_device(device_for_rank(str(device), self.ctx.local_rank))
        self.is_main = self.ctx.is_main
        self.completed_epochs = 0
        self.best: dict[str, Any] = {"epoch": None, "value": None, "metrics": {}}
        self.last_metrics: dict[str, dict[str, float]] = {}
        self.train_seconds = 0.0
        self._resume_step = 0
        self._resume_sums: torch.Tensor | None = None
        self._host_gather: HostStagedGather | None = None

    # ------------------------------------------------------------------ setup
    def setup(self) -> None:
        """Load data, build model, losses, optimizer, sampler and validator; resume if asked."""
        seed_everything(self.seed)
        _use_all_cores(self.device, self.ctx)
        self.train_table = self._load_table(self.train_dataset)
        self.val_table = self._load_table(self.val_dataset)
        self._check_data()
        self.sampler = self._build_sampler()
        self.model = (self.options.model or AutoEncoder(self.input_dim, self.internal_dim)).to(
            self.device
        )
        if self.options.init == "hyperplane" and isinstance(self.model, AutoEncoder):
            init_hyperplane_hash(self.model, self.train_table.embeddings, self.seed)
        for loss in self.loss_funcs:
            loss.setup(
                input_dim=self.input_dim,
                internal_dim=self.internal_dim,
                nb_train_classes=self.train_table.num_speakers,
                M_samples_per_class=self.data_config.M_samples_per_class,
                seed=self.seed,
            )
        self.module = TrainingModule(self.model, self.loss_funcs).to(self.device)
        self.weights = torch.tensor([float(f.weight) for f in self.loss_funcs], device=self.device)
        self.optimizer = torch.optim.Adam(self.module.parameters(), lr=self.learning_rate)
        self.step_module: nn.Module = self._wrap(self.module)
        self.train_x, self.train_y = self._place(self.train_table)
        self.validator = Validator(
            self.val_table,
            self.loss_funcs,
            self.data_config.N_classes_per_batch,
            self.data_config.M_samples_per_class,
            self.device,
            trials_path=self.data_config.val_trials,
            max_pairs=self.options.val_max_pairs,
            seed=self.seed,
            probe=self._build_probe(),
        )
        self._monitor_without_trials()
        self._setup_run_dir()
        self.metrics = MetricsLog(self._file("metrics.csv"), self._metric_columns())
        if self.options.resume is not None:
            self.load_checkpoint(self.options.resume)
        # After the resume: a checkpoint that fails to load must leave no event file behind.
        self.tensorboard = TensorBoardSink(self.save_dir if self.is_main else None)

    def _monitor_without_trials(self) -> None:
        """A val set without trials (one recording per speaker) can only be monitored by loss."""
        if self.validator.trials is not None or self.options.monitor == "val_loss":
            return
        if not self.validator.losses:
            raise ConfigError(
                f"trainer.monitor={self.options.monitor}: the val set gives no speaker trials"
                " and arcface alone defines no val loss: give val speakers 2 or more samples"
                " (or data.val_trials=FILE), or add mse to trainer.losses"
            )
        log.warning(
            "trainer.monitor=%s needs val trials: best.pt follows val_loss", self.options.monitor
        )
        self.options.monitor = "val_loss"

    def _build_probe(self) -> LLRProbe | None:
        """The val LLR metrics' scorer reference: a fixed subset of the train speakers."""
        if self.options.val_scorer_speakers == 0:
            return None
        probe = LLRProbe(
            self.train_table.embeddings,
            self.train_table.labels.numpy(),
            self.options.val_scorer_speakers,
            self.seed,
        )
        log.info(
            "val LLR metrics: the beta scorer is fitted on %d train recordings of %d speakers",
            probe.rows.size,
            probe.n_speakers,
        )
        return probe

    def _load_table(self, dataset: AudioDataset) -> EmbeddingTable:
        return load_embedding_table(
            dataset,
            require_speakers=True,
            num_workers=self.data_config.num_workers,
            cache_dir=self.data_config.cache_dir,
            use_cache=self.data_config.use_cache,
            progress=self.is_main and self.options.verbose,
        )

    def _check_data(self) -> None:
        for split, table in (("train", self.train_table), ("val", self.val_table)):
            if len(table) == 0:
                raise DatasetError(f"the {split} dataset has no sample with an embedding")
            if table.dim != self.input_dim:
                # A resumed model keeps its input size: changing input_dim cannot help there.
                fix = (
                    "resume with the run's own trainer.input_dim and data of that dimension"
                    if self.options.resume is not None
                    else f"set trainer.input_dim={table.dim}"
                )
                raise ConfigError(
                    f"trainer.input_dim={self.input_dim} but the {split} embeddings have"
                    f" {table.dim} dimensions: {fix}"
                )
        n = self.data_config.N_classes_per_batch
        if self.train_table.num_speakers < n:
            raise ConfigError(
                f"data.N_classes_per_batch={n} but the train dataset has only"
                f" {self.train_table.num_speakers} speakers: lower data.N_classes_per_batch"
                " (and data.batch_size with it)"
            )

    def _build_sampler(self) -> NxMSampler:
        cfg = self.data_config
        self._note_small_speakers(cfg.M_samples_per_class)
        return build_sampler(
            cfg.sampler,
            self.train_table.labels.numpy(),
            N_classes_per_batch=cfg.N_classes_per_batch,
            M_samples_per_class=cfg.M_samples_per_class,
            batch_size=cfg.batch_size,
            shuffle=cfg.shuffle,
            num_replicas=self.ctx.world_size if self.ctx.enabled else None,
            rank=self.ctx.rank if self.ctx.enabled else -1,
            seed=self.seed,
        )

    def _note_small_speakers(self, m: int) -> None:
        counts = torch.bincount(self.train_table.labels[self.train_table.labels >= 0])
        small = (counts < m).nonzero().flatten().tolist()
        if small:
            names = ", ".join(self.train_table.speakers[i] for i in small[:3])
            log.info(
                "%d of %d train speakers have fewer than M_samples_per_class=%d samples (%s%s):"
                " their samples repeat within a batch",
                len(small),
                len(counts),
                m,
                names,
                ", ..." if len(small) > 3 else "",
            )

    def _wrap(self, module: TrainingModule) -> nn.Module:
        wrapped: nn.Module = module
        if self.ctx.enabled:
            ids = [self.device.index] if self.device.type == "cuda" else None
            wrapped = nn.parallel.DistributedDataParallel(module, device_ids=ids)
        if self.options.compile:
            wrapped = torch.compile(wrapped)  # type: ignore[assignment]
        return wrapped

    def _place(self, table: EmbeddingTable) -> tuple[torch.Tensor, torch.Tensor]:
        """Put the training table where batches are gathered: the device when it fits."""
        x, y = table.embeddings, table.labels
        if self.device.type == "cpu":
            return x.contiguous(), y
        if self.device.type == "cuda":
            free, _ = torch.cuda.mem_get_info(self.device)
            if x.numel() * x.element_size() > free // 2:
                log.info(
                    "train table does not fit on %s: batches are gathered in pinned host memory"
                    " and copied asynchronously",
                    self.device,
                )
                self._host_gather = HostStagedGather(
                    x, y, self.device, rows=self.data_config.batch_size
                )
                return x, y
        return x.to(self.device), y.to(self.device)

    def _setup_run_dir(self) -> None:
        if self.is_main:
            if self.save_dir is None:
                self.save_dir = claim_run_dir(Path("runs"))
            self.save_dir.mkdir(parents=True, exist_ok=True)
        self.save_dir = ddp.broadcast_object(self.save_dir)

    def _file(self, name: str) -> Path | None:
        return self.save_dir / name if self.is_main and self.save_dir is not None else None

    def _metric_columns(self) -> list[str]:
        return ["loss", *[f.name for f in self.loss_funcs]]

    # --------------------------------------------------------------- training
    def train(self) -> dict[str, Any]:
        """Run the whole training; return the summary (also written to summary.json)."""
        self.setup()
        try:
            with run_log_file(self.save_dir if self.is_main else None):
                return self._train_epochs()
        finally:
            self.tensorboard.close()

    def _train_epochs(self) -> dict[str, Any]:
        log.info(
            "training %d epochs on %d samples of %d speakers (%s) on %s%s; run dir %s",
            self.epochs,
            len(self.train_table),
            self.train_table.num_speakers,
            ", ".join(f"{f.name}x{float(f.weight):g}" for f in self.loss_funcs),
            self.device,
            f" x {self.ctx.world_size} ranks" if self.ctx.enabled else "",
            self.save_dir,
        )
        with StopRequest() as stop:
            while self.completed_epochs < self.epochs:
                epoch = self.completed_epochs + 1
                validating = self._due(epoch, self.val_period) or epoch == self.epochs
                announce = validating or self._due(epoch, self.log_period)
                started = time.perf_counter()
                train_metrics = self.train_one_epoch(epoch, stop, announce=announce)
                self.train_seconds += time.perf_counter() - started
                val_metrics = self.validate() if validating else None
                self._record(epoch, train_metrics, val_metrics)
        self._dump_rank_parameters()
        return self.cleanup()

    def _dump_rank_parameters(self) -> None:
        # Test hook: lets the DDP test check that every rank ends with the same weights
        # (model and loss parameters such as ArcFace centres, laid out as in last.pt).
        folder = os.environ.get("BALR_DDP_PARAM_DUMP")
        if folder and self.ctx.enabled:
            state = {
                "model": self.model.state_dict(),
                "losses": {f.name: f.state_dict() for f in self.loss_funcs},
            }
            torch.save(state, Path(folder) / f"rank{self.ctx.rank}.pt")

    def train_one_epoch(
        self, epoch: int, stop: StopRequest | None = None, *, announce: bool = True
    ) -> dict[str, float]:
        """One pass over the sampler's batches; returns mean total and per-loss values.

        `announce` logs the end-of-epoch line (train() does so every log_period epochs).
        """
        self.sampler.set_epoch(epoch)
        batches = torch.from_numpy(_stack(self.sampler.batches())).to(self.train_x.device)
        sums = (
            self._resume_sums
            if self._resume_sums is not None
            else torch.zeros(len(self.loss_funcs) + 1, device=self.device)
        )
        start, self._resume_step, self._resume_sums = self._resume_step, 0, None
        self.module.train()
        steps = len(batches)
        began = time.perf_counter()
        with EpochProgress(epoch, self.epochs, steps, self.device, self._verbose) as bar:
            for step in range(start, steps):
                sums += self._step(batches[step])
                if self._stop_requested(stop, step, steps):
                    self._save_interrupted(epoch, step + 1, sums)
                    assert stop is not None and stop.signum is not None
                    raise TrainingInterrupted(stop.signum, str(self.save_dir))
                # Reading the sums waits for the device: only for a bar someone is watching.
                if bar.interactive and (step % 10 == 0 or step == steps - 1):
                    bar.update(step + 1, self._named(sums / (step + 1)))
            means = self._named(ddp.all_reduce_mean(sums / max(steps, 1)))
            ddp.broadcast_buffers(self.module)
            if announce:
                bar.summary_line(means, time.perf_counter() - began, steps * batches.shape[1])
        return means

    def _step(self, index: torch.Tensor) -> torch.Tensor:
        if self._host_gather is not None:
            x, y = self._host_gather(index)
        else:
            # The table is on the training device: gathering is the whole cost.
            x = self.train_x.index_select(0, index)
            y = self.train_y.index_select(0, index)
        values = self.step_module(x, y)
        total = (values * self.weights).sum()
        self.optimizer.zero_grad(set_to_none=True)
        total.backward()
        self.optimizer.step()
        return torch.cat([total.detach().reshape(1), values.detach()])

    def _named(self, values: torch.Tensor) -> dict[str, float]:
        return dict(zip(self._metric_columns(), values.tolist(), strict=True))

    def _stop_requested(self, stop: StopRequest | None, step: int, steps: int) -> bool:
        """Whether to stop after `step`; under DDP the ranks agree every few steps and at the end.

        Every rank must stop at the same step, or the next collective hangs; agreeing is a
        collective plus a device sync, so it is not done on every step.
        """
        flag = stop is not None and stop.requested
        if not self.ctx.enabled:
            return flag
        if (step + 1) % STOP_CHECK_STEPS and step != steps - 1:
            return False
        box = torch.tensor([1.0 if flag else 0.0], device=self.device)
        dist.all_reduce(box, op=dist.ReduceOp.MAX)
        agreed = bool(box.item() > 0)
        if agreed and stop is not None and stop.signum is None:
            stop.signum = signal.SIGTERM
        return agreed

    def validate(self) -> dict[str, float]:
        """Validation metrics of the current model (computed on rank 0 only)."""
        if not self.is_main:
            return {}
        return self.validator.run(self.model)

    @property
    def _verbose(self) -> bool:
        return self.is_main and self.options.verbose

    @staticmethod
    def _due(epoch: int, period: int) -> bool:
        return period > 0 and epoch % period == 0

    def _record(self, epoch: int, train: dict[str, float], val: dict[str, float] | None) -> None:
        """Log, write metrics and checkpoints for a finished epoch."""
        self.completed_epochs = epoch
        self.last_metrics["train"] = train
        if val is not None:
            self.last_metrics["val"] = val
        if not self.is_main:
            return
        if self._due(epoch, self.log_period) or val is not None:
            self._log_row(epoch, "train", train)
        improved = False
        if val is not None:
            self._log_row(epoch, "val", val)
            improved = self._update_best(epoch, val)
            self._log_validation(epoch, val, improved)
            if self.save_dir is not None:
                plot_curves(
                    self.metrics.rows,
                    [f.name for f in self.loss_funcs],
                    self.save_dir / "curves.png",
                    reference_eer=self.validator.reference["eer"],
                    best_epoch=self.best["epoch"],
                )
        self.save_checkpoint("last.pt")
        if improved:
            self.save_checkpoint("best.pt")
        if self._due(epoch, self.save_period):
            self.save_checkpoint(f"epoch{epoch}.pt")

    def _log_row(self, epoch: int, split: str, metrics: dict[str, float]) -> None:
        self.metrics.append(epoch, split, metrics)
        self.tensorboard.add(epoch, split, metrics)

    def _update_best(self, epoch: int, val: dict[str, float]) -> bool:
        value = val[MONITOR_KEYS[self.options.monitor]]
        best = self.best["value"]
        # A NaN best (e.g. LLR metrics that could not be computed) gives way to any number.
        if best is not None and not math.isnan(best) and not value < best:
            return False
        self.best = {"epoch": epoch, "value": value, "metrics": dict(val)}
        return True

    def _log_validation(self, epoch: int, val: dict[str, float], improved: bool) -> None:
        log.info(
            "epoch %d/%d  val loss %.4f  EER %.2f%% (raw %.2f%%)  minDCF0.01 %.3f  minDCF0.05 %.3f"
            "%s  never/always active %d/%d%s",
            epoch,
            self.epochs,
            val["loss"],
            val["eer"],
            self.validator.reference["eer"],
            val["min_dcf_0.01"],
            val["min_dcf_0.05"],
            _llr_text(val),
            int(val.get("attr_never_active", 0)),
            int(val.get("attr_always_active", 0)),
            "  *best*" if improved else "",
        )

    # ------------------------------------------------------------ checkpoints
    def _state(self, step: int = 0, sums: torch.Tensor | None = None) -> dict[str, Any]:
        return {
            "model": self.model.state_dict(),
            "model_config": {"input_dim": self.input_dim, "internal_dim": self.internal_dim},
            "losses": {f.name: f.state_dict() for f in self.loss_funcs},
            "optimizer": self.optimizer.state_dict(),
            "epoch": self.completed_epochs,
            "step": step,
            "epoch_sums": sums.detach().cpu() if sums is not None else None,
            "best": self.best,
            "metrics": self.last_metrics,
            "train_seconds": self.train_seconds,
            "sampler": {"seed": self.seed, "epoch": self.completed_epochs + 1},
            "rng": capture_rng_state(),
            "config": self.options.run_config,
        }

    def save_checkpoint(self, name: str, step: int = 0, sums: torch.Tensor | None = None) -> None:
        """Atomically write a checkpoint into the run directory (rank 0 only)."""
        path = self._file(name)
        if path is not None:
            save_checkpoint(path, self._state(step, sums))

    def _save_interrupted(self, epoch: int, step: int, sums: torch.Tensor) -> None:
        # Every rank stops here at the same step. Each resumes from the saved partial sums, so
        # they are averaged first: then the epoch's mean over ranks comes out right.
        self.save_checkpoint("last.pt", step=step, sums=ddp.all_reduce_mean(sums))
        log.warning("stopped during epoch %d after step %d; last.pt saved", epoch, step)

    def load_checkpoint(self, source: str | Path) -> None:
        """Continue from a checkpoint (or a run directory's last.pt)."""
        path = Path(source)
        if path.is_dir():
            path = path / "last.pt"
        # On the CPU: the RNG states must stay there, and load_state_dict moves the rest.
        state = load_checkpoint(path)
        self._check_checkpoint_dims(path, state.get("model_config"))
        try:
            self.model.load_state_dict(state["model"])
            for loss in self.loss_funcs:
                if loss.name in state["losses"]:
                    loss.load_state_dict(state["losses"][loss.name])
            self.optimizer.load_state_dict(state["optimizer"])
        except (RuntimeError, KeyError, ValueError) as error:
            # torch's first line is a bare heading; the first detail line says what differs.
            lines = [line.strip() for line in str(error).strip().splitlines() if line.strip()]
            first = (lines[1] if len(lines) > 1 and lines[0].endswith(":") else lines[0])[:160]
            raise ConfigError(
                f"{path} does not fit this model and losses ({first}): resume with the run's own"
                " trainer.input_dim, trainer.internal_dim and trainer.losses"
            ) from None
        self.completed_epochs = int(state["epoch"])
        self._resume_step = int(state.get("step") or 0)
        sums = state.get("epoch_sums")
        self._resume_sums = sums.to(self.device) if self._resume_step and sums is not None else None
        self.best = state["best"]
        self.last_metrics = state.get("metrics") or {}
        self.train_seconds = float(state.get("train_seconds", 0.0))
        restore_rng_state(state["rng"])
        self.metrics.resume(self.completed_epochs)
        log.info(
            "resumed from %s at epoch %d%s",
            path,
            self.completed_epochs + 1,
            f" step {self._resume_step}" if self._resume_step else "",
        )

    def _check_checkpoint_dims(self, path: Path, recorded: Any) -> None:
        if not isinstance(recorded, dict):
            return
        theirs = (recorded.get("input_dim"), recorded.get("internal_dim"))
        if theirs != (self.input_dim, self.internal_dim):
            raise CheckpointError(
                f"{path} holds a model with input_dim={theirs[0]}, internal_dim={theirs[1]} but"
                f" this run has trainer.input_dim={self.input_dim},"
                f" trainer.internal_dim={self.internal_dim}: resume with the run's own"
                " dimensions (drop overrides that change them) and data of its dimension"
            )

    # ---------------------------------------------------------------- cleanup
    def cleanup(self) -> dict[str, Any]:
        """Write summary.json, log the summary and return it."""
        summary = {
            "run_dir": str(self.save_dir),
            "epochs": self.epochs,
            "epochs_done": self.completed_epochs,
            "train_seconds": round(self.train_seconds, 3),
            "losses": {f.name: float(f.weight) for f in self.loss_funcs},
            "input_dim": self.input_dim,
            "internal_dim": self.internal_dim,
            "monitor": self.options.monitor,
            "best": self.best,
            "final": self.last_metrics,
            "reference": self.validator.reference,
        }
        if self.is_main and self.save_dir is not None:
            write_summary(self.save_dir / "summary.json", summary)
            self._log_summary(summary)
        ddp.barrier()
        return summary

    def _log_summary(self, summary: dict[str, Any]) -> None:
        best = summary["best"]
        log.info(
            "done: %d epochs in %.1fs; best epoch %s (%s %s); results in %s",
            summary["epochs_done"],
            summary["train_seconds"],
            best["epoch"],
            self.options.monitor,
            f"{best['value']:.4f}" if best["value"] is not None else "n/a",
            self.save_dir,
        )
        if "train" in self.last_metrics:
            log.info("final train %s", format_losses(self.last_metrics["train"]))


def _llr_text(val: dict[str, float]) -> str:
    """The LLR part of the validation line ('' when the LLR metrics are off)."""
    if "cllr_min" not in val:
        return ""
    return (
        f"  LLR EER {val['llr_eer']:.2f}%  Cllr_min {val['cllr_min']:.3f}  Cllr {val['cllr']:.3f}"
    )


def _check_arguments(
    epochs: int,
    learning_rate: float,
    save_period: int,
    log_period: int,
    val_period: int,
    loss_funcs: list[BaseAutoEncoderLoss],
) -> None:
    if epochs < 0:
        raise ConfigError(f"trainer.epochs={epochs} is invalid: it must be >= 0")
    if learning_rate <= 0:
        raise ConfigError(f"trainer.learning_rate={learning_rate} is invalid: it must be > 0")
    for key, value in (
        ("save_period", save_period),
        ("log_period", log_period),
        ("val_period", val_period),
    ):
        if value < 0:
            raise ConfigError(f"trainer.{key}={value} is invalid: it must be >= 0")
    if not loss_funcs:
        raise ConfigError("no loss given: select at least one, e.g. 'trainer.losses=[mse]'")


def _current_context() -> ddp.DistributedContext:
    if dist.is_available() and dist.is_initialized():
        env = ddp.context_from_env()
        return ddp.DistributedContext(
            rank=dist.get_rank(), world_size=dist.get_world_size(), local_rank=env.local_rank
        )
    return ddp.DistributedContext()


def _use_all_cores(device: torch.device, ctx: ddp.DistributedContext) -> None:
    """On CPU, share the cores among the local processes unless the user set a count."""
    if device.type != "cpu" or "OMP_NUM_THREADS" in os.environ:
        return
    per_task = os.environ.get("SLURM_CPUS_PER_TASK", "")
    if per_task.isdigit() and "LOCAL_WORLD_SIZE" not in os.environ:
        # Slurm's per-task CPUs, which it does not always enforce with an affinity mask: more
        # threads than allotted cores crawl (20x seen) when another job uses the rest.
        torch.set_num_threads(max(1, min(int(per_task), _available_cores())))
        return
    local = int(os.environ.get("LOCAL_WORLD_SIZE", ctx.world_size if ctx.enabled else 1))
    torch.set_num_threads(max(1, _available_cores() // max(local, 1)))


def _available_cores() -> int:
    """Cores this process may run on (its affinity mask, e.g. a Slurm or taskset allocation)."""
    # Not os.cpu_count(): every core of the machine would stack several threads on one core.
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # no affinity masks (macOS, Windows)
        return os.cpu_count() or 1


def _stack(batches: list[Any]) -> Any:
    import numpy as np

    if not batches:
        raise DatasetError("the sampler produced no batch: the train dataset is too small")
    return np.stack(batches).astype(np.int64, copy=False)
