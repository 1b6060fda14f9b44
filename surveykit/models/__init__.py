"""Survey models: logistic (with Firth), ordinal (proportional-odds) and multinomial logistic,
linear and Poisson regression.

Estimates are weighted pseudo-MLE; variances are the design-based sandwich of R ``survey``
(``svyglm``, ``svyolr``), computed with the shared Taylor kernel ``design.variance.design_vcov``.
"""

from surveykit.models._glm_family import GLMResult, GlmResult, glm, linear, poisson
from surveykit.models._inference import TermTest, coef_frame
from surveykit.models._logistic import LogisticResult, logistic
from surveykit.models._multinomial import MultinomialResult, multinomial
from surveykit.models._ordinal import OrdinalResult, ordinal_logistic
from surveykit.models._results import MarginalEffects

__all__ = [
    "logistic",
    "ordinal_logistic",
    "multinomial",
    "linear",
    "poisson",
    "glm",
    "GlmResult",
    "GLMResult",
    "LogisticResult",
    "OrdinalResult",
    "MultinomialResult",
    "MarginalEffects",
    "TermTest",
    "coef_frame",
]
