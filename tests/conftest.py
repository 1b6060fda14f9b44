"""Test-session settings. Under CI (``CI`` set) Hypothesis runs derandomized: the same examples on
every run, so a red CI is always reproducible; local runs keep exploring new examples."""

from __future__ import annotations

import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
settings.register_profile("dev", print_blob=True)
settings.load_profile("ci" if os.environ.get("CI") else "dev")
