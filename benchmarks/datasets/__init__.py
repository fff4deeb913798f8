"""Datasets for the benchmark tasks: the built-in synthetic world, the public layouts, JSONL manifests."""
