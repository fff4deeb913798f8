"""The ground floor every other layer stands on: errors, modalities, request/result types, the model interface
and media I/O. It imports nothing from the rest of the project (see ARCHITECTURE.md)."""
