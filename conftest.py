"""Settings for every test run, unit tests and notebooks alike (notebook kernels inherit the environment)."""

import os

# Tests never depend on the network: the Hub is offline, so notebooks use segtutor's bundled checkpoints.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
