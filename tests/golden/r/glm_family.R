# Golden values for surveykit.models.linear and surveykit.models.poisson, from R `survey`.
# Run from the repository root:
#   Rscript tests/golden/r/glm_family.R
# Writes tests/golden/glm_family.json at full precision (jsonlite, digits = NA).
# svyglm(family = gaussian()) and svyglm(family = quasipoisson()) with
# control = glm.control(epsilon = 1e-14, maxit = 100) so the IRLS weights behind the SEs belong
# to the final coefficients. Factors come first in the formulas (patsy orders their columns
# first). Predictions: predict(svyglm, newdata, type = "link"/"response")
# with SE() at the first 5 complete rows.
suppressPackageStartupMessages({
  library(survey)
  library(jsonlite)
})
data(api)
designs <- list(
  apistrat = svydesign(id = ~1, strata = ~stype, weights = ~pw, fpc = ~fpc, data = apistrat),
  apiclus1 = svydesign(id = ~dnum, weights = ~pw, fpc = ~fpc, data = apiclus1),
  apiclus2 = svydesign(id = ~dnum + snum, weights = ~pw, fpc = ~fpc1 + fpc2, data = apiclus2)
)
tight <- glm.control(epsilon = 1e-14, maxit = 100)

glm_case <- function(dname, formula, family, family_name) {
  d <- designs[[dname]]
  m <- svyglm(formula, design = d, family = family, control = tight)
  s <- summary(m)$coefficients
  ci <- confint(m)
  rows <- which(complete.cases(model.frame(d)[, all.vars(formula)]))[1:5]
  newx <- model.frame(d)[rows, , drop = FALSE]
  pl <- predict(m, newdata = newx, type = "link")
  pr <- predict(m, newdata = newx, type = "response")
  # svyglm's SEs use the IRLS working weights of the previous iterate; with counts in the
  # hundreds that leaves them ~3e-8 relative behind the final coefficients. `se_exact` is the
  # sandwich at the converged coefficients (extra Newton steps on the weighted score, weights
  # scaled to mean 1; svyrecvar of the score rows times A^-1), the exact reference.
  X <- model.matrix(m); wt <- weights(d); wt <- wt[rownames(X)] / mean(wt[rownames(X)])
  yy <- m$y; b <- coef(m)
  inv_link <- if (family_name == "gaussian") identity else exp
  for (i in 1:20) {
    mu <- drop(inv_link(X %*% b)); v <- if (family_name == "gaussian") 1 else mu
    b <- b + solve(crossprod(X * (wt * v), X), colSums(X * (wt * (yy - mu))))
  }
  mu <- drop(inv_link(X %*% b)); v <- if (family_name == "gaussian") 1 else mu
  se_exact <- sqrt(diag(svyrecvar((X * (wt * (yy - mu))) %*% solve(crossprod(X * (wt * v), X)),
                                  m$survey.design$cluster, m$survey.design$strata,
                                  m$survey.design$fpc)))
  list(se_exact = unname(se_exact), call = paste0("svyglm(", deparse(formula), ", design = ", dname, ", family = ", family_name,
                     "(), control = glm.control(epsilon = 1e-14, maxit = 100))"),
       data = dname, formula = deparse(formula), family = family_name,
       term = rownames(s), estimate = unname(s[, 1]), se = unname(s[, 2]), t = unname(s[, 3]),
       p_value = unname(s[, 4]), ci_low = unname(ci[, 1]), ci_high = unname(ci[, 2]),
       vcov = unname(vcov(m)), df_resid = m$df.residual, n = length(m$y),
       predict_link = as.numeric(pl), predict_link_se = as.numeric(SE(pl)),
       predict_response = as.numeric(pr), predict_response_se = as.numeric(SE(pr)))
}

cases <- list(
  apistrat_gaussian = glm_case("apistrat", api00 ~ stype + ell + meals + mobility, gaussian(), "gaussian"),
  apiclus1_gaussian = glm_case("apiclus1", api00 ~ ell + meals + mobility, gaussian(), "gaussian"),
  apiclus2_gaussian_na = glm_case("apiclus2", api00 ~ ell + meals + acs.k3, gaussian(), "gaussian"),
  apistrat_quasipoisson = glm_case("apistrat", api.stu ~ stype + ell + meals, quasipoisson(), "quasipoisson"),
  apiclus1_quasipoisson = glm_case("apiclus1", enroll ~ ell + meals + mobility, quasipoisson(), "quasipoisson"),
  apiclus2_quasipoisson = glm_case("apiclus2", enroll ~ ell + meals, quasipoisson(), "quasipoisson")
)
# Generalised VIFs (Fox & Monette 1992) from the weighted correlation of the model-matrix
# columns without the intercept, as car::vif's formula det(R11) det(R22) / det(R) (car is not
# installed here, so the formula is applied directly).
gvif_case <- function(formula, data, w) {
  X <- model.matrix(formula, data)[, -1, drop = FALSE]
  R <- cov.wt(X, wt = w / sum(w), cor = TRUE)$cor
  assign <- attr(model.matrix(formula, data), "assign")[-1]
  labs <- attr(terms(formula), "term.labels")
  g <- sapply(seq_along(labs), function(t) {
    i <- which(assign == t)
    det(R[i, i, drop = FALSE]) * det(R[-i, -i, drop = FALSE]) / det(R)
  })
  list(term = labs, gvif = g, df = as.vector(table(assign)))
}
vif <- list(apistrat = c(list(formula = "api00 ~ stype + ell + meals + mobility"),
                         gvif_case(api00 ~ stype + ell + meals + mobility, apistrat, apistrat$pw)))

out <- list(generated_by = "tests/golden/r/glm_family.R", R_version = R.version.string,
            packages = list(survey = as.character(packageVersion("survey")),
                            jsonlite = as.character(packageVersion("jsonlite"))),
            cases = cases, vif = vif)
write_json(out, "tests/golden/glm_family.json", digits = NA, auto_unbox = TRUE, pretty = TRUE, matrix = "rowmajor")
