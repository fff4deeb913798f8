"""The ``clip_i`` evaluate module (script ``clip_i.py``): ``metrics.hf_evaluate.load("clip_i")``."""
