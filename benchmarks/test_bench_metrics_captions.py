"""CIDEr-D and BLEU on 5,000 captions: metrics/ beside pycocoevalcap in the same run.

Speed-up floors are set from repeated runs on the 2-core CI machine class, a safe margin below the worst
(median in parentheses): BLEU 3.85x, 5.15x, 6.43x (5.15x) and 2.5x in a fresh-clone report; CIDEr-D 4.75x,
4.40x, 3.17x (4.40x) and 4.0x. The ratio of each run is in ``extra_info['speedup_vs_pycocoevalcap']``. An
earlier 5x floor came from a run whose reference timings a busy machine had inflated.

Both sides get the same PTB-tokenised text (tokenisation is not part of the timing). Run with
``pytest benchmarks/test_bench_metrics_captions.py --benchmark-only``.
"""

from __future__ import annotations

import random
import time

import pytest

N_IMAGES = 5000
N_REFS = 5
BLEU_SPEEDUP_FLOOR = 2.0
CIDER_SPEEDUP_FLOOR = 2.0

_WORDS = [
    "a", "an", "the", "man", "woman", "dog", "cat", "two", "three", "people", "sitting", "on", "top", "of",
    "table", "with", "red", "blue", "large", "small", "is", "are", "riding", "horse", "street", "bus",
    "kitchen", "near", "next", "to", "pizza", "plate", "skateboard", "surfer", "wave", "bench", "park",
    "tennis", "player", "white", "black", "young", "old", "grass", "field", "water", "beach", "snow"
]


@pytest.fixture(scope="module")
def corpus() -> tuple[dict, dict]:
    rng = random.Random(0)

    def sentence() -> str:
        return " ".join(rng.choice(_WORDS) for _ in range(rng.randint(6, 14)))

    gts = {i: [sentence() for _ in range(N_REFS)] for i in range(N_IMAGES)}
    res = {i: [gts[i][0] if i % 4 == 0 else sentence()] for i in range(N_IMAGES)}
    return gts, res


def _ours_bleu(gts: dict, res: dict) -> list[float]:
    from metrics.captions.bleu import coco_bleu

    return [result.value for result in coco_bleu([res[k][0] for k in gts], [gts[k] for k in gts])]


def _ours_cider(gts: dict, res: dict) -> float:
    from metrics.captions.cider import coco_cider_d

    return coco_cider_d([res[k][0] for k in gts], [gts[k] for k in gts]).value


def _reference_bleu(gts: dict, res: dict) -> list[float]:
    from pycocoevalcap.bleu.bleu import Bleu

    return Bleu(4).compute_score(gts, res, verbose=0)[0]


def _reference_cider(gts: dict, res: dict) -> float:
    from pycocoevalcap.cider.cider import Cider

    return Cider().compute_score(gts, res)[0]


def _best_of(function, *args, repeats: int = 3) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function(*args)
        times.append(time.perf_counter() - start)
    return min(times)


@pytest.mark.benchmark(group="bleu-5000-captions")
def test_bleu_pycocoevalcap(benchmark, corpus) -> None:  # type: ignore[no-untyped-def]
    benchmark.pedantic(_reference_bleu, args=corpus, rounds=3, iterations=1)


@pytest.mark.benchmark(group="bleu-5000-captions")
def test_bleu_metrics(benchmark, corpus) -> None:  # type: ignore[no-untyped-def]
    ours = benchmark.pedantic(_ours_bleu, args=corpus, rounds=5, iterations=1)
    assert ours == pytest.approx(_reference_bleu(*corpus), abs=1e-6)
    speedup = _best_of(_reference_bleu, *corpus) / benchmark.stats.stats.min
    benchmark.extra_info["speedup_vs_pycocoevalcap"] = round(speedup, 2)
    assert speedup >= BLEU_SPEEDUP_FLOOR, f"BLEU only {speedup:.1f}x faster than pycocoevalcap"


@pytest.mark.benchmark(group="cider-d-5000-captions")
def test_cider_pycocoevalcap(benchmark, corpus) -> None:  # type: ignore[no-untyped-def]
    benchmark.pedantic(_reference_cider, args=corpus, rounds=3, iterations=1)


@pytest.mark.benchmark(group="cider-d-5000-captions")
def test_cider_metrics(benchmark, corpus) -> None:  # type: ignore[no-untyped-def]
    ours = benchmark.pedantic(_ours_cider, args=corpus, rounds=5, iterations=1)
    assert ours == pytest.approx(_reference_cider(*corpus), abs=1e-6)
    speedup = _best_of(_reference_cider, *corpus) / benchmark.stats.stats.min
    benchmark.extra_info["speedup_vs_pycocoevalcap"] = round(speedup, 2)
    assert speedup >= CIDER_SPEEDUP_FLOOR, f"CIDEr-D only {speedup:.1f}x faster than pycocoevalcap"
