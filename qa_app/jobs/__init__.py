"""Background processing: the worker loop and the periodic scheduler (never inside web processes)."""
