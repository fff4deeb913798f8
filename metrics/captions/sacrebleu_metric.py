"""sacreBLEU (13a tokenisation on raw text, 0-100 scale): a different BLEU from COCO's, named separately."""

from __future__ import annotations

from collections.abc import Sequence

from metrics.defaults import SACREBLEU_TOKENIZE


def sacrebleu_corpus(
    predictions: Sequence[str], references: Sequence[Sequence[str]], tokenize: str = SACREBLEU_TOKENIZE
) -> tuple[float, str]:
    """(score, sacreBLEU signature) on *untokenised* captions; a variable number of references is allowed."""
    from sacrebleu.metrics import BLEU

    n_streams = max(len(refs) for refs in references)
    streams = [[refs[j] if j < len(refs) else None for refs in references] for j in range(n_streams)]
    metric = BLEU(tokenize=tokenize)
    score = metric.corpus_score(list(predictions), streams)
    return float(score.score), str(metric.get_signature())
