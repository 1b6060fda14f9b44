"""Survey models: logistic (with Firth) and ordinal (proportional-odds) logistic regression.

Estimates are weighted pseudo-MLE; variances are the design-based sandwich of R ``survey``
(``svyglm``, ``svyolr``), computed with the shared Taylor kernel ``_variance.design_vcov``.
"""

from surveykit.models._glm_family import GlmResult, glm, linear
from surveykit.models._inference import TermTest
from surveykit.models._logistic import LogisticResult, logistic
from surveykit.models._ordinal import OrdinalResult, ordinal_logistic
from surveykit.models._results import MarginalEffects

__all__ = ["logistic", "ordinal_logistic", "LogisticResult", "OrdinalResult", "MarginalEffects",
           "TermTest", "linear", "glm", "GlmResult"]
