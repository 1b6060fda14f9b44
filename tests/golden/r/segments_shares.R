# Golden values for surveykit.segments.fit shares: logit intervals of segment shares among the
# assigned rows, from R survey's svyciprop(method = "logit") with df = degf(design).
# Run from the repository root:
#   Rscript tests/golden/r/segments_shares.R
# writes tests/golden/segments_shares.json with full precision (jsonlite digits = NA).
# Data: tests/data/api/*.csv read with read.csv. A fixed rule defines the segments (as in
# segments.R), so the golden checks the shares independently of any clustering:
#   seg = 1 if api00 >= 750; else 2 if meals >= 50; else 3; else 4 if api00 < 500 (a small
#   segment); NA where acs.46 is missing (unassigned)
suppressPackageStartupMessages({
  library(survey)
  library(jsonlite)
})
options(survey.lonely.psu = "fail")

api <- file.path("tests", "data", "api")
data_sets <- list(
  strat = read.csv(file.path(api, "apistrat.csv")),
  clus1 = read.csv(file.path(api, "apiclus1.csv"))
)
make_design <- list(
  strat = function(d) svydesign(id = ~1, strata = ~stype, weights = ~pw, fpc = ~fpc, data = d),
  clus1 = function(d) svydesign(id = ~dnum, weights = ~pw, fpc = ~fpc, data = d)
)
seg_rule <- function(d) {
  seg <- ifelse(d$api00 >= 750, 1L, ifelse(d$api00 < 500, 4L, ifelse(d$meals >= 50, 2L, 3L)))
  seg[is.na(d$acs.46)] <- NA
  seg
}
out <- list(R = R.version.string, survey = as.character(packageVersion("survey")), shares = list())
for (name in names(data_sets)) {
  d <- data_sets[[name]]
  d$seg <- seg_rule(d)
  des <- subset(make_design[[name]](d), !is.na(seg))
  rows <- list()
  for (g in 1:4) {
    des_g <- update(des, ind = as.numeric(seg == g))
    ci <- svyciprop(~ind, des_g, method = "logit", df = degf(des_g))
    rows[[g]] <- list(segment = g, estimate = as.numeric(ci), se = as.numeric(SE(ci)),
                      ci_low = as.numeric(attr(ci, "ci")[1]), ci_high = as.numeric(attr(ci, "ci")[2]),
                      df = degf(des_g))
  }
  out$shares[[name]] <- rows
}
write_json(out, file.path("tests", "golden", "segments_shares.json"), digits = NA, auto_unbox = TRUE, pretty = TRUE)
