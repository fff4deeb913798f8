"""Tiny baseline folders: small models with random weights, saved in each library's own folder format.

They are what a user's real folders would be (a diffusers pipeline folder, a transformers model folder, a cascade
``model.json``) at a size that runs on a laptop CPU, so the adapters of ``nextgpt.adapters`` can be tested and
demonstrated without downloading anything. The diffusion pipelines are the tiny NExT-GPT preset's own decoders, so a
tiny baseline and the tiny NExT-GPT generate through the same networks. Nothing here is comparable with published
numbers: the weights are random.

This package sits beside ``nextgpt.training``: it builds from ``nextgpt.model`` (decoders, tokenizers) and never
imports the adapters or the harness.
"""
