"""The ``clipsim`` evaluate module (script ``clipsim.py``): ``metrics.hf_evaluate.load("clipsim")``."""
