"""Training the bundled NExT-GPT: the paper's three stages (examples, batches, losses, the loop)."""
