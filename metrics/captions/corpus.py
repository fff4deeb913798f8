"""A tokenised caption corpus: one prediction and >= 1 references per id, aligned and validated; and what the
caption metrics share: :class:`CorpusScores` (a corpus value and its per-image scores) and the provenance of a
caption metric (:func:`caption_provenance`)."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from metrics.captions.ptb_tokenizer import CaptionTokenizer, get_tokenizer
from metrics.defaults import DEFAULT_CAPTION_TOKENIZER
from metrics.errors import CaptionInputError
from metrics.provenance import Provenance, Scalar

logger = logging.getLogger("metrics")


@dataclass(frozen=True)
class CaptionCorpus:
    """Aligned captions. ``predictions[i]`` is scored against ``references[i]`` (both tokenised)."""

    ids: tuple[str, ...]
    predictions: tuple[str, ...]
    references: tuple[tuple[str, ...], ...]
    raw_predictions: tuple[str, ...]
    raw_references: tuple[tuple[str, ...], ...]
    tokenizer: str

    def __len__(self) -> int:
        return len(self.ids)

    def subset(self, indices: Sequence[int]) -> CaptionCorpus:
        """The corpus restricted to ``indices`` (repeats allowed; used by the bootstrap)."""
        pick = list(indices)
        return CaptionCorpus(
            ids=tuple(self.ids[i] for i in pick),
            predictions=tuple(self.predictions[i] for i in pick),
            references=tuple(self.references[i] for i in pick),
            raw_predictions=tuple(self.raw_predictions[i] for i in pick),
            raw_references=tuple(self.raw_references[i] for i in pick),
            tokenizer=self.tokenizer,
        )


@dataclass(frozen=True)
class CorpusScores:
    """What a caption metric's kernel computes: the corpus value and the per-image scores (N,) beside it
    (the corpus value is their mean for ROUGE-L and CIDEr-D, METEOR's own corpus statistic for METEOR)."""

    value: float
    per_sample: np.ndarray


def caption_provenance(metric: str, references: Sequence[Sequence[str]], tokenizer: str | None,
                       **settings: Scalar) -> Provenance:
    """Provenance of a caption metric over ``references`` (one list per image); settings sorted by name."""
    return Provenance(
        metric=metric,
        n_samples=len(references),
        n_reference=sum(len(r) for r in references),
        tokenizer=tokenizer,
        settings=tuple(sorted(settings.items())),
    )


def check_aligned(predictions: Sequence[str], references: Sequence[Sequence[str]], metric: str) -> None:
    """One prediction per reference list, at least one image: else a CaptionInputError naming ``metric``."""
    if len(predictions) != len(references):
        raise CaptionInputError(f"{metric}: {len(predictions)} predictions but {len(references)} reference lists; "
                                "pass one prediction per image")
    if not predictions:
        raise CaptionInputError(f"{metric}: no captions to score")


def _as_reference_list(value: object, key: str, source: str) -> list[str]:
    refs = [value] if isinstance(value, str) else value
    if not isinstance(refs, list) or not all(isinstance(r, str) for r in refs):
        raise CaptionInputError(f"{source}: references for id {key!r} must be a string or a list of strings")
    return refs


def build_corpus(
    predictions: Mapping[str, str | Sequence[str]],
    references: Mapping[str, str | Sequence[str]],
    tokenizer: str | CaptionTokenizer = DEFAULT_CAPTION_TOKENIZER,
    *,
    predictions_source: str = "predictions",
    references_source: str = "references",
) -> CaptionCorpus:
    """Validate and tokenise. Ids must match exactly; empty captions are errors (never silent zeros).

    Order follows the references mapping, as pycocoevalcap iterates ``gts``; that matters only for the PTB
    lexer's cross-line look-ahead on abbreviations.
    """
    missing_pred = [k for k in references if k not in predictions]
    missing_refs = [k for k in predictions if k not in references]
    if missing_pred or missing_refs:
        parts = []
        if missing_pred:
            parts.append(f"{len(missing_pred)} id(s) in {references_source} have no prediction in "
                         f"{predictions_source} (first: {missing_pred[:5]})")
        if missing_refs:
            parts.append(f"{len(missing_refs)} id(s) in {predictions_source} have no references in "
                         f"{references_source} (first: {missing_refs[:5]})")
        raise CaptionInputError("; ".join(parts) + "; score the same set of ids on both sides")
    if not references:
        raise CaptionInputError(f"{references_source}: no captions to score")
    ids = [str(k) for k in references]
    preds: list[str] = []
    for key in references:
        value = predictions[key]
        if not isinstance(value, str):
            if isinstance(value, list) and len(value) == 1 and isinstance(value[0], str):
                value = value[0]
            else:
                raise CaptionInputError(
                    f"{predictions_source}: id {key!r} must have exactly one predicted caption (a string)"
                )
        if not value.strip():
            raise CaptionInputError(
                f"{predictions_source}: prediction for id {key!r} is empty; an empty caption would score a "
                "silent 0 -- regenerate it or drop the id from both files"
            )
        preds.append(value)
    refs: list[list[str]] = []
    for key in references:
        ref_list = _as_reference_list(references[key], key, references_source)
        if not ref_list:
            raise CaptionInputError(f"{references_source}: id {key!r} has no reference captions")
        for j, ref in enumerate(ref_list):
            if not ref.strip():
                raise CaptionInputError(f"{references_source}: reference {j} of id {key!r} is empty")
        refs.append(ref_list)

    tok = get_tokenizer(tokenizer) if isinstance(tokenizer, str) else tokenizer
    flat_refs = [r for ref_list in refs for r in ref_list]
    tokenized_refs_flat = tok.tokenize(flat_refs)
    tokenized_preds = tok.tokenize(preds)
    tokenized_refs: list[tuple[str, ...]] = []
    position = 0
    for ref_list in refs:
        tokenized_refs.append(tuple(tokenized_refs_flat[position : position + len(ref_list)]))
        position += len(ref_list)
    return CaptionCorpus(
        ids=tuple(ids),
        predictions=tuple(tokenized_preds),
        references=tuple(tokenized_refs),
        raw_predictions=tuple(preds),
        raw_references=tuple(tuple(r) for r in refs),
        tokenizer=tok.name,
    )
