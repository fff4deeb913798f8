"""Vectorised n-gram counting shared by BLEU and CIDEr-D.

pycocoevalcap builds one Python dict of n-gram tuples per sentence. Here every n-gram of every sentence gets a
dense integer id with ``numpy.unique`` (an order-k id is built from the order-(k-1) id at the same position and
the next word), so counting, clipping and document frequencies become sorts and segment reductions. This is
where the >=5x speed-up over pycocoevalcap comes from; the arithmetic on the counts mirrors pycocoevalcap's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class NgramCounts:
    """Sparse (sentence, n-gram) -> count table for a list of sentences, sorted by (sentence, gram)."""

    sentence: np.ndarray  # int64 (M,) index of the sentence
    gram: np.ndarray  # int64 (M,) global n-gram id (shared by every sentence indexed together)
    order: np.ndarray  # int64 (M,) n - 1
    count: np.ndarray  # int64 (M,)
    lengths: np.ndarray  # int64 (S,) number of tokens of each sentence
    n_grams: int  # number of distinct n-gram ids


def count_ngrams(sentences: Sequence[Sequence[str]], max_order: int) -> NgramCounts:
    """Count all 1..max_order-grams of already-tokenised sentences."""
    vocabulary: dict[str, int] = {}
    flat = [vocabulary.setdefault(word, len(vocabulary)) for sentence in sentences for word in sentence]
    lengths = np.fromiter((len(s) for s in sentences), dtype=np.int64, count=len(sentences))
    words = np.asarray(flat, dtype=np.int64)
    sentence_of_token = np.repeat(np.arange(len(sentences), dtype=np.int64), lengths)
    starts = np.concatenate(([0], np.cumsum(lengths)[:-1])) if len(sentences) else np.zeros(0, np.int64)
    remaining = lengths[sentence_of_token] - (np.arange(len(words)) - starts[sentence_of_token])

    n_vocab = max(len(vocabulary), 1)
    prefix = words.copy()  # dense id of the order-k gram starting at each position
    all_sentences, all_grams, all_orders = [], [], []
    offset = 0
    for k in range(max_order):
        valid = np.flatnonzero(remaining > k)
        keys = prefix[valid] * n_vocab + words[valid + k] if k > 0 else prefix[valid]
        unique, dense = np.unique(keys, return_inverse=True)
        prefix = np.full(len(words), -1, dtype=np.int64)
        prefix[valid] = dense
        all_sentences.append(sentence_of_token[valid])
        all_grams.append(dense + offset)
        all_orders.append(np.full(len(valid), k, dtype=np.int64))
        offset += len(unique)
    n_grams = max(offset, 1)
    sentence_ids = np.concatenate(all_sentences) if all_sentences else np.zeros(0, np.int64)
    grams = np.concatenate(all_grams) if all_grams else np.zeros(0, np.int64)
    orders = np.concatenate(all_orders) if all_orders else np.zeros(0, np.int64)
    pair, first, count = np.unique(sentence_ids * n_grams + grams, return_index=True, return_counts=True)
    return NgramCounts(
        sentence=pair // n_grams,
        gram=pair % n_grams,
        order=orders[first],
        count=count.astype(np.int64),
        lengths=lengths,
        n_grams=n_grams,
    )


def lookup(keys_sorted: np.ndarray, values: np.ndarray, queries: np.ndarray, default: float = 0) -> np.ndarray:
    """``values[i]`` where ``keys_sorted[i] == query``, else ``default`` (vectorised dict.get)."""
    if len(keys_sorted) == 0:
        return np.full(len(queries), default, dtype=values.dtype)
    where = np.searchsorted(keys_sorted, queries)
    where_clipped = np.minimum(where, len(keys_sorted) - 1)
    found = keys_sorted[where_clipped] == queries
    return np.where(found, values[where_clipped], default)
