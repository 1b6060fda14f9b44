# Golden values for surveykit.models.multinomial (design-weighted multinomial logit).
# Run from the repository root:
#   Rscript tests/golden/r/multinom.R
# Writes tests/golden/multinom.json at full precision (jsonlite, digits = NA) and the input
# tests/data/models/api_multinom.csv (apistrat with the derived outcome `band`).
#
# R survey has no multinomial model, so the reference is built from its parts:
#   coefficients: nnet::multinom(y ~ x, weights = w) (the weighted pseudo-MLE; recorded as
#     `multinom_estimate`). multinom stops its BFGS at reltol ~1e-8, so the script then takes
#     exact Newton steps on the same weighted log-likelihood (analytic score and Hessian) from
#     multinom's solution until |step| < 1e-13 (`estimate`; it differs from multinom's by its
#     BFGS tolerance only).
#   SEs: the design-based sandwich A^-1 B A^-1, as svyglm's svy.varcoef: A the weighted
#     information of the multinomial logit (analytic), the estimating-function rows
#     u_i = w_i (y_ik - p_ik) x_i (category-major: all terms of the first non-reference
#     category, then the next) multiplied by A^-1, and B their design variance by
#     survey::svyrecvar(u %*% A^-1, design$cluster, design$strata, design$fpc).
#   Weights are rescaled to mean 1 for the fit (estimates and the sandwich do not change).
#   Predicted probabilities at the first 5 rows; relative-risk ratios exp(coef).
suppressPackageStartupMessages({
  library(survey)
  library(nnet)
  library(jsonlite)
})
data(api)

apistrat$band <- cut(apistrat$api00, c(-Inf, 600, 750, Inf), labels = c("low", "mid", "high"))
write.csv(apistrat[, c("cds", "stype", "pw", "fpc", "api00", "band", "ell", "meals", "mobility")],
          "tests/data/models/api_multinom.csv", row.names = FALSE)

mn_case <- function(design, formula, reference) {
  mf <- model.frame(formula, model.frame(design))
  y <- relevel(factor(model.response(mf)), ref = reference)
  X <- model.matrix(formula, mf)
  w <- weights(design, "sampling"); w <- w / mean(w)
  lev <- levels(y); K <- length(lev); p <- ncol(X)
  Y <- sapply(lev[-1], function(l) as.numeric(y == l))
  fit <- multinom(y ~ X - 1, weights = w, trace = FALSE, maxit = 10000, reltol = 1e-16, abstol = 1e-300)
  b <- as.vector(t(coef(fit)))  # category-major
  b_mn <- b
  probs <- function(b) {
    E <- exp(X %*% matrix(b, p, K - 1))
    E / (1 + rowSums(E))
  }
  info <- function(P) {
    A <- matrix(0, p * (K - 1), p * (K - 1))
    for (k in 1:(K - 1)) for (l in 1:(K - 1)) {
      v <- w * P[, k] * ((k == l) - P[, l])
      A[(k - 1) * p + 1:p, (l - 1) * p + 1:p] <- crossprod(X * v, X)
    }
    A
  }
  for (i in 1:100) {
    P <- probs(b)
    U <- do.call(cbind, lapply(1:(K - 1), function(k) X * (w * (Y[, k] - P[, k]))))
    step <- solve(info(P), colSums(U))
    b <- b + step
    if (max(abs(step)) < 1e-13) break
  }
  P <- probs(b)
  U <- do.call(cbind, lapply(1:(K - 1), function(k) X * (w * (Y[, k] - P[, k]))))
  Ainv <- solve(info(P))
  V <- svyrecvar(U %*% Ainv, design$cluster, design$strata, design$fpc, postStrata = design$postStrata)
  newp <- cbind(1 - rowSums(P), P)[1:5, ]
  list(formula = deparse(formula), reference = reference, levels = lev,
       outcome = rep(lev[-1], each = p), term = rep(colnames(X), K - 1),
       multinom_estimate = b_mn, estimate = b, se = sqrt(diag(V)), vcov = V,
       rrr = exp(b), predicted_first5 = newp, degf = degf(design))
}

strat <- svydesign(id = ~1, strata = ~stype, weights = ~pw, fpc = ~fpc, data = apistrat)
clus1 <- svydesign(id = ~dnum, weights = ~pw, fpc = ~fpc, data = apiclus1)

out <- list(
  generated_by = "tests/golden/r/multinom.R",
  R_version = R.version.string,
  packages = list(survey = as.character(packageVersion("survey")),
                  nnet = as.character(packageVersion("nnet")),
                  jsonlite = as.character(packageVersion("jsonlite"))),
  cases = list(
    apistrat_band = c(list(design = "svydesign(id = ~1, strata = ~stype, weights = ~pw, fpc = ~fpc, data = apistrat)",
                           data = "tests/data/models/api_multinom.csv"),
                      mn_case(strat, band ~ ell + meals + mobility, "low")),
    apistrat_band_ref_high = c(list(design = "svydesign(id = ~1, strata = ~stype, weights = ~pw, fpc = ~fpc, data = apistrat)",
                                    data = "tests/data/models/api_multinom.csv"),
                               mn_case(strat, band ~ ell + meals, "high")),
    apiclus1_stype = c(list(design = "svydesign(id = ~dnum, weights = ~pw, fpc = ~fpc, data = apiclus1)",
                            data = "tests/data/api/apiclus1.csv"),
                       mn_case(clus1, stype ~ ell + meals + mobility, "E"))
  )
)
write_json(out, "tests/golden/multinom.json", digits = NA, auto_unbox = TRUE, pretty = TRUE, matrix = "rowmajor")
