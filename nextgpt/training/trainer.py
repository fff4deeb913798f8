"""The training loop of the three stages: freezing, losses, optimiser, schedule, logging, resumable checkpoints.

Determinism: which examples form step ``s`` and every random draw in it (dropout, Gumbel noise, diffusion noise
and timesteps) depend only on ``(seed, s)``, and a checkpoint holds the trainable tensors, the optimiser and the
scheduler; so training that resumes from a checkpoint reaches exactly the state of uninterrupted training.
"""

from __future__ import annotations

import json
import shutil
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal, TextIO

import numpy as np
import torch

from nextgpt.core.errors import ConfigError
from nextgpt.core.modalities import MODALITIES
from nextgpt.model.checkpoint import frozen_fingerprint, load_trainable_state, trainable_state, write_checkpoint_folder
from nextgpt.model.parameters import set_trainable_stage
from nextgpt.training.batch import TrainingBatch, build_batch
from nextgpt.training.examples import TrainingExample
from nextgpt.training.losses import alignment_loss, caption_targets, denoising_loss, language_loss

#: Frozen-encoder outputs of training media kept in memory (see Trainer._encoding).
ENCODING_CACHE_BYTES = 1 << 30
#: The paper's learning rates per stage (4e-4, 4e-4, 5e-4).
PAPER_LEARNING_RATE = {1: 4e-4, 2: 4e-4, 3: 5e-4}


@dataclass(frozen=True)
class TrainConfig:
    stage: Literal[1, 2, 3]
    steps: int = 100
    batch_size: int = 4
    grad_accumulation: int = 1
    learning_rate: float | None = None  # None: the paper's rate of the stage
    weight_decay: float = 0.001
    warmup_ratio: float = 0.1
    max_grad_norm: float = 1.0
    seed: int = 0
    #: weights of the loss terms (stage 1 uses only language; stage 3 language + alignment)
    language_weight: float = 1.0
    alignment_weight: float = 1.0
    denoising_weight: float = 1.0
    snr_gamma: float = 5.0
    #: the legacy code weights the video alignment loss x2 in stage 3
    video_alignment_scale: float = 2.0
    autocast: Literal["none", "bfloat16", "float16"] = "none"
    log_every: int = 10
    checkpoint_every: int = 50

    def __post_init__(self) -> None:
        if self.stage not in (1, 2, 3):
            raise ConfigError(f"TrainConfig.stage must be 1, 2 or 3, got {self.stage!r}")
        for name in ("steps", "batch_size", "grad_accumulation", "log_every", "checkpoint_every"):
            if getattr(self, name) < 1:
                raise ConfigError(f"TrainConfig.{name} must be >= 1, got {getattr(self, name)}")

    @property
    def lr(self) -> float:
        return self.learning_rate if self.learning_rate is not None else PAPER_LEARNING_RATE[self.stage]


@dataclass
class StepLosses:
    total: float
    language: float
    alignment: float
    denoising: float


class Trainer:
    def __init__(self, model: Any, examples: list[TrainingExample], config: TrainConfig, out_dir: str | Path, *,
                 progress: TextIO | None = sys.stderr) -> None:
        if not examples:
            raise ConfigError(f"stage {config.stage}: no training examples")
        self.model, self.examples, self.config = model, examples, config
        self.out_dir = Path(out_dir)
        self.progress = progress
        set_trainable_stage(model, config.stage)
        self.parameters = [p for p in model.parameters() if p.requires_grad]
        self.optimizer = torch.optim.AdamW(self.parameters, lr=config.lr, weight_decay=config.weight_decay)
        warmup = int(config.warmup_ratio * config.steps)
        self.scheduler = torch.optim.lr_scheduler.LambdaLR(
            self.optimizer, lambda step: min((step + 1) / max(warmup, 1), max(config.steps - step, 0) /
                                             max(config.steps - warmup, 1)))
        self.step = 0
        self._targets: dict[tuple[str, str], torch.Tensor] = {}
        self._media: dict[Path, Any] = {}
        self._encodings: dict[tuple[str, Path], Any] = {}
        self._encoding_bytes = 0

    # ------------------------------------------------------------------------------------------- data
    def examples_for(self, step: int, micro: int) -> list[TrainingExample]:
        """The examples of micro-batch ``micro`` of ``step``: a fixed per-epoch permutation of the data."""
        size = self.config.batch_size
        start = (step * self.config.grad_accumulation + micro) * size
        out = []
        for position in range(start, start + size):
            epoch, index = divmod(position, len(self.examples))
            order = np.random.default_rng([self.config.seed, epoch]).permutation(len(self.examples))
            out.append(self.examples[int(order[index])])
        return out

    # ----------------------------------------------------------------------------------------- losses
    def losses(self, batch: TrainingBatch, generator: torch.Generator) -> tuple[torch.Tensor, StepLosses]:
        config, model = self.config, self.model
        output = model.llm(inputs_embeds=batch.inputs_embeds, attention_mask=batch.attention_mask,
                           output_hidden_states=True)
        language = language_loss(output.logits, batch.labels)
        alignment = denoising = language.new_zeros(())
        if config.stage in (2, 3) and batch.spans:
            for modality in MODALITIES:
                spans = [s for s in batch.spans if s.output.modality == modality]
                if not spans:
                    continue
                layer = model.output_projections[modality].config.hidden_layer
                states = torch.stack([output.hidden_states[layer][s.row, s.start:s.start + s.length] for s in spans])
                conditions = model.project_signal_states(modality, states)
                targets = torch.cat([self._caption_target(modality, s.output.caption) for s in spans])
                scale = config.video_alignment_scale if (modality == "video" and config.stage == 3) else 1.0
                alignment = alignment + scale * alignment_loss(conditions, targets)
                with_media = [i for i, s in enumerate(spans) if s.output.media is not None]
                if config.stage == 2 and with_media and config.denoising_weight:
                    media = [self._medium(modality, spans[i].output.media) for i in with_media]
                    denoising = denoising + denoising_loss(model.decoder(modality), modality,
                                                           conditions[with_media], media, generator,
                                                           config.snr_gamma)
        total = (config.language_weight * language + config.alignment_weight * alignment
                 + config.denoising_weight * denoising)
        return total, StepLosses(*(float(t.detach()) for t in (total, language, alignment, denoising)))

    def _medium(self, modality: str, path: Path | None) -> Any:
        """Decoded target media, kept in memory (the same files come back every epoch)."""
        assert path is not None
        if path not in self._media:
            self._media[path] = _read_medium(modality, path)
        return self._media[path]

    def _encoding(self, item: Any) -> Any:
        """The frozen encoder's output for a media file, computed once: the encoder is frozen and in eval mode in
        every stage and preprocessing is deterministic, so the value cannot change between epochs.  Kept up to
        ``ENCODING_CACHE_BYTES``; past that, files are encoded at every use as before (paper scale)."""
        if not isinstance(item.source, (str, Path)):
            return None
        key = (item.modality, Path(item.source))
        if key in self._encodings:
            return self._encodings[key]
        with torch.no_grad():
            encoded = self.model.encoder.encode(item.modality, self.model.load_media(item).unsqueeze(0))
        size = sum(t.numel() * t.element_size() for t in (encoded.pooled, encoded.grid))
        if self._encoding_bytes + size <= ENCODING_CACHE_BYTES:
            self._encodings[key] = encoded
            self._encoding_bytes += size
        return encoded

    def _caption_target(self, modality: str, caption: str) -> torch.Tensor:
        key = (modality, caption)
        if key not in self._targets:
            self._targets[key] = caption_targets(self.model.decoder(modality), modality, [caption])  # type: ignore[arg-type]
        return self._targets[key]

    # ------------------------------------------------------------------------------------------ train
    def train_step(self) -> StepLosses:
        config, model = self.config, self.model
        self._set_modes()
        torch.manual_seed(config.seed * 1_000_003 + self.step)
        generator = torch.Generator(device=model.device).manual_seed(config.seed * 7919 + self.step)
        self.optimizer.zero_grad(set_to_none=True)
        parts = []
        for micro in range(config.grad_accumulation):
            with self._autocast():
                batch = build_batch(model, self.examples_for(self.step, micro),
                                    label_scope="signal" if config.stage == 2 else "answer",
                                    encodings=self._encoding)
                total, losses = self.losses(batch, generator)
            (total / config.grad_accumulation).backward()
            parts.append(losses)
        torch.nn.utils.clip_grad_norm_(self.parameters, config.max_grad_norm)
        self.optimizer.step()
        self.scheduler.step()
        self.step += 1
        return StepLosses(*(float(np.mean([getattr(p, f) for p in parts]))
                            for f in ("total", "language", "alignment", "denoising")))

    def _set_modes(self) -> None:
        self.model.eval()  # frozen parts stay in inference mode (no dropout / drop-path)
        for module in (self.model.input_projection, self.model.output_projections, self.model.llm):
            if any(p.requires_grad for p in module.parameters()):
                module.train()

    def _autocast(self) -> Any:
        if self.config.autocast == "none":
            return torch.autocast(device_type=self.model.device.type, enabled=False)
        return torch.autocast(device_type=self.model.device.type, dtype=getattr(torch, self.config.autocast))

    def train(self, *, resume: bool = False, stop_after: int | None = None) -> Path:
        """Train to ``config.steps`` (or stop after ``stop_after`` steps, for tests); returns the final
        checkpoint folder.  ``resume`` continues from the newest checkpoint in ``out_dir``."""
        if resume:
            self.resume_latest()
        log = (self.out_dir / "train_log.jsonl")
        self.out_dir.mkdir(parents=True, exist_ok=True)
        (self.out_dir / "train_config.json").write_text(json.dumps(asdict(self.config), indent=2), encoding="utf-8")
        started = time.perf_counter()
        while self.step < self.config.steps and (stop_after is None or self.step < stop_after):
            losses = self.train_step()
            record = {"step": self.step, "lr": self.scheduler.get_last_lr()[0], **asdict(losses),
                      "seconds": round(time.perf_counter() - started, 3)}
            with log.open("a", encoding="utf-8") as handle:
                handle.write(json.dumps(record) + "\n")
            if self.progress is not None and (self.step % self.config.log_every == 0 or self.step == 1):
                print(f"stage {self.config.stage} step {self.step}/{self.config.steps} loss {losses.total:.4f} "
                      f"(lm {losses.language:.4f}, align {losses.alignment:.4f}, denoise {losses.denoising:.4f})",
                      file=self.progress, flush=True)
            if self.step % self.config.checkpoint_every == 0 or self.step == self.config.steps:
                self.save_training_checkpoint()
        final = self.out_dir / "final"
        if self.step == self.config.steps:
            write_checkpoint_folder(final, self.model.config, trainable_state(self.model),
                                    fingerprint=frozen_fingerprint(self.model), tokenizer=self.model.tokenizer,
                                    extra_manifest={"trained_stage": self.config.stage, "steps": self.step})
        return final

    # ------------------------------------------------------------------------------------ checkpoints
    def save_training_checkpoint(self) -> Path:
        folder = self.out_dir / "checkpoints" / f"step-{self.step:07d}"
        write_checkpoint_folder(folder, self.model.config, trainable_state(self.model),
                                fingerprint=frozen_fingerprint(self.model), tokenizer=self.model.tokenizer,
                                extra_manifest={"trained_stage": self.config.stage, "steps": self.step})
        state = {"step": self.step, "optimizer": self.optimizer.state_dict(),
                 "scheduler": self.scheduler.state_dict()}
        temporary = folder / "trainer_state.pt.tmp"
        torch.save(state, temporary)
        temporary.replace(folder / "trainer_state.pt")
        return folder

    def resume_latest(self) -> int:
        from safetensors.torch import load_file

        folders = sorted((self.out_dir / "checkpoints").glob("step-*"))
        folders = [f for f in folders if (f / "trainer_state.pt").is_file()]
        if not folders:
            return self.step
        latest = folders[-1]
        load_trainable_state(self.model, load_file(str(latest / "trainable.safetensors")), source=str(latest))
        state = torch.load(latest / "trainer_state.pt", map_location="cpu", weights_only=True)
        self.optimizer.load_state_dict(state["optimizer"])
        self.scheduler.load_state_dict(state["scheduler"])
        self.step = int(state["step"])
        log = self.out_dir / "train_log.jsonl"
        if log.is_file():  # drop log lines of steps after the checkpoint (they are redone)
            lines = [line for line in log.read_text(encoding="utf-8").splitlines()
                     if line and json.loads(line)["step"] <= self.step]
            log.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
        if self.progress is not None:
            print(f"resumed stage {self.config.stage} at step {self.step} from {latest}", file=self.progress)
        return self.step


def _read_medium(modality: str, path: Path) -> Any:
    from nextgpt.core.media import read_media

    return read_media(modality, path)


def clear_training_folder(out_dir: Path) -> None:
    shutil.rmtree(out_dir / "checkpoints", ignore_errors=True)
    (out_dir / "train_log.jsonl").unlink(missing_ok=True)
