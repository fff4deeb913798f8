"""METEOR 1.5 through the jar pycocoevalcap ships (needs Java). Without Java it is *unavailable*, never 0."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from metrics.captions.corpus import CorpusScores, caption_provenance, check_aligned
from metrics.errors import MetricUnavailableError
from metrics.provenance import MetricResult, Provenance


def meteor_jar() -> Path:
    if shutil.which("java") is None:
        raise MetricUnavailableError("METEOR 1.5 needs `java` on PATH (a JRE >= 8); install one to report it")
    try:
        import pycocoevalcap.meteor as package
    except ImportError as error:  # pragma: no cover - pinned dependency
        raise MetricUnavailableError("METEOR needs the pycocoevalcap package (meteor-1.5.jar)") from error
    jar = Path(package.__path__[0]) / "meteor-1.5.jar"
    if not jar.is_file():
        raise MetricUnavailableError(f"METEOR jar not found at {jar}; reinstall pycocoevalcap==1.2")
    return jar


def meteor_provenance(references: Sequence[Sequence[str]], tokenizer: str | None) -> Provenance:
    return caption_provenance("coco-meteor-1.5", references, tokenizer, language="en", norm=True)


def coco_meteor(
    predictions: Sequence[str], references: Sequence[Sequence[str]], *, tokenizer: str | None = None
) -> MetricResult:
    """Functional METEOR 1.5 on tokenised text; without Java (or the jar) an *unavailable* result saying why."""
    check_aligned(predictions, references, "coco_meteor")
    provenance = meteor_provenance(references, tokenizer)
    try:
        scores = meteor_scores(predictions, references)
    except MetricUnavailableError as error:
        return MetricResult.unavailable("meteor", str(error), provenance)
    return MetricResult("meteor", scores.value, provenance)


def meteor_scores(predictions: Sequence[str], references: Sequence[Sequence[str]]) -> CorpusScores:
    """Corpus METEOR and per-image METEOR with pycocoevalcap's protocol (``-l en -norm``, EVAL over all);
    raises MetricUnavailableError without Java."""
    jar = meteor_jar()
    command = ["java", "-jar", "-Xmx2G", jar.name, "-", "-", "-stdio", "-l", "en", "-norm"]
    process = subprocess.Popen(command, cwd=jar.parent, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL)
    assert process.stdin is not None and process.stdout is not None
    try:
        stats = []
        for prediction, refs in zip(predictions, references):
            hypothesis = prediction.replace("|||", "").replace("  ", " ")
            line = " ||| ".join(("SCORE", " ||| ".join(refs), hypothesis))
            process.stdin.write(f"{line}\n".encode())
            process.stdin.flush()
            stats.append(process.stdout.readline().decode().strip())
        process.stdin.write(("EVAL ||| " + " ||| ".join(stats) + "\n").encode())
        process.stdin.flush()
        scores = np.array([float(process.stdout.readline().strip()) for _ in stats])
        corpus = float(process.stdout.readline().strip())
    except ValueError as error:
        raise MetricUnavailableError(f"the METEOR jar returned unparsable output: {error}") from error
    finally:
        process.stdin.close()
        process.kill()
        process.wait()
    return CorpusScores(corpus, scores)
