"""CIDEr-D as pycocoevalcap computes it (sigma 6, clipped tf-idf, x10), vectorised.

CIDEr-D needs the whole corpus: its idf comes from document frequencies over *all* reference sets, so it
cannot stream. Two pycocoevalcap details are reproduced on purpose because they change values:
the Gaussian length penalty uses the number of *bigrams* (its ``length`` counter only counts n == 2), and
n-grams of a prediction that never occur in the references get idf ``log(N)``.

:func:`cider_d_scores` is the kernel (corpus value and per-image scores); :func:`coco_cider_d` the functional
metric (a :class:`metrics.provenance.MetricResult`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from metrics.captions.corpus import CorpusScores, caption_provenance, check_aligned
from metrics.captions.ngrams import count_ngrams, lookup
from metrics.defaults import CIDER_MAX_ORDER, CIDER_SIGMA
from metrics.provenance import MetricResult, Provenance

#: Fewest images (reference sets) whose CIDEr-D is reported without a warning.  The idf of an n-gram is
#: log(N / df) over the N reference sets: with N = 1 it is 0 for every n-gram, so every caption -- a perfect match
#: included -- scores 0; with few sets it can only take the values log(N / k), common words weigh nothing and the
#: value moves with N.  Measured on the synthetic world's captions (prediction = first reference): 7.89 at N = 2,
#: 8.37 at N = 10, 8.48 at N = 50 (images); 4.90 / 5.17 / 5.10 (tones) -- from N = 10 on, within 2% of the
#: large-corpus value, which is why 10 is the threshold.
CIDER_MIN_IMAGES = 10


def corpus_size_warnings(n_images: int) -> tuple[str, ...]:
    """Provenance warnings for a CIDEr-D computed over ``n_images`` images (none from CIDER_MIN_IMAGES on)."""
    if n_images >= CIDER_MIN_IMAGES:
        return ()
    if n_images <= 1:
        return (f"CIDEr-D over {n_images} image is 0 for any caption, a perfect match included: its document "
                "frequencies come from the reference corpus, and with one reference set every n-gram has idf "
                f"log(1/1) = 0; score at least {CIDER_MIN_IMAGES} images together",)
    return (f"CIDEr-D over only {n_images} images: its idf (log N/df over the reference sets) is coarse below "
            f"{CIDER_MIN_IMAGES} images and the value depends on N (perfect matches on the synthetic captions: "
            f"7.9 at N = 2, 8.4 at N >= 10); not comparable with a corpus-level CIDEr",)


def cider_provenance(references: Sequence[Sequence[str]], tokenizer: str | None,
                     sigma: float = CIDER_SIGMA) -> Provenance:
    """Provenance of CIDEr-D over ``references``, with the small-corpus warning when it applies."""
    prov = caption_provenance("coco-cider-d", references, tokenizer, sigma=sigma, scale=10.0, idf="reference corpus")
    return prov.with_warnings(corpus_size_warnings(len(references)))


def coco_cider_d(
    predictions: Sequence[str],
    references: Sequence[Sequence[str]],
    *,
    tokenizer: str | None = None,
    sigma: float = CIDER_SIGMA,
) -> MetricResult:
    """Functional CIDEr-D on tokenised text (``tokenizer`` names what tokenised it, for the provenance)."""
    check_aligned(predictions, references, "coco_cider_d")
    scores = cider_d_scores(predictions, references, sigma)
    return MetricResult("cider", scores.value, cider_provenance(references, tokenizer, sigma))


def cider_d_scores(
    predictions: Sequence[str],
    references: Sequence[Sequence[str]],
    sigma: float = CIDER_SIGMA,
    max_order: int = CIDER_MAX_ORDER,
) -> CorpusScores:
    """Corpus CIDEr-D (the mean) and per-image scores for tokenised text."""
    n_images = len(predictions)
    ref_counts = np.array([len(refs) for refs in references], dtype=np.int64)
    sentences = [p.split() for p in predictions] + [r.split() for refs in references for r in refs]
    table = count_ngrams(sentences, max_order)
    image_of_ref = np.repeat(np.arange(n_images, dtype=np.int64), ref_counts)
    image_of_sentence = np.concatenate([np.arange(n_images, dtype=np.int64), image_of_ref])
    is_ref = table.sentence >= n_images

    # document frequency: number of images whose reference set contains the n-gram
    image_gram = np.unique(image_of_sentence[table.sentence[is_ref]] * table.n_grams + table.gram[is_ref])
    document_frequency = np.bincount(image_gram % table.n_grams, minlength=table.n_grams)
    log_n = np.log(float(n_images))
    idf = log_n - np.log(np.maximum(1.0, document_frequency.astype(np.float64)))

    weight = table.count.astype(np.float64) * idf[table.gram]
    n_sentences = len(sentences)
    norms = np.zeros((n_sentences, max_order))
    np.add.at(norms, (table.sentence, table.order), weight**2)
    norms = np.sqrt(norms)
    bigrams = np.maximum(table.lengths - 1, 0).astype(np.float64)

    # clipped dot products between each reference and its image's prediction
    hyp = ~is_ref
    hyp_key = table.sentence[hyp] * table.n_grams + table.gram[hyp]  # sorted: table is sorted by sentence
    ref_sentence = table.sentence[is_ref]
    ref_weight = weight[is_ref]
    hyp_weight = lookup(hyp_key, weight[hyp], image_of_sentence[ref_sentence] * table.n_grams +
                        table.gram[is_ref], 0.0)
    dots = np.zeros((n_sentences, max_order))
    np.add.at(dots, (ref_sentence, table.order[is_ref]), np.minimum(hyp_weight, ref_weight) * ref_weight)
    dots = dots[n_images:]

    ref_norms = norms[n_images:]
    hyp_norms = norms[image_of_ref]
    both = (hyp_norms != 0) & (ref_norms != 0)
    values = np.where(both, dots / np.where(both, hyp_norms * ref_norms, 1.0), dots)
    delta = bigrams[image_of_ref] - bigrams[n_images:]
    values = values * (np.e ** (-(delta**2) / (2 * sigma**2)))[:, None]

    per_image_sum = np.zeros((n_images, max_order))
    np.add.at(per_image_sum, image_of_ref, values)
    scores = per_image_sum.mean(axis=1) / ref_counts * 10.0
    return CorpusScores(float(np.mean(scores)), scores)
