"""Adapters: models that are not NExT-GPT, wrapped in the model interface (``nextgpt.core.interface``).

Each adapter loads a library's own local folder format (nothing is downloaded) and answers the harness's requests,
so the suite can measure the paper's baselines with the same data, seeds and metric networks as NExT-GPT. This
package sits in the same layer as ``nextgpt.model``: it imports only ``nextgpt.core`` and third-party libraries.
"""
