"""Survey models: logistic (with Firth), ordinal (proportional-odds) and multinomial logistic,
linear and Poisson regression.

Estimates are weighted pseudo-MLE; variances are the design-based sandwich of R ``survey``
(``svyglm``, ``svyolr``), computed with the shared Taylor kernel ``design.variance.design_vcov``.
"""

from surveykit.models._formula_build import sorted_levels as categorical_levels
from surveykit.models._glm import MAX_ITER as ML_MAX_ITER
from surveykit.models._glm import TOL as ML_TOL
from surveykit.models._glm_family import MAX_ITER as IRLS_MAX_ITER
from surveykit.models._glm_family import TOL as IRLS_TOL
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
    # the stopping rules of the Newton/IRLS fits (the lazy engine's models take the same steps)
    "ML_MAX_ITER",
    "ML_TOL",
    "IRLS_MAX_ITER",
    "IRLS_TOL",
    # the order of a categorical covariate's levels (the lazy engine's models code them alike)
    "categorical_levels",
]
