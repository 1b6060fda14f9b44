# Golden values for surveykit/weighting.py (poststratify, rake, calibrate, trim) and the
# calibration-aware standard errors that follow them.
# Run from the repository root:
#   Rscript tests/golden/r/weighting.R
# Writes tests/golden/weighting.json at full precision (jsonlite::write_json(digits = NA)).
# Data: tests/data/api/*.csv; population counts come from R survey's apipop (recorded below).
suppressPackageStartupMessages({
  library(survey)
  library(jsonlite)
})
api <- function(nm) read.csv(file.path("tests", "data", "api", paste0(nm, ".csv")),
                             stringsAsFactors = FALSE)
apistrat <- api("apistrat")
apiclus1 <- api("apiclus1")
data(api, package = "survey")   # for apipop only (population counts and totals)

dstrat <- svydesign(id = ~1, strata = ~stype, weights = ~pw, data = apistrat, fpc = ~fpc)
dclus1 <- svydesign(id = ~dnum, weights = ~pw, data = apiclus1, fpc = ~fpc)

pop_stype <- as.data.frame(table(stype = as.character(apipop$stype)))
pop_schwide <- as.data.frame(table(sch.wide = as.character(apipop$sch.wide)))
pop_stype$stype <- as.character(pop_stype$stype)
pop_schwide$sch.wide <- as.character(pop_schwide$sch.wide)
# calibrate(~stype + api99): intercept, stypeH, stypeM, api99
pop_cal <- c(`(Intercept)` = nrow(apipop), stypeH = sum(apipop$stype == "H"),
             stypeM = sum(apipop$stype == "M"), api99 = sum(apipop$api99))

# what every weighted design reports: its weights and a few estimates with SEs
stats <- function(des, call) {
  m <- svymean(~api00, des)
  t <- svytotal(~api00, des)
  te <- svytotal(~enroll, des)
  fa <- svymean(~factor(awards), des)
  ts <- svytotal(~factor(stype), des)
  tw <- svytotal(~factor(sch.wide), des)
  list(call = call, weights = as.numeric(weights(des)),
       mean_api00 = as.numeric(coef(m)), mean_api00_se = as.numeric(SE(m)),
       total_api00 = as.numeric(coef(t)), total_api00_se = as.numeric(SE(t)),
       total_enroll = as.numeric(coef(te)), total_enroll_se = as.numeric(SE(te)),
       mean_awards = as.numeric(coef(fa)), mean_awards_se = as.numeric(SE(fa)),
       total_stype = as.numeric(coef(ts)), total_stype_se = as.numeric(SE(ts)),
       total_schwide = as.numeric(coef(tw)), total_schwide_se = as.numeric(SE(tw)))
}

tight <- list(maxit = 100, epsilon = 1e-12)   # epsilon < 1: relative to the sum of weights
dclus1g <- calibrate(dclus1, ~stype + api99, pop_cal)
cases <- list(
  unweighted_apistrat = stats(dstrat, "dstrat"),
  unweighted_apiclus1 = stats(dclus1, "dclus1"),
  poststratify_apiclus1_stype = stats(postStratify(dclus1, ~stype, pop_stype),
                                      "postStratify(dclus1, ~stype, pop_stype)"),
  poststratify_apistrat_schwide = stats(postStratify(dstrat, ~sch.wide, pop_schwide),
                                        "postStratify(dstrat, ~sch.wide, pop_schwide)"),
  poststratify_apiclus1_stype_schwide = stats(
    postStratify(dclus1, ~stype + sch.wide,
                 as.data.frame(table(stype = apipop$stype, sch.wide = apipop$sch.wide))),
    "postStratify(dclus1, ~stype + sch.wide, table(stype, sch.wide) of apipop)"),
  rake_apiclus1_default = stats(rake(dclus1, list(~stype, ~sch.wide), list(pop_stype, pop_schwide)),
                                "rake(dclus1, list(~stype, ~sch.wide), list(pop_stype, pop_schwide))"),
  rake_apiclus1_tight = stats(rake(dclus1, list(~stype, ~sch.wide), list(pop_stype, pop_schwide),
                                   control = tight),
                              "rake(..., control = list(maxit = 100, epsilon = 1e-12))"),
  rake_apistrat_tight = stats(rake(dstrat, list(~stype, ~sch.wide), list(pop_stype, pop_schwide),
                                   control = tight),
                              "rake(dstrat, list(~stype, ~sch.wide), ..., control = list(maxit = 100, epsilon = 1e-12))"),
  calibrate_apiclus1_linear = stats(dclus1g, "calibrate(dclus1, ~stype + api99, pop_cal)"),
  calibrate_apistrat_linear = stats(calibrate(dstrat, ~stype + api99, pop_cal),
                                    "calibrate(dstrat, ~stype + api99, pop_cal)"),
  calibrate_apiclus1_bounded = stats(calibrate(dclus1, ~stype + api99, pop_cal, bounds = c(0.6, 1.6)),
                                     "calibrate(dclus1, ~stype + api99, pop_cal, bounds = c(0.6, 1.6))"),
  trim_apistrat = stats(trimWeights(dstrat, upper = 40, lower = 18),
                        "trimWeights(dstrat, upper = 40, lower = 18)"),
  trim_apiclus1_calibrated = stats(trimWeights(dclus1g, upper = 55, lower = 20),
                                   "trimWeights(calibrate(dclus1, ~stype + api99, pop_cal), upper = 55, lower = 20)")
)

out <- list(
  meta = list(R = R.version.string, survey = as.character(packageVersion("survey")),
              jsonlite = as.character(packageVersion("jsonlite")),
              script = "tests/golden/r/weighting.R",
              designs = list(dstrat = "svydesign(id = ~1, strata = ~stype, weights = ~pw, data = apistrat, fpc = ~fpc)",
                             dclus1 = "svydesign(id = ~dnum, weights = ~pw, data = apiclus1, fpc = ~fpc)"),
              estimates = "svymean(~api00), svytotal(~api00), svytotal(~enroll), svymean(~factor(awards)), svytotal(~factor(stype)), svytotal(~factor(sch.wide))"),
  population = list(
    stype = list(levels = pop_stype$stype, counts = pop_stype$Freq),
    sch_wide = list(levels = pop_schwide$sch.wide, counts = pop_schwide$Freq),
    stype_schwide = as.list(as.data.frame(table(stype = apipop$stype, sch.wide = apipop$sch.wide),
                                          stringsAsFactors = FALSE)),
    calibrate = as.list(pop_cal)
  ),
  cases = cases
)
write_json(out, file.path("tests", "golden", "weighting.json"), digits = NA, auto_unbox = TRUE,
           pretty = TRUE)
