"""Shared pytest settings: keep torch to the cores CI has, and plots headless."""

import os

os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.setdefault("OMP_NUM_THREADS", "2")
