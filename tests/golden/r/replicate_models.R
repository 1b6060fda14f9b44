# Golden values for surveykit.models.logistic and surveykit.models.ordinal_logistic on replicate
# designs (R svyglm / svyolr on as.svrepdesign designs) and ordinal_logistic(link=) on Taylor
# designs (R svyolr(method=)).
# Run from the repository root: Rscript tests/golden/r/replicate_models.R
#   -> tests/golden/replicate_models.json (jsonlite, digits = NA)
#
# Designs (as tests/golden/r/replicate.R): JK1 on apiclus1 (cluster design with fpc), JKn on
# apistrat (stratified, fpc), BRR on apistrat paired into 100 strata of two schools (R's
# replicate factors are saved in tests/data/replicate/brr.csv by replicate.R; the same pairing
# and order here), and the Taylor designs apistrat / apiclus1. api4 = cut(api00, c(-Inf, 550,
# 650, 750, Inf)) as an ordered factor.
#
# Tight references (R's defaults stop early):
# * svyglm: control = glm.control(epsilon = 1e-14, maxit = 100), refitted from its converged
#   coefficients so that the IRLS working weights belong to the solution (see replicate.R); the
#   replicate refits use the same control (svyglm.svyrep.design passes full$control).
# * svyolr is fitted by optim(BFGS). Taylor: svyolr(..., control = list(reltol = 1e-14, maxit =
#   10000, ndeps = 1e-6)). Replicate: svyolr.svyrep.design passes `...` to the full-sample polr
#   only, so every replicate is refitted by MASS::polr with its default reltol 1e-8, *and with
#   method = "logistic" whatever method= was asked for* (R 4.1-1 bug: a probit svyolr on a
#   replicate design mixes probit estimates with logit refits). `r_default` keeps R's own output.
#   The exact reference (`exact`) refits every replicate with MASS::polr(method =, control =
#   list(reltol = 1e-14, maxit = 10000)) and then polishes every fit (full-sample and replicate)
#   with Newton steps on the analytic weighted score (olr_grad below; the Hessian is a
#   Richardson-extrapolated central difference of that score, which changes the step, not the
#   fixed point) until the score is ~0; V = svrVar of the polished refits around the polished
#   full-sample fit (R's coef = start), df = degf - p.
#   Taylor `exact`: the same polished fit, V = H^-1 svyrecvar(score rows) H^-1 with that Hessian.
# * Links: R's svyolr on a Taylor design with method = "cloglog" uses survey:::pgumbel,
#   F(z) = exp(-exp(-z)) (a log-log link: surveykit link = "loglog"); MASS::polr(method =
#   "cloglog") uses F(z) = 1 - exp(-exp(z)) (surveykit link = "cloglog"). Both are computed here.
# R prints "non-integer #successes in a binomial glm!" warnings: polr's start values come from a
# weighted binomial glm; they do not touch the results.
suppressPackageStartupMessages({library(survey); library(MASS); library(jsonlite)})
rd <- function(nm) read.csv(file.path("tests", "data", "api", paste0(nm, ".csv")))
prep <- function(d) {
  d$yes <- as.numeric(d$sch.wide == "Yes")
  d$api4 <- cut(d$api00, c(-Inf, 550, 650, 750, Inf), ordered_result = TRUE)
  d
}
apistrat <- prep(rd("apistrat")); apiclus1 <- prep(rd("apiclus1"))
apistrat <- apistrat[order(apistrat$stype, apistrat$snum), ]
apistrat$pair <- paste(apistrat$stype, (ave(seq_len(nrow(apistrat)), apistrat$stype, FUN = seq_along) - 1) %/% 2)
rownames(apistrat) <- NULL
dclus1 <- svydesign(id = ~dnum, weights = ~pw, fpc = ~fpc, data = apiclus1)
dstrat <- svydesign(id = ~1, strata = ~stype, weights = ~pw, fpc = ~fpc, data = apistrat)
dpair <- svydesign(id = ~snum, strata = ~pair, weights = ~pw, data = apistrat)
brr <- read.csv(file.path("tests", "data", "replicate", "brr.csv"))
stopifnot(all(brr$snum == apistrat$snum))
reps <- list(
  jk1 = as.svrepdesign(dclus1, type = "JK1"),
  jkn = as.svrepdesign(dstrat, type = "JKn"),
  brr = svrepdesign(data = apistrat, repweights = as.matrix(brr[, -1]), weights = ~pw, type = "BRR",
                    combined.weights = FALSE)
)
vec <- function(x) unname(as.vector(x))
tight <- glm.control(epsilon = 1e-14, maxit = 100)

# --- logistic -----------------------------------------------------------------------------------
logit_fit <- function(d, f) {
  m0 <- eval(bquote(svyglm(.(f), d, family = quasibinomial(), control = tight)))
  m <- eval(bquote(svyglm(.(f), d, family = quasibinomial(), start = .(coef(m0)), control = tight)))
  list(term = names(coef(m)), coef = vec(coef(m)), se = vec(SE(m)), vcov = vec(vcov(m)), df = vec(m$df.residual),
       degf = degf(d))
}

# --- cumulative-link models ---------------------------------------------------------------------
links <- list(
  logit = list(p = plogis, d = dlogis, polr = "logistic"),
  probit = list(p = pnorm, d = dnorm, polr = "probit"),
  cloglog = list(p = function(z) -expm1(-exp(z)), d = function(z) ifelse(is.finite(z), exp(z - exp(z)), 0),
                 polr = "cloglog"),
  loglog = list(p = function(z) exp(-exp(-z)), d = function(z) ifelse(is.finite(z), exp(-z - exp(-z)), 0),
                polr = "loglog")
)
# weighted score rows of sum w log(F(zeta_y - x'b) - F(zeta_{y-1} - x'b)) in (b, zeta)
olr_rows <- function(par, X, y, w, L) {
  p <- ncol(X); q <- length(par) - p
  cuts <- c(-Inf, par[p + seq_len(q)], Inf); eta <- drop(X %*% par[seq_len(p)])
  a <- cuts[y + 1] - eta; b <- cuts[y] - eta
  P <- L$p(a) - L$p(b); u <- L$d(a) / P; v <- L$d(b) / P
  Z <- sapply(seq_len(q), function(k) w * (u * (y == k) - v * (y == k + 1)))
  cbind(-X * (w * (u - v)), Z)
}
olr_grad <- function(par, X, y, w, L) colSums(olr_rows(par, X, y, w, L))
olr_hess <- function(par, X, y, w, L) {
  k <- length(par); H <- matrix(0, k, k)
  for (j in seq_len(k)) {
    h <- 1e-4 * (1 + abs(par[j])); e <- replace(numeric(k), j, 1)
    cd <- function(s) (olr_grad(par + s * e, X, y, w, L) - olr_grad(par - s * e, X, y, w, L)) / (2 * s)
    H[, j] <- (4 * cd(h / 2) - cd(h)) / 3  # Richardson: O(h^4)
  }
  (H + t(H)) / 2
}
polish <- function(par, X, y, w, L) {
  for (i in 1:30) {
    g <- olr_grad(par, X, y, w, L)
    step <- solve(olr_hess(par, X, y, w, L), g)
    par <- par - step
    if (max(abs(step)) < 1e-13 * (1 + max(abs(par)))) break
  }
  par
}
polr_ctl <- list(reltol = 1e-14, maxit = 10000)
wpolr <- function(f, d, w, ...) { dat <- model.frame(d); dat$.w <- w; polr(f, data = dat, weights = .w, ...) }
olr_data <- function(d, f) {
  mf <- model.frame(f, model.frame(d))
  X <- model.matrix(f, mf)[, -1, drop = FALSE]
  list(X = X, y = as.integer(model.response(mf)), lev = levels(model.response(mf)))
}
olr_replicate <- function(d, f, link) {
  L <- links[[link]]; od <- olr_data(d, f)
  w <- weights(d, "sampling")
  r_default <- if (link %in% c("logit", "probit")) {
    m <- suppressWarnings(svyolr(f, d, method = L$polr))
    list(coef = vec(c(m$coefficients, m$zeta)), se = vec(sqrt(diag(vcov(m)))), df = vec(m$df.residual))
  }
  full <- wpolr(f, d, w, method = L$polr, control = polr_ctl)
  start <- polish(c(full$coefficients, full$zeta), od$X, od$y, w, L)
  rw <- weights(d, "analysis")
  betas <- t(apply(rw, 2, function(wr) {
    m <- wpolr(f, d, wr, method = L$polr, start = start, control = polr_ctl)
    polish(c(m$coefficients, m$zeta), od$X, od$y, wr, L)
  }))
  V <- svrVar(betas, d$scale, d$rscales, mse = d$mse, coef = start)
  list(term = c(colnames(od$X), paste(head(od$lev, -1), od$lev[-1], sep = "|")),
       exact = list(coef = vec(start), se = vec(sqrt(diag(V))), vcov = vec(V), df = degf(d) - ncol(od$X),
                    max_score = max(abs(olr_grad(start, od$X, od$y, w, L)))),
       r_default = r_default)
}
olr_taylor <- function(d, f, link) {
  L <- links[[link]]; od <- olr_data(d, f); w <- weights(d)
  out <- list()
  if (link != "cloglog") {  # R's method = "cloglog" is surveykit's loglog
    m <- svyolr(f, d, method = if (link == "loglog") "cloglog" else L$polr,
                control = list(reltol = 1e-14, maxit = 10000, ndeps = rep(1e-6, ncol(od$X) + length(od$lev) - 1)))
    out$r_svyolr <- list(method = if (link == "loglog") "cloglog" else L$polr,
                         coef = vec(c(m$coefficients, m$zeta)), se = vec(sqrt(diag(vcov(m)))),
                         df = vec(m$df.residual))
    start <- c(m$coefficients, m$zeta)
  } else {
    m <- wpolr(f, d, w, method = "cloglog", control = polr_ctl)
    start <- c(m$coefficients, m$zeta)
  }
  par <- polish(start, od$X, od$y, w, L)
  H <- olr_hess(par, od$X, od$y, w, L)
  inf <- olr_rows(par, od$X, od$y, w, L) %*% solve(H)
  V <- svyrecvar(inf, d$cluster, d$strata, d$fpc, postStrata = d$postStrata)
  out$term <- c(colnames(od$X), paste(head(od$lev, -1), od$lev[-1], sep = "|"))
  out$exact <- list(coef = vec(par), se = vec(sqrt(diag(V))), vcov = vec(V), df = degf(d) - ncol(od$X),
                    max_score = max(abs(olr_grad(par, od$X, od$y, w, L))))
  out
}

f_logit <- yes ~ ell + meals + stype
f_logit_clus <- yes ~ ell + meals
f_olr <- api4 ~ meals + ell + stype
f_olr_clus <- api4 ~ meals + ell
lk <- c("logit", "probit", "cloglog", "loglog")
# R's Hadamard matrices (survey::hadamard(n) for n strata, as brrweights uses them), column-major
# 0/1 strings, for surveykit.design.replicate_hadamard
had_n <- c(1, 2, 5, 8, 13, 20, 23, 40, 59, 76, 100, 150, 239)
hadamards <- lapply(had_n, function(n) { H <- hadamard(n); list(n = n, order = nrow(H),
                                                                bits = paste(as.vector(H), collapse = "")) })
out <- list(
  hadamard = hadamards,
  r_version = R.version.string, survey_version = as.character(packageVersion("survey")),
  mass_version = as.character(packageVersion("MASS")),
  logistic = list(jk1 = logit_fit(reps$jk1, f_logit_clus), jkn = logit_fit(reps$jkn, f_logit),
                  brr = logit_fit(reps$brr, f_logit)),
  ordinal_replicate = list(
    jk1 = sapply(lk, function(l) olr_replicate(reps$jk1, f_olr_clus, l), simplify = FALSE),
    jkn = sapply(lk, function(l) olr_replicate(reps$jkn, f_olr, l), simplify = FALSE),
    brr = sapply(c("logit", "probit"), function(l) olr_replicate(reps$brr, f_olr, l), simplify = FALSE)
  ),
  ordinal_taylor = list(
    strat = sapply(lk, function(l) olr_taylor(dstrat, f_olr, l), simplify = FALSE),
    clus1 = sapply(lk, function(l) olr_taylor(dclus1, f_olr_clus, l), simplify = FALSE)
  )
)
write_json(out, file.path("tests", "golden", "replicate_models.json"), digits = NA, auto_unbox = TRUE, pretty = FALSE)
