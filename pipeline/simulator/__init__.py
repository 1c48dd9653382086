"""A simulated Hugging Face Hub: a seeded world that evolves day by day, its ground truth, and an
HTTP server that answers as the Hub's API does (see docs/SIMULATOR.md)."""
