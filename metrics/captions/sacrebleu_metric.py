"""sacreBLEU (13a tokenisation on raw text, 0-100 scale): a different BLEU from COCO's, named separately."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from metrics.captions.corpus import caption_provenance, check_aligned
from metrics.defaults import SACREBLEU_TOKENIZE
from metrics.provenance import MetricResult


@dataclass(frozen=True)
class SacreBleuScore:
    """sacreBLEU's corpus score and the signature that says how it was computed."""

    value: float
    signature: str


def sacrebleu_score(
    predictions: Sequence[str], references: Sequence[Sequence[str]], tokenize: str = SACREBLEU_TOKENIZE
) -> SacreBleuScore:
    """Score and signature on *untokenised* captions; a variable number of references is allowed."""
    from sacrebleu.metrics import BLEU

    n_streams = max(len(refs) for refs in references)
    streams = [[refs[j] if j < len(refs) else None for refs in references] for j in range(n_streams)]
    metric = BLEU(tokenize=tokenize)
    score = metric.corpus_score(list(predictions), streams)
    return SacreBleuScore(float(score.score), str(metric.get_signature()))


def sacrebleu_corpus(
    predictions: Sequence[str], references: Sequence[Sequence[str]], tokenize: str = SACREBLEU_TOKENIZE
) -> MetricResult:
    """Functional sacreBLEU on *untokenised* captions; the signature is the provenance setting ``signature``."""
    check_aligned(predictions, references, "sacrebleu_corpus")
    score = sacrebleu_score(predictions, references, tokenize)
    provenance = caption_provenance("sacrebleu", references, f"sacrebleu-{tokenize}", signature=score.signature)
    return MetricResult("sacrebleu", score.value, provenance)
