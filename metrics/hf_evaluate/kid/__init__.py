"""The ``kid`` evaluate module (script ``kid.py``): ``metrics.hf_evaluate.load("kid")``."""
