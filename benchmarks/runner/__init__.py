"""The benchmark runner, its generation cache and the results store."""
