# Golden values for the design resolution and the variance kernel (surveykit.design.variance).
# Run from the repository root: Rscript tests/golden/r/design.R  -> tests/golden/design.json
suppressPackageStartupMessages({library(survey); library(jsonlite)})
rd <- function(nm) read.csv(file.path("tests", "data", "api", paste0(nm, ".csv")))
apistrat <- rd("apistrat"); apiclus1 <- rd("apiclus1"); apiclus2 <- rd("apiclus2"); apisrs <- rd("apisrs")
designs <- list(
  strat = svydesign(id = ~1, strata = ~stype, weights = ~pw, fpc = ~fpc, data = apistrat),
  strat_nofpc = svydesign(id = ~1, strata = ~stype, weights = ~pw, data = apistrat),
  clus1 = svydesign(id = ~dnum, weights = ~pw, fpc = ~fpc, data = apiclus1),
  clus2 = svydesign(id = ~dnum + snum, fpc = ~fpc1 + fpc2, data = apiclus2),
  clus2_nofpc = svydesign(id = ~dnum + snum, weights = ~pw, data = apiclus2),
  srs = svydesign(id = ~1, weights = ~pw, fpc = ~fpc, data = apisrs)
)
one <- function(d) {
  m <- svymean(~api00 + api99, d)
  t <- svytotal(~enroll, d, na.rm = TRUE)
  dom <- svymean(~api00, subset(d, sch.wide == "Yes"))
  list(mean = unname(coef(m)), mean_vcov = unname(as.vector(vcov(m))),
       total_enroll = unname(coef(t)), total_enroll_se = as.vector(SE(t)),
       dom_mean = unname(coef(dom)), dom_se = as.vector(SE(dom)),
       degf = degf(d), weights = unname(weights(d)))
}
out <- lapply(designs, one)
# lonely PSU: apiclus1 stratified by a made-up stratum where district 15 is alone
apiclus1$lstr <- ifelse(apiclus1$dnum == 716, "lone", ifelse(apiclus1$dnum < 400, "a", "b"))
lonely <- list()
for (pol in c("remove", "adjust", "average", "certainty")) {
  options(survey.lonely.psu = pol)
  d <- svydesign(id = ~dnum, strata = ~lstr, weights = ~pw, data = apiclus1)
  m <- svymean(~api00, d)
  tt <- svytotal(~enroll, d)
  lonely[[pol]] <- list(mean = unname(coef(m)), se = as.vector(SE(m)), total_se = as.vector(SE(tt)))
}
# "average" in domains: R scales by the strata present in each domain's subset
one_h <- apistrat[apistrat$stype != "H" | apistrat$snum == min(apistrat$snum[apistrat$stype == "H"]), ]
by_dom <- list()
for (pol in c("average", "adjust", "remove")) {
  options(survey.lonely.psu = pol)
  d <- svydesign(id = ~1, strata = ~stype, weights = ~pw, data = one_h)
  b <- svyby(~api00, ~awards, d, svymean)
  by_dom[[pol]] <- list(awards = as.character(b$awards), mean = unname(coef(b)), se = unname(SE(b)))
}
lonely$by_domain <- by_dom
lonely$by_domain_h_snum <- min(apistrat$snum[apistrat$stype == "H"])
options(survey.lonely.psu = "fail")
out$lonely <- lonely
out$versions <- list(R = as.character(getRversion()), survey = as.character(packageVersion("survey")))
write_json(out, file.path("tests", "golden", "design.json"), digits = NA, auto_unbox = TRUE, pretty = FALSE)
