"""``surveykit.reproduce`` is :mod:`surveykit.studies.safety_net_2018.reproduce` (the 2018 study's code lives
under ``studies/``); this name is kept so that existing imports keep working.
"""

import sys

from surveykit.studies.safety_net_2018 import reproduce as _module

sys.modules[__name__] = _module
