"""The ``fid`` evaluate module (script ``fid.py``): ``metrics.hf_evaluate.load("fid")``."""
