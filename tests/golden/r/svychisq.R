# Golden values for Crosstab.test(): every svychisq statistic ("F", "Chisq", "Wald", "adjWald",
# "saddlepoint", "lincom") on Taylor and replicate designs of R's api data.
# Run from the repository root: Rscript tests/golden/r/svychisq.R -> tests/golden/svychisq.json
# Designs: apistrat (strata stype, fpc), apiclus1 (clusters dnum, fpc), apiclus2 (two stages,
# fpc), and JK1 / JKn replicates of apiclus1 / apistrat (as.svrepdesign). Tables: stype x sch.wide
# (2 df) and stype x api3 (4 df), api3 = cut(api00, c(-Inf, 600, 700, Inf)).
# Notes on R 4.1-1:
# * "lincom" needs CompQuadForm (not installed here, nor packaged for Debian); R then warns and
#   falls back to the saddlepoint, so its "lincom" p equals its "saddlepoint" p. `lincom_exact`
#   is the exact tail computed here independently, with the eigenvalues of Delta (from R's
#   formulas as in svychisq): on a Taylor design, as R's pFsum, against the denominator
#   chi^2_ddf / ddf, ddf = d0 nu, by Imhof's inversion formula with integrate(rel.tol = 1e-12);
#   on a replicate design, as R's pchisqsum, without denominator, by Ruben's series.
# * "saddlepoint" solves the saddle point with uniroot(tol = 1e-8); `saddlepoint_tight` is R's
#   survey:::saddle with that tolerance set to 1e-15 (the same formula otherwise, including
#   pFsum's rep() of the denominator term floor(ddf) times).
suppressPackageStartupMessages({library(survey); library(jsonlite)})
rd <- function(nm) {
  d <- read.csv(file.path("tests", "data", "api", paste0(nm, ".csv")))
  d$api3 <- as.character(cut(d$api00, c(-Inf, 600, 700, Inf)))
  d
}
apistrat <- rd("apistrat"); apiclus1 <- rd("apiclus1"); apiclus2 <- rd("apiclus2")
dstrat <- svydesign(id = ~1, strata = ~stype, weights = ~pw, fpc = ~fpc, data = apistrat)
dclus1 <- svydesign(id = ~dnum, weights = ~pw, fpc = ~fpc, data = apiclus1)
dclus2 <- svydesign(id = ~dnum + snum, fpc = ~fpc1 + fpc2, data = apiclus2)
designs <- list(strat = dstrat, clus1 = dclus1, clus2 = dclus2,
                jk1 = as.svrepdesign(dclus1, type = "JK1"), jkn = as.svrepdesign(dstrat, type = "JKn"))
vec <- function(x) unname(as.vector(x))

saddle_tight <- survey:::saddle
body(saddle_tight) <- parse(text = gsub("tol = 1e-08", "tol = 1e-15", paste(deparse(body(survey:::saddle)),
                                                                               collapse = "\n")))[[1]]
# Taylor (R's pFsum): P(sum a_j Z_j^2 - (x/ddf) chi^2_ddf > 0) by Imhof's formula (c = 0: the
# integrand decays as a power of u, so integrate() converges)
imhof0 <- function(lambda, h) {
  f <- function(u) sapply(u, function(uu) {
    if (uu == 0) return(0.5 * sum(h * lambda))
    sin(0.5 * sum(h * atan(lambda * uu))) / (uu * exp(0.25 * sum(h * log1p((lambda * uu)^2))))
  })
  0.5 + integrate(f, 0, Inf, rel.tol = 1e-12, abs.tol = 1e-15, subdivisions = 5000)$value / pi
}
# replicate designs (R's pchisqsum): P(sum a_j Z_j^2 > x), a_j > 0, by Ruben's (1962) series
# P(Q <= x) = sum_k c_k P(chi^2_{n + 2k} <= x / b), b = min(a), summed until the terms vanish
ruben <- function(x, a) {
  b <- min(a); n <- length(a); g <- function(m) 0.5 * sum((1 - b / a)^m)
  cc <- prod(sqrt(b / a)); total <- cc[1] * pchisq(x / b, n)
  for (k in 1:5000) {
    ck <- sum(sapply(0:(k - 1), function(r) g(k - r) * cc[r + 1])) / k
    cc <- c(cc, ck); term <- ck * pchisq(x / b, n + 2 * k); total <- total + term
    if (ck < 1e-18) break
  }
  1 - total
}
deltas <- function(formula, d) {
  rows <- formula[[2]][[2]]; cols <- formula[[2]][[3]]
  nr <- length(unique(d$variables[, as.character(rows)])); nc <- length(unique(d$variables[, as.character(cols)]))
  fsat <- eval(bquote(~interaction(factor(.(rows)), factor(.(cols))) - 1))
  mm <- model.matrix(fsat, model.frame(fsat, d$variables, na.action = na.pass))
  mf1 <- expand.grid(rows = 1:nr, cols = 1:nc)
  X1 <- model.matrix(~factor(rows) + factor(cols), mf1); X12 <- model.matrix(~factor(rows) * factor(cols), mf1)
  mean2 <- svymean(mm, d, na.rm = TRUE)
  Cmat <- qr.resid(qr(X1), X12[, -(1:(nr + nc - 1)), drop = FALSE])
  iD <- diag(ifelse(mean2 == 0, 0, 1 / mean2)); N <- nrow(mm)
  Delta <- solve(t(Cmat) %*% (iD / N) %*% Cmat, t(Cmat) %*% iD %*% attr(mean2, "var") %*% iD %*% Cmat)
  eigen(Delta, only.values = TRUE)$values
}
one <- function(d, formula) {
  te <- function(st) {
    x <- suppressWarnings(svychisq(formula, d, statistic = st))
    list(statistic = vec(x$statistic), parameter = vec(x$parameter), p_value = vec(x$p.value))
  }
  out <- sapply(c("F", "Chisq", "Wald", "adjWald", "saddlepoint", "lincom"), te, simplify = FALSE)
  a <- Re(deltas(formula, d))
  x2 <- out$Chisq$statistic
  if (inherits(d, "svyrep.design")) {
    out$saddlepoint_tight <- saddle_tight(x2, a)
    out$lincom_exact <- ruben(x2, a)
  } else {
    ddf <- out$F$parameter[2]
    out$saddlepoint_tight <- saddle_tight(0, c(a, rep(-x2 / ddf, ddf)))
    out$lincom_exact <- imhof0(c(a, -x2 / ddf), c(rep(1, length(a)), ddf))
  }
  out$deltas <- sort(a, decreasing = TRUE)
  out$degf <- degf(d)
  out
}
out <- list(r_version = R.version.string, survey_version = as.character(packageVersion("survey")),
            cases = lapply(designs, function(d) list(sch_wide = one(d, ~stype + sch.wide), api3 = one(d, ~stype + api3))))
write_json(out, file.path("tests", "golden", "svychisq.json"), digits = NA, auto_unbox = TRUE, pretty = FALSE)
