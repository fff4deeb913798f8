"""The ``clip_score`` evaluate module (script ``clip_score.py``): ``metrics.hf_evaluate.load("clip_score")``."""
