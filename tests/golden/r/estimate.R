# Golden values for surveykit.estimate (mean, total, proportion, ratio, quantile, domains).
# Run from the repository root:
#   Rscript tests/golden/r/estimate.R
# writes tests/golden/estimate.json with full precision (jsonlite digits = NA).
# Data: tests/data/api/*.csv (R survey's api samples, exported by export_api.R) read with
# read.csv, so R and Python read the same bytes. Every case records the exact R call.
suppressPackageStartupMessages({
  library(survey)
  library(jsonlite)
})
options(survey.lonely.psu = "fail")

api <- file.path("tests", "data", "api")
apistrat <- read.csv(file.path(api, "apistrat.csv"))
apiclus1 <- read.csv(file.path(api, "apiclus1.csv"))
apiclus2 <- read.csv(file.path(api, "apiclus2.csv"))
apisrs <- read.csv(file.path(api, "apisrs.csv"))

design_calls <- list(
  strat = "svydesign(id = ~1, strata = ~stype, weights = ~pw, fpc = ~fpc, data = apistrat)",
  clus1 = "svydesign(id = ~dnum, weights = ~pw, fpc = ~fpc, data = apiclus1)",
  clus2 = "svydesign(id = ~dnum + snum, fpc = ~fpc1 + fpc2, data = apiclus2)",
  srs = "svydesign(id = ~1, weights = ~pw, fpc = ~fpc, data = apisrs)",
  srs_nofpc = "svydesign(id = ~1, weights = ~pw, data = apisrs)"
)
designs <- lapply(design_calls, function(cl) eval(parse(text = cl)))

num <- function(x) {
  x <- unname(as.numeric(x))
  x
}

# svystat / svyratio / newsvyquantile: estimate, SE, confint (default df of each confint method)
pack_stat <- function(obj, deff = FALSE) {
  ci <- confint(obj)
  out <- list(names = names(coef(obj)), estimate = num(coef(obj)), se = num(SE(obj)),
              ci_low = num(ci[, 1]), ci_high = num(ci[, 2]))
  if (deff) out$deff <- num(deff(obj))
  out
}

pack_ratio <- function(obj, deff = FALSE) {
  ci <- confint(obj)
  out <- list(estimate = num(obj$ratio), se = num(sqrt(obj$var)),
              ci_low = num(ci[, 1]), ci_high = num(ci[, 2]))
  if (deff) out$deff <- num(attr(obj, "deff"))
  out
}

pack_ciprop <- function(obj) {
  ci <- attr(obj, "ci")
  list(estimate = num(obj), se = num(sqrt(attr(obj, "var"))),
       ci_low = num(ci[1]), ci_high = num(ci[2]))
}

# svyby: first column(s) are the by variable, then statistic, se, ci_l, ci_u (vartype order)
pack_by <- function(obj, deff = FALSE, ci = FALSE) {
  out <- list(domain = as.character(obj[[1]]), estimate = num(coef(obj)), se = num(SE(obj)))
  if (ci) {
    out$ci_low <- num(obj[["ci_l"]])
    out$ci_high <- num(obj[["ci_u"]])
  }
  # deff.svyby() refuses deff = "replace", so read the DEff column by name
  if (deff) out$deff <- num(obj[[grep("^DEff", names(obj))[1]]])
  out
}

# a quasibinomial svyglm's profile-likelihood interval on a fine profile grid: R's default grid
# (del = zmax/5, spline-interpolated) is accurate to ~1e-4 only; del = 0.005 (many small steps)
# makes the spline interpolation error negligible, an independent check of the exact root.
pack_fine <- function(obj) {
  ci <- plogis(as.numeric(obj))
  list(ci_low = ci[1], ci_high = ci[2])
}
fine_call <- paste0("confint(svyglm(%s ~ 1, d, family = quasibinomial), 1, method = 'likelihood', ",
                    "ddf = degf(d), del = 0.005, maxsteps = 5000)")

cases <- list()
add <- function(id, design, call, pack, ...) {
  d <- designs[[design]]
  res <- tryCatch(pack(eval(parse(text = call), list(d = d)), ...),
                  error = function(e) list(error = conditionMessage(e)))
  res$id <- id
  res$design <- design
  res$call <- call
  cases[[length(cases) + 1]] <<- res
}

methods <- c("logit", "likelihood", "asin", "beta", "mean", "xlogit")
for (dn in c("strat", "clus1", "clus2", "srs")) {
  add(paste0(dn, "/mean_api00"), dn, "svymean(~api00, d, deff = TRUE)", pack_stat, deff = TRUE)
  add(paste0(dn, "/mean_api00_replace"), dn, "svymean(~api00, d, deff = 'replace')", pack_stat, deff = TRUE)
  add(paste0(dn, "/total_api00"), dn, "svytotal(~api00, d, deff = TRUE)", pack_stat, deff = TRUE)
  add(paste0(dn, "/total_api00_replace"), dn, "svytotal(~api00, d, deff = 'replace')", pack_stat, deff = TRUE)
  add(paste0(dn, "/mean_enroll"), dn, "svymean(~enroll, d, na.rm = TRUE, deff = TRUE)", pack_stat, deff = TRUE)
  add(paste0(dn, "/mean_enroll_replace"), dn, "svymean(~enroll, d, na.rm = TRUE, deff = 'replace')", pack_stat, deff = TRUE)
  add(paste0(dn, "/total_enroll"), dn, "svytotal(~enroll, d, na.rm = TRUE, deff = TRUE)", pack_stat, deff = TRUE)
  add(paste0(dn, "/mean_stype"), dn, "svymean(~stype, d, deff = TRUE)", pack_stat, deff = TRUE)
  for (m in methods) {
    add(paste0(dn, "/ciprop_schwide_", m), dn,
        sprintf("svyciprop(~I(sch.wide == 'Yes'), d, method = '%s')", m), pack_ciprop)
    add(paste0(dn, "/ciprop_E_", m), dn,
        sprintf("svyciprop(~I(stype == 'E'), d, method = '%s')", m), pack_ciprop)
    add(paste0(dn, "/by_ciprop_schwide_", m), dn,
        sprintf("svyby(~I(sch.wide == 'Yes'), ~stype, d, svyciprop, method = '%s', vartype = c('se', 'ci'))", m),
        pack_by, ci = TRUE)
  }
  add(paste0(dn, "/fine_likelihood_schwide"), dn, sprintf(fine_call, "I(sch.wide == 'Yes')"), pack_fine)
  if (dn != "strat") add(paste0(dn, "/fine_likelihood_E"), dn, sprintf(fine_call, "I(stype == 'E')"), pack_fine)
  add(paste0(dn, "/by_mean_api00"), dn,
      "svyby(~api00, ~stype, d, svymean, deff = TRUE, vartype = c('se', 'ci'))", pack_by, deff = TRUE, ci = TRUE)
  add(paste0(dn, "/by_mean_api00_replace"), dn,
      "svyby(~api00, ~stype, d, svymean, deff = 'replace')", pack_by, deff = TRUE)
  add(paste0(dn, "/by_total_api00"), dn,
      "svyby(~api00, ~stype, d, svytotal, deff = TRUE)", pack_by, deff = TRUE)
  add(paste0(dn, "/by_mean_enroll"), dn,
      "svyby(~enroll, ~stype, d, svymean, na.rm = TRUE, deff = TRUE)", pack_by, deff = TRUE)
  add(paste0(dn, "/ratio_api00_api99"), dn,
      "svyratio(~api00, ~api99, d, deff = TRUE)", pack_ratio, deff = TRUE)
  add(paste0(dn, "/ratio_api00_api99_replace"), dn,
      "svyratio(~api00, ~api99, d, deff = 'replace')", pack_ratio, deff = TRUE)
  add(paste0(dn, "/by_ratio_api00_api99"), dn,
      "svyby(~api00, ~stype, d, svyratio, denominator = ~api99)", pack_by)
  for (it in c("mean", "beta", "xlogit", "asin")) {
    add(paste0(dn, "/quantile_api00_", it), dn,
        sprintf("svyquantile(~api00, d, quantiles = c(0.25, 0.5, 0.75), ci = TRUE, interval.type = '%s')", it),
        pack_stat)
  }
  add(paste0(dn, "/quantile_enroll_mean"), dn,
      "svyquantile(~enroll, d, quantiles = c(0.1, 0.5, 0.9), ci = TRUE, na.rm = TRUE)", pack_stat)
  add(paste0(dn, "/by_quantile_api00"), dn,
      "svyby(~api00, ~stype, d, svyquantile, quantiles = 0.5, ci = TRUE, vartype = c('se', 'ci'))",
      pack_by, ci = TRUE)
}
add("srs_nofpc/mean_api00", "srs_nofpc", "svymean(~api00, d, deff = TRUE)", pack_stat, deff = TRUE)
add("srs_nofpc/mean_api00_replace", "srs_nofpc", "svymean(~api00, d, deff = 'replace')", pack_stat, deff = TRUE)
add("clus1/mean_avg_ed", "clus1", "svymean(~avg.ed, d, na.rm = TRUE, deff = TRUE)", pack_stat, deff = TRUE)

design_info <- lapply(designs, function(d) list(degf = degf(d), nrow = nrow(d)))

out <- list(
  r_version = paste(R.version$major, R.version$minor, sep = "."),
  survey_version = as.character(packageVersion("survey")),
  jsonlite_version = as.character(packageVersion("jsonlite")),
  script = "tests/golden/r/estimate.R",
  options = list(survey.lonely.psu = "fail"),
  designs = lapply(names(design_calls), function(nm) c(list(name = nm, call = design_calls[[nm]]), design_info[[nm]])),
  cases = cases
)
write_json(out, file.path("tests", "golden", "estimate.json"), digits = NA, auto_unbox = TRUE,
           pretty = TRUE)
cat("wrote", length(cases), "cases\n")
