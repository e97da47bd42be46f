"""Shared test settings: quiet libraries.

Tests that write cache entries point ``LESSONS_CACHE`` at their own ``tmp_path``;
the notebook tests share the learner's cache on purpose (warm caches keep
them inside their time budgets, and entries are keyed by their inputs).
"""

import os

os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
