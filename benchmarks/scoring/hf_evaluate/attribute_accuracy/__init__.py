"""The ``attribute_accuracy`` evaluate module (script ``attribute_accuracy.py``), loaded by
``benchmarks.scoring.hf_evaluate.load("attribute_accuracy")``."""
