# Golden values for Firth's penalised logistic regression in surveykit.models: penalised
# estimates, profile penalised-likelihood CIs, penalised likelihood-ratio tests, FLIC, and the
# design-effect-rescaled profile under weights and clusters.
# Run from the repository root:
#   Rscript tests/golden/r/firth.R
# Writes tests/golden/firth.json at full precision (jsonlite, digits = NA).
#
# The logistf package is not installed here, so this script computes logistf's quantities from
# first principles (an exact reference, no finite differences):
#   penalised log-likelihood  pl(b) = sum w (y log p + (1-y) log(1-p)) + 0.5 log det(X' W X),
#                             W = diag(w p (1-p))  (Firth 1993, Jeffreys prior; logistf's default)
#   estimate: optim(BFGS) on pl with its analytic gradient (Firth's modified score), polished by
#             Newton steps b += (X'WX)^-1 U*(b) until |step| < 1e-13;
#   profile:  pl_j(c) = max pl(b) subject to b_j = c, by the same Newton iterations on the
#             other coefficients (exact gradient, so the constrained maximum is exact);
#   CI:       {c : 2 (pl(b^) - pl_j(c)) <= d * qchisq(1 - alpha, 1)}, ends by uniroot(tol = 1e-12)
#             (logistf's profile penalised-likelihood interval; d = 1 for a simple random sample);
#   test:     chisq = 2 (pl(b^) - pl_j(0)), p = pchisq(chisq / d, 1, lower.tail = FALSE)
#             (logistf's penalised likelihood-ratio test);
#   FLIC:     intercept re-estimated by weighted ML with the Firth linear predictor without its
#             intercept as offset (Puhr et al. 2017), glm(y ~ 1, offset =, weights =).
# Design case: weights rescaled to mean 1 (as surveykit's sampling-weight semantics); design
#   variance of the Firth estimating functions by survey's svyrecvar on U* (X'WX)^-1 (as
#   svyglm's svy.varcoef); d = the mean of the generalised design effects (eigenvalues of
#   V_model^-1 V_design, V_model = (X'WX)^-1) over the coefficients not involved in the
#   separation (all but `dia` here), the first-order Rao-Scott correction.
# Data: logistf's sex2 (logistf 1.26.1, GPL; urinary tract infection in college women, n = 239),
#   exported to tests/data/models/sex2.csv.
suppressPackageStartupMessages({
  library(survey)
  library(jsonlite)
})

sex2 <- read.csv("tests/data/models/sex2.csv")
y <- sex2$case
X <- cbind(Intercept = 1, as.matrix(sex2[, c("age", "oc", "vic", "vicl", "vis", "dia")]))

pl <- function(b, w) {
  eta <- drop(X %*% b); p <- plogis(eta)
  A <- crossprod(X * (w * p * (1 - p)), X)
  sum(w * (y * eta - log1p(exp(eta)))) + 0.5 * determinant(A, logarithm = TRUE)$modulus[1]
}
mscore <- function(b, w) {
  p <- plogis(drop(X %*% b))
  A <- crossprod(X * (w * p * (1 - p)), X)
  Ainv <- solve(A)
  h <- w * p * (1 - p) * rowSums((X %*% Ainv) * X)
  list(U = X * (w * (y - p) + h * (0.5 - p)), A = A, Ainv = Ainv)
}
newton <- function(b, w, free = seq_along(b)) {
  for (i in 1:200) {
    s <- mscore(b, w)
    step <- solve(s$A[free, free, drop = FALSE], colSums(s$U)[free])
    f <- 1
    repeat {
      nb <- b; nb[free] <- b[free] + f * step
      if (pl(nb, w) >= pl(b, w) - 1e-12 * abs(pl(b, w)) || f < 1e-8) break
      f <- f / 2
    }
    b <- nb
    if (max(abs(f * step)) < 1e-13) break
  }
  b
}
firth <- function(w) {
  o <- optim(rep(0, ncol(X)), function(b) -pl(b, w), function(b) -colSums(mscore(b, w)$U),
             method = "BFGS", control = list(reltol = 1e-14, maxit = 10000))
  newton(o$par, w)
}
profile_j <- function(b_hat, w, j, value) {
  b <- b_hat; b[j] <- value
  pl(newton(b, w, free = setdiff(seq_along(b), j)), w)
}
profile_ci <- function(b_hat, w, d, alpha = 0.05) {
  top <- pl(b_hat, w); q <- d * qchisq(1 - alpha, 1)
  se <- sqrt(diag(mscore(b_hat, w)$Ainv))
  ci <- matrix(NA, ncol(X), 2)
  chisq <- numeric(ncol(X))
  for (j in seq_len(ncol(X))) {
    f <- function(v) 2 * (top - profile_j(b_hat, w, j, v)) - q
    for (side in 1:2) {
      sgn <- c(-1, 1)[side]; step <- 2 * se[j] * sqrt(d)
      while (f(b_hat[j] + sgn * step) < 0) step <- 2 * step
      ends <- sort(c(b_hat[j], b_hat[j] + sgn * step))
      ci[j, side] <- uniroot(f, ends, tol = 1e-12)$root
    }
    chisq[j] <- 2 * (top - profile_j(b_hat, w, j, 0))
  }
  list(ci_low = ci[, 1], ci_high = ci[, 2], chisq = chisq,
       p_value = pchisq(chisq / d, 1, lower.tail = FALSE))
}
flic <- function(b_hat, w) {
  off <- drop(X[, -1] %*% b_hat[-1])
  g <- suppressWarnings(glm(y ~ 1, offset = off, weights = w, family = binomial(),
                            control = glm.control(epsilon = 1e-14, maxit = 100)))
  b0 <- unname(coef(g))
  list(intercept = b0, fitted_first10 = plogis(b0 + off)[1:10], mean_fitted = sum(w * plogis(b0 + off)) / sum(w))
}

# Case 1: unit weights (simple random sample): logistf's numbers.
w1 <- rep(1, nrow(X))
b1 <- firth(w1)
prof1 <- profile_ci(b1, w1, 1)
case_srs <- c(list(term = colnames(X), estimate = b1, model_se = sqrt(diag(mscore(b1, w1)$Ainv)),
                   loglik_penalised = pl(b1, w1), deff = 1), prof1, list(flic = flic(b1, w1)))

# Case 2: unequal weights and clusters of 3 consecutive rows.
i <- seq_len(nrow(X))
sex2$w <- 1 + ((i - 1) %% 4) / 2
sex2$cl <- (i - 1) %/% 3 + 1
des <- svydesign(ids = ~cl, weights = ~w, data = sex2)
ws <- sex2$w / mean(sex2$w)
b2 <- firth(ws)
s2 <- mscore(b2, ws)
V2 <- svyrecvar(s2$U %*% s2$Ainv, des$cluster, des$strata, des$fpc, postStrata = des$postStrata)
keep <- colnames(X) != "dia"
gdeff <- Re(eigen(solve(s2$Ainv[keep, keep], V2[keep, keep]), only.values = TRUE)$values)
d2 <- mean(gdeff)
prof2 <- profile_ci(b2, ws, d2)
case_design <- c(list(term = colnames(X), estimate = b2, se = sqrt(diag(V2)), deff = d2,
                      generalised_deffs = sort(gdeff)), prof2, list(flic = flic(b2, ws)))

# Case 3: plain ML on the individual rows (for weights_are = "frequency" on aggregated rows):
#   glm(binomial) coefficients and model-based SEs.
ml <- glm(case ~ age + oc + vic, data = sex2, family = binomial(),
          control = glm.control(epsilon = 1e-14, maxit = 100))
case_ml <- list(call = "glm(case ~ age + oc + vic, data = sex2, family = binomial())",
                term = names(coef(ml)), estimate = unname(coef(ml)),
                se = unname(sqrt(diag(vcov(ml)))), df_residual = ml$df.residual)

out <- list(
  generated_by = "tests/golden/r/firth.R",
  R_version = R.version.string,
  packages = list(survey = as.character(packageVersion("survey")),
                  jsonlite = as.character(packageVersion("jsonlite"))),
  data = "tests/data/models/sex2.csv (logistf 1.26.1 sex2)",
  formula = "case ~ age + oc + vic + vicl + vis + dia",
  design_case = "weights w = 1 + ((row - 1) %% 4) / 2, clusters (row - 1) %/% 3 + 1, svydesign(ids = ~cl, weights = ~w)",
  alpha = 0.05,
  srs = case_srs,
  design = case_design,
  ml_individual = case_ml
)
write_json(out, "tests/golden/firth.json", digits = NA, auto_unbox = TRUE, pretty = TRUE)
