"""Signal tokens ([IMG0]..[IMG3], [VID0]..[VID23], [AUD0]..[AUD7]) and what to do with imperfect runs.

The official code asserts that the generated text holds the complete run of a modality's signal tokens and
crashes otherwise (NExT-GPT issues #66, #68).  Untrained or lightly trained models routinely emit partial,
shuffled or repeated runs, so this module *normalises* the generated token ids instead, and reports what it did:

* **complete**: the first signal token of a modality starts the exact run ``[X0] .. [X(n-1)]``; kept as is.
* **repaired**: a modality's signal tokens appear, but not as the exact run (missing, shuffled or interleaved
  with text).  The first one marks where the run goes: the canonical run is written there and every other
  signal token of that modality is dropped.
* **forced**: the caller asked for a modality (``want``) that the model did not emit; its run is appended at the
  end of the answer.
* runaway repeats: any signal token of a modality after its first run (e.g. a second ``[IMG0]..[IMG3]``) is
  dropped and counted in ``dropped``.  At most one output per modality is produced per answer.

The decoder is then conditioned on the LLM's hidden states at the positions of the canonical run in the
normalised sequence (obtained by one teacher-forced forward pass over prompt + normalised answer), which is
also what training optimises.  The ``<Img>`` / ``</Img>`` input markers are never part of an answer and are
dropped like stray signal tokens if the model emits them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from nextgpt.core.modalities import MODALITIES, Modality
from nextgpt.core.requests import SignalRun
from nextgpt.model.config import SignalTokenConfig

INPUT_MARKERS = ("<Img>", "</Img>")
_PREFIX: dict[Modality, str] = {"image": "IMG", "video": "VID", "audio": "AUD"}


def signal_token_names(config: SignalTokenConfig) -> dict[Modality, list[str]]:
    return {m: [f"[{_PREFIX[m]}{i}]" for i in range(config.count(m))] for m in MODALITIES}


def all_added_tokens(config: SignalTokenConfig) -> list[str]:
    """Tokens added to the LLM vocabulary, in the legacy order: markers, then image, video, audio signals."""
    names = signal_token_names(config)
    return [*INPUT_MARKERS, *names["image"], *names["video"], *names["audio"]]


@dataclass(frozen=True)
class SignalVocabulary:
    """Token ids of the markers and signal tokens in one tokenizer."""

    marker_ids: tuple[int, int]
    run_ids: dict[Modality, tuple[int, ...]]

    @property
    def all_ids(self) -> frozenset[int]:
        return frozenset(self.marker_ids).union(*self.run_ids.values())

    def modality_of(self, token_id: int) -> Modality | None:
        for modality, ids in self.run_ids.items():
            if token_id in ids:
                return modality
        return None


@dataclass(frozen=True)
class NormalisedAnswer:
    token_ids: list[int]
    runs: list[SignalRun]
    dropped_markers: int

    def run_for(self, modality: Modality) -> SignalRun | None:
        return next((run for run in self.runs if run.modality == modality), None)


def normalise_answer(raw_ids: Sequence[int], vocab: SignalVocabulary,
                     want: Iterable[Modality] = ()) -> NormalisedAnswer:
    """Rewrite generated ids so each requested modality has exactly one canonical run (see module docstring)."""
    out: list[int] = []
    runs: dict[Modality, SignalRun] = {}
    dropped: dict[Modality, int] = dict.fromkeys(MODALITIES, 0)
    dropped_markers = 0
    index = 0
    while index < len(raw_ids):
        token = raw_ids[index]
        if token in vocab.marker_ids:
            dropped_markers += 1
            index += 1
            continue
        modality = vocab.modality_of(token)
        if modality is None:
            out.append(token)
            index += 1
            continue
        canonical = vocab.run_ids[modality]
        if modality in runs:  # a repeat after the first run
            dropped[modality] += 1
            index += 1
            continue
        stretch_end = index
        while stretch_end < len(raw_ids) and raw_ids[stretch_end] in canonical:
            stretch_end += 1
        stretch = list(raw_ids[index:stretch_end])
        exact = stretch[:len(canonical)] == list(canonical)
        consumed = len(canonical) if exact else len(stretch)
        dropped[modality] += 0 if exact else max(len(stretch) - len(canonical), 0)
        runs[modality] = SignalRun(modality, "complete" if exact else "repaired", len(out), len(canonical), 0)
        out.extend(canonical)
        index += consumed
    for modality in want:
        if modality not in runs:
            runs[modality] = SignalRun(modality, "forced", len(out), len(vocab.run_ids[modality]), 0)
            out.extend(vocab.run_ids[modality])
    final = [SignalRun(r.modality, r.status, r.start, r.length, dropped[r.modality])
             for r in sorted(runs.values(), key=lambda r: r.start)]
    return NormalisedAnswer(out, final, dropped_markers)
