"""The ``fad`` evaluate module (script ``fad.py``): ``metrics.hf_evaluate.load("fad")``."""
