"""``python -m surveykit``: the same as the ``surveykit`` command."""

import sys

from surveykit.cli import main

if __name__ == "__main__":  # guarded: worker processes re-import this module
    sys.exit(main())
