# Golden values for Survey.quantile(qrule=, interval=): every R 4.x quantile rule (math, school,
# shahvaish, hf1..hf9) and the score interval, on R's api data.
# Run from the repository root: Rscript tests/golden/r/quantile_rules.R
#   -> tests/golden/quantile_rules.json (jsonlite, digits = NA)
# Designs: apistrat (strata stype, fpc), apiclus1 (clusters dnum, fpc), apisrs (equal weights,
# no fpc: p * sum(w) hits the cumulative weights exactly at p = 0.1, ..., 0.9), and a JK1 replicate
# design of apiclus1 (as.svrepdesign). Variables: api00 (integers, many ties) and api.stu.
# For each rule: the estimates and Woodruff "mean" limits at p = 0.1, 0.25, 0.5, 0.75, 0.9 and
# (Taylor) domain estimates by stype; on the JK1 design the "quantile" (repCI) limits. The score
# interval (ffullerCI) is R's: its uniroot(tol = 1/(100 sqrt(n))) ends within that tolerance
# of a jump of the step-function score; surveykit locates the jump exactly and takes the side R's
# zeroin keeps (the smaller |score|), so the limits agree exactly (they are data values).
suppressPackageStartupMessages({library(survey); library(jsonlite)})
rd <- function(nm) read.csv(file.path("tests", "data", "api", paste0(nm, ".csv")))
apistrat <- rd("apistrat"); apiclus1 <- rd("apiclus1"); apisrs <- rd("apisrs")
dstrat <- svydesign(id = ~1, strata = ~stype, weights = ~pw, fpc = ~fpc, data = apistrat)
dclus1 <- svydesign(id = ~dnum, weights = ~pw, fpc = ~fpc, data = apiclus1)
jk1 <- as.svrepdesign(dclus1, type = "JK1")
# equal weights: p * sum(w) meets the cumulative weights exactly, where the rules differ most
dsrs <- svydesign(id = ~1, weights = ~pw, data = apisrs)
rules <- c("math", "school", "shahvaish", paste0("hf", 1:9))
probs <- c(0.1, 0.25, 0.5, 0.75, 0.9)
vec <- function(x) unname(as.vector(x))
q <- function(d, var, rule, type, p = probs) {
  r <- suppressWarnings(svyquantile(as.formula(paste("~", var)), d, p, qrule = rule, interval.type = type))[[1]]
  list(estimate = vec(r[, 1]), ci_low = vec(r[, 2]), ci_high = vec(r[, 3]), se = vec(r[, 4]))
}
by_q <- function(d, var, rule, type = "mean") {
  b <- suppressWarnings(svyby(as.formula(paste("~", var)), ~stype, d, svyquantile, quantiles = 0.5, qrule = rule,
                              interval.type = type,
                              ci = TRUE, vartype = "ci", keep.var = TRUE))
  list(keys = as.character(b$stype), estimate = vec(b[[var]]), ci_low = vec(b[["ci_l"]]), ci_high = vec(b[["ci_u"]]))
}
taylor <- function(d) sapply(c("api00", "api.stu"), function(v) list(
  rules = sapply(rules, function(r) q(d, v, r, "mean"), simplify = FALSE),
  by = sapply(c("math", "school", "hf7"), function(r) by_q(d, v, r), simplify = FALSE),
  score = sapply(c("math", "school", "hf7"), function(r) q(d, v, r, "score"), simplify = FALSE),
  by_score = sapply(c("math", "hf7"), function(r) by_q(d, v, r, "score"), simplify = FALSE)),
  simplify = FALSE)
out <- list(
  r_version = R.version.string, survey_version = as.character(packageVersion("survey")), probs = probs,
  strat = taylor(dstrat), clus1 = taylor(dclus1), srs = taylor(dsrs),
  jk1 = sapply(rules, function(r) q(jk1, "api00", r, "quantile"), simplify = FALSE)
)
write_json(out, file.path("tests", "golden", "quantile_rules.json"), digits = NA, auto_unbox = TRUE, pretty = FALSE)
