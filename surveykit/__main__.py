"""``python -m surveykit``: the same as the ``surveykit`` command."""

import sys

from surveykit.cli import main

sys.exit(main())
