"""The ``coco_captions`` evaluate module (script ``coco_captions.py``): ``hf_evaluate.load("coco_captions")``."""
