# Golden values for surveykit.segments: segment profiles (domain means, shares) and the
# silhouette criterion, from R survey and cluster.
# Run from the repository root:
#   Rscript tests/golden/r/segments.R
# writes tests/golden/segments.json with full precision (jsonlite digits = NA).
# Data: tests/data/api/*.csv (R survey's api samples, exported by export_api.R) read with
# read.csv, so R and Python read the same bytes.
#
# A fixed segmentation is defined by a rule both sides can compute, so the golden checks the
# profile arithmetic and the design-based SEs independently of k-means:
#   seg = 1 if api00 >= 750; else 2 if meals >= 50; else 3; NA where acs.46 is missing
# (rows with a missing clustering input are unassigned).
suppressPackageStartupMessages({
  library(survey)
  library(cluster)
  library(jsonlite)
})
options(survey.lonely.psu = "fail")

api <- file.path("tests", "data", "api")
data_sets <- list(
  strat = read.csv(file.path(api, "apistrat.csv")),
  clus1 = read.csv(file.path(api, "apiclus1.csv"))
)
design_calls <- list(
  strat = "svydesign(id = ~1, strata = ~stype, weights = ~pw, fpc = ~fpc, data = d)",
  clus1 = "svydesign(id = ~dnum, weights = ~pw, fpc = ~fpc, data = d)"
)
seg_rule <- function(d) {
  seg <- ifelse(d$api00 >= 750, 1L, ifelse(d$meals >= 50, 2L, 3L))
  seg[is.na(d$acs.46)] <- NA
  seg
}
num <- function(x) unname(as.numeric(x))

one_design <- function(name) {
  d <- data_sets[[name]]
  d$seg <- seg_rule(d)
  des <- eval(parse(text = design_calls[[name]]))
  assigned <- subset(des, !is.na(seg))
  share_call <- "svymean(~factor(seg), subset(des, !is.na(seg)))"
  sh <- svymean(~factor(seg), assigned)
  means_call <- "svyby(~api00 + meals + ell, ~seg, des, svymean)"
  mb <- svyby(~api00 + meals + ell, ~seg, des, svymean)
  target_call <- "svyby(~target, ~seg, des, svymean, na.rm = TRUE)"
  tb <- svyby(~target, ~seg, des, svymean, na.rm = TRUE)
  list(
    design_call = design_calls[[name]],
    n_assigned = sum(!is.na(d$seg)),
    shares = list(call = share_call, segment = c(1L, 2L, 3L), estimate = num(coef(sh)), se = num(SE(sh))),
    means = list(
      call = means_call, segment = num(mb$seg),
      api00 = num(mb$api00), se_api00 = num(mb$se.api00),
      meals = num(mb$meals), se_meals = num(mb$se.meals),
      ell = num(mb$ell), se_ell = num(mb$se.ell)
    ),
    target = list(call = target_call, segment = num(tb$seg), estimate = num(tb$target), se = num(tb$se))
  )
}

# Silhouette (equal weights): cluster::silhouette on Euclidean distances of the raw
# api00, meals, ell of the assigned apistrat rows.
d <- data_sets$strat
d$seg <- seg_rule(d)
a <- d[!is.na(d$seg), ]
sil <- silhouette(a$seg, dist(as.matrix(a[, c("api00", "meals", "ell")])))
sil_out <- list(
  call = "silhouette(seg, dist(as.matrix(apistrat[!is.na(seg), c('api00', 'meals', 'ell')])))",
  mean_width = mean(sil[, "sil_width"]),
  widths = num(sil[, "sil_width"])
)

out <- list(
  meta = list(
    r_version = R.version.string,
    survey_version = as.character(packageVersion("survey")),
    cluster_version = as.character(packageVersion("cluster")),
    jsonlite_version = as.character(packageVersion("jsonlite")),
    segment_rule = "seg = 1 if api00 >= 750; else 2 if meals >= 50; else 3; NA where acs.46 is NA",
    lonely_psu = "fail"
  ),
  profiles = lapply(setNames(names(design_calls), names(design_calls)), one_design),
  silhouette = sil_out
)
write_json(out, file.path("tests", "golden", "segments.json"), digits = NA, auto_unbox = TRUE, pretty = TRUE)
