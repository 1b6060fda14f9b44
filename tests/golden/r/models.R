# Golden values for surveykit.models (survey logistic and ordinal logistic), from R `survey`.
# Run from the repository root:
#   Rscript tests/golden/r/models.R
# Writes tests/golden/models.json at full precision (jsonlite, digits = NA).
#
# Calls recorded in the JSON under "call" for every case. Designs:
#   apistrat: svydesign(id = ~1, strata = ~stype, weights = ~pw, fpc = ~fpc, data = apistrat)
#   apiclus1: svydesign(id = ~dnum, weights = ~pw, fpc = ~fpc, data = apiclus1)
#   apiclus2: svydesign(id = ~dnum + snum, weights = ~pw, fpc = ~fpc1 + fpc2, data = apiclus2)
# svyolr is fitted by optim(BFGS); we pass control = list(reltol = 1e-14, maxit = 10000) through
# `...` so R's optimum is converged to well below the tolerances the tests use.
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

coef_table <- function(m, level = 0.95) {
  s <- summary(m)$coefficients
  ci <- confint(m, level = level)
  list(
    term = rownames(s), estimate = unname(s[, 1]), se = unname(s[, 2]),
    t = unname(s[, 3]), p_value = unname(s[, 4]),
    ci_low = unname(ci[, 1]), ci_high = unname(ci[, 2])
  )
}

glm_case <- function(dname, formula, family, family_name) {
  d <- designs[[dname]]
  m <- suppressWarnings(svyglm(formula, design = d, family = family, control = tight))
  rows <- which(complete.cases(model.frame(d)[, all.vars(formula)]))[1:5]  # first 5 complete rows
  newx <- model.frame(d)[rows, , drop = FALSE]
  pl <- predict(m, newdata = newx, type = "link")
  pr <- predict(m, newdata = newx, type = "response")
  list(
    call = paste0("svyglm(", deparse(formula), ", design = ", dname, ", family = ",
                  family_name, "(), control = glm.control(epsilon = 1e-14, maxit = 100))"),
    data = dname, formula = deparse(formula), family = family_name,
    coef = coef_table(m),
    ci90 = {ci <- confint(m, level = 0.90); list(ci_low = unname(ci[, 1]), ci_high = unname(ci[, 2]))},
    vcov = unname(vcov(m)),
    df_resid = m$df.residual,
    n = length(m$y), weighted_n = sum(weights(m$survey.design)),
    mcfadden = 1 - m$deviance / m$null.deviance,
    predict_rows = rows,
    predict_link = unname(as.numeric(pl)), predict_link_se = unname(as.numeric(SE(pl))),
    predict_response = unname(as.numeric(pr)), predict_response_se = unname(as.numeric(SE(pr)))
  )
}

# glm's default epsilon = 1e-8 leaves the IRLS weights (hence A^-1 and the SEs) one step behind
# the final coefficients, visible at ~5e-5 relative in the SEs; a tight tolerance removes that.
tight <- glm.control(epsilon = 1e-14, maxit = 100)
f_main <- I(sch.wide == "Yes") ~ ell + meals + mobility
cases <- list()
for (dn in names(designs)) {
  cases[[paste0(dn, "_quasibinomial")]] <- glm_case(dn, f_main, quasibinomial(), "quasibinomial")
  cases[[paste0(dn, "_binomial")]] <- glm_case(dn, f_main, binomial(), "binomial")
}
# Missing covariate values (acs.k3 has 44 NA in apiclus2): svyglm drops those rows from the
# design (`design[-nas, ]`), so PSU counts and degf are those of the complete cases.
f_na <- I(sch.wide == "Yes") ~ ell + meals + acs.k3
cases[["apiclus2_na_quasibinomial"]] <- glm_case("apiclus2", f_na, quasibinomial(), "quasibinomial")

# regTermTest for a multi-df term
f_stype <- I(sch.wide == "Yes") ~ ell + meals + stype
m_stype <- svyglm(f_stype, design = designs$apistrat, family = quasibinomial(), control = tight)
rt_f <- regTermTest(m_stype, ~stype)
rt_chi <- regTermTest(m_stype, ~stype, df = Inf)
rt_single <- regTermTest(m_stype, ~meals)
term_tests <- list(
  call = "regTermTest(svyglm(I(sch.wide == 'Yes') ~ ell + meals + stype, apistrat, quasibinomial(), control = glm.control(epsilon = 1e-14)), ~stype [, df = Inf])",
  coef = coef_table(m_stype),
  stype_F = as.numeric(rt_f$Ftest), stype_df = rt_f$df, stype_ddf = rt_f$ddf, stype_p = as.numeric(rt_f$p),
  stype_chisq = as.numeric(rt_chi$chisq), stype_chisq_p = as.numeric(rt_chi$p),
  meals_F = as.numeric(rt_single$Ftest), meals_p = as.numeric(rt_single$p)
)

# svyolr: api00 cut into 4 ordered groups
ds <- update(designs$apistrat, api4 = cut(api00, c(-Inf, 550, 650, 750, Inf),
                                          labels = c("low", "mid", "high", "top"), ordered_result = TRUE))
# optim(hessian = TRUE) differentiates the gradient numerically with step `ndeps` (default 1e-3);
# svyolr's sandwich uses that Hessian, so its default SEs carry ~2e-4 relative finite-difference
# error. ndeps = 1e-6 makes that error negligible; the default-ndeps SEs are kept for reference.
olr_default <- svyolr(api4 ~ meals + ell + stype, design = ds, control = list(reltol = 1e-14, maxit = 10000))
olr <- svyolr(api4 ~ meals + ell + stype, design = ds,
              control = list(reltol = 1e-14, maxit = 10000, ndeps = rep(1e-6, 7)))
V_olr <- vcov(olr)
ordinal <- list(
  call = paste("svyolr(api4 ~ meals + ell + stype, design = apistrat with",
               "api4 = cut(api00, c(-Inf, 550, 650, 750, Inf), ordered), control = list(reltol = 1e-14, maxit = 10000, ndeps = rep(1e-6, 7)))"),
  breaks = c(550, 650, 750), levels = olr$lev,
  beta_terms = names(coef(olr))[seq_along(olr$coefficients)],
  beta = unname(olr$coefficients), zeta_terms = names(olr$zeta), zeta = unname(olr$zeta),
  se = unname(sqrt(diag(V_olr))), vcov = unname(V_olr),
  se_default_ndeps = unname(sqrt(diag(vcov(olr_default)))),
  df_resid = olr$df.residual, deviance = olr$deviance, convergence = olr$convergence,
  stype_F = as.numeric(regTermTest(olr, ~stype)$Ftest), stype_p = as.numeric(regTermTest(olr, ~stype)$p)
)

out <- list(
  versions = list(R = as.character(getRversion()), survey = as.character(packageVersion("survey")),
                  jsonlite = as.character(packageVersion("jsonlite"))),
  glm = cases, term_tests = term_tests, ordinal = ordinal
)
write_json(out, file.path("tests", "golden", "models.json"), digits = NA, auto_unbox = TRUE, pretty = TRUE)
