"""The config schema: defaults, override spellings, targets."""

from __future__ import annotations

import dataclasses
import inspect
from pathlib import Path

import pytest
from hydra.utils import get_object

from balr.cli.overrides import compose_checked, expand_sweeps
from balr.cli.paths import conf_dir
from balr.config import (
    LOSS_CONFIGS,
    DataConfig,
    DatasetConfig,
    ModelConfig,
    TrainerConfig,
)
from balr.config.validate import validate_train_config
from balr.errors import ConfigError

DATASETS = ["train.path=a.csv", "val.path=b.csv"]


def compose(*overrides: str, multirun: bool = False) -> list:
    return compose_checked("train", [*DATASETS, *overrides], conf_dir(), multirun)


def test_trainer_defaults_are_the_seed_signature_defaults() -> None:
    from balr.training import BinaryAttributeEncoderTrainer

    signature = inspect.signature(BinaryAttributeEncoderTrainer.__init__)
    config = TrainerConfig()
    for name in (
        "input_dim",
        "internal_dim",
        "learning_rate",
        "epochs",
        "seed",
        "save_period",
        "log_period",
        "val_period",
    ):
        assert getattr(config, name) == signature.parameters[name].default, name


def test_trainer_options_defaults_are_the_schema_defaults() -> None:
    from balr.training.options import TrainerOptions

    config, options = TrainerConfig(), TrainerOptions()
    for name in ("monitor", "init", "compile", "val_max_pairs", "val_scorer_speakers"):
        assert getattr(config, name) == getattr(options, name), name


def test_data_config_defaults() -> None:
    config = DataConfig()
    assert (config.batch_size, config.num_workers, config.shuffle, config.sampler) == (
        64,
        1,
        True,
        "random",
    )
    assert (config.N_classes_per_batch, config.M_samples_per_class) == (8, 8)


@pytest.mark.parametrize(
    "node",
    [DataConfig, DatasetConfig, ModelConfig, TrainerConfig, *LOSS_CONFIGS.values()],
)
def test_every_target_resolves_and_accepts_every_field(node: type) -> None:
    target = get_object(node._target_)
    params = inspect.signature(target).parameters
    takes_kwargs = any(p.kind is p.VAR_KEYWORD for p in params.values())
    for field in dataclasses.fields(node):
        if field.name in ("_target_", "losses", "model"):
            continue
        assert takes_kwargs or field.name in params, f"{node.__name__}.{field.name}"


def test_default_losses_are_mse_and_triplet() -> None:
    (cfg,) = compose()
    assert list(cfg.trainer.losses) == ["mse", "triplet"]


def test_default_loss_weights() -> None:
    (cfg,) = compose("trainer.losses=[mse,triplet,arcface,sparsity]")
    weights = {name: node.weight for name, node in cfg.trainer.losses.items()}
    assert weights == {"mse": 1.0, "triplet": 1.0, "arcface": 0.001, "sparsity": 0.0001}


def test_epochs_override() -> None:
    (cfg,) = compose("trainer.epochs=10")
    assert cfg.trainer.epochs == 10


def test_seed_loss_list_with_space() -> None:
    (cfg,) = compose("trainer.losses=[mse, arcface]")
    assert list(cfg.trainer.losses) == ["mse", "arcface"]


def test_three_losses() -> None:
    (cfg,) = compose("trainer.losses=[mse,triplet,sparsity]")
    assert list(cfg.trainer.losses) == ["mse", "triplet", "sparsity"]


def test_selected_loss_settings() -> None:
    (cfg,) = compose(
        "trainer.losses=[mse, arcface]",
        "trainer.losses.arcface.weight=1",
        "trainer.losses.arcface.margin=0.5",
    )
    assert cfg.trainer.losses.arcface.weight == 1.0
    assert cfg.trainer.losses.arcface.margin == 0.5


def test_batch_geometry_override() -> None:
    (cfg,) = compose(
        "data.N_classes_per_batch=32", "data.M_samples_per_class=16", "data.batch_size=512"
    )
    validate_train_config(cfg)
    assert (cfg.data.N_classes_per_batch, cfg.data.M_samples_per_class) == (32, 16)


def test_loss_sweep_expands_to_each_choice() -> None:
    configs = compose("trainer.losses=[mse],[mse,triplet]", multirun=True)
    assert [list(c.trainer.losses) for c in configs] == [["mse"], ["mse", "triplet"]]


def test_expand_sweeps_gives_every_job_of_the_sweep() -> None:
    variants = list(expand_sweeps(["a=1,2,3", "b=x", "c=4,5"]))
    assert len(variants) == 6
    assert ["a=3", "b=x", "c=4"] in variants and ["a=1", "b=x", "c=5"] in variants


def test_expand_sweeps_of_a_huge_sweep_uses_every_value_once() -> None:
    values = ",".join(str(v) for v in range(9))
    variants = list(expand_sweeps([f"a={values}", f"b={values}"]))  # 81 jobs: over the limit
    assert variants == [[f"a={v}", f"b={v}"] for v in range(9)]


def test_recipe_preset() -> None:
    (cfg,) = compose("+experiment=recipe")
    assert list(cfg.trainer.losses) == ["mse"]
    assert (cfg.data.N_classes_per_batch, cfg.data.M_samples_per_class) == (32, 16)
    assert (cfg.data.batch_size, cfg.trainer.epochs) == (512, 200)


def test_recipe_preset_is_shipped_in_conf() -> None:
    assert (Path(conf_dir()) / "experiment" / "recipe.yaml").is_file()


@pytest.mark.parametrize(
    ("override", "fragment"),
    [
        ("trainer.losses=[mse, foo]", "unknown loss 'foo'"),
        ("trainer.epoch=10", "trainer.epoch"),
        ("trainer.epochs=ten", "trainer.epochs"),
    ],
)
def test_mistakes_are_one_line_config_errors(override: str, fragment: str) -> None:
    with pytest.raises(ConfigError) as caught:
        compose(override)
    assert fragment in str(caught.value)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(
    ("override", "key"),
    [
        ("trainer.epochs=-1", "trainer.epochs"),
        ("trainer.learning_rate=0", "trainer.learning_rate"),
        ("data.M_samples_per_class=0", "data.M_samples_per_class"),
        ("data.batch_size=63", "data.batch_size"),
        ("trainer.monitor=accuracy", "trainer.monitor"),
        ("trainer.losses=[]", "trainer.losses"),
        ("trainer.val_scorer_speakers=-5", "trainer.val_scorer_speakers"),
        ("trainer.monitor=val_cllr_min,trainer.val_scorer_speakers=0", "val_scorer_speakers"),
    ],
)
def test_bad_values_name_their_key(override: str, key: str) -> None:
    (cfg,) = compose(*override.split(","))
    with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
        validate_train_config(cfg)


def test_the_schema_offers_the_audio_formats_the_datasets_read() -> None:
    from balr.config import schema
    from balr.data import AUDIO_FORMATS

    assert list(AUDIO_FORMATS) == schema.AUDIO_FORMATS
