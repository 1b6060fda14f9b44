# Golden values for surveykit's verbs on a DOMAIN of a replicate-weight design
# (Survey.domain(mask) on sk.as_replicate(...)), against R survey's subset() of an
# as.svrepdesign design: subset() of a replicate design drops the rows outside the domain, so
# they take no part in the replicate refits of a model (surveykit keeps the rows with full-sample
# weight 0 and must zero their replicate weights too; before that fix the logistic SEs below
# were 0.785 instead of 1.424 for the intercept).
# Run from the repository root: Rscript tests/golden/r/replicate_domain.R
#   -> tests/golden/replicate_domain.json (jsonlite, digits = NA)
#
# Designs: JK1 on apiclus1 (ids = dnum, fpc), domain stype == "E"; JKn on apistrat (strata =
# stype, fpc), domain awards == "Yes".
# Tight references: svyglm with control = glm.control(epsilon = 1e-14, maxit = 100), refitted
# from its converged coefficients (start =) so that the IRLS working weights belong to the
# solution; svyglm.svyrep.design passes the same control to every replicate refit.
suppressMessages({ library(survey); library(jsonlite) })
rd <- function(nm) read.csv(file.path("tests", "data", "api", paste0(nm, ".csv")))
vec <- function(x) unname(as.vector(x))
ctl <- glm.control(epsilon = 1e-14, maxit = 100)
tight <- function(f, d, fam) {
  m0 <- eval(bquote(svyglm(.(f), d, family = .(fam), control = ctl)))
  b0 <- coef(m0)
  m <- eval(bquote(svyglm(.(f), d, family = .(fam), start = .(b0), control = ctl)))
  list(coef = vec(coef(m)), se = vec(SE(m)), df = vec(m$df.residual))
}
stats <- function(sub) {
  v <- svyvar(~api00 + ell, sub)
  q <- svyquantile(~api00, sub, 0.5)
  t <- svyttest(api00 ~ awards2, sub)
  r <- svyratio(~api00, ~api99, sub)
  m <- svymean(~api00 + enroll, sub, na.rm = TRUE)
  list(
    degf = degf(sub),
    logistic = tight(hi ~ ell + meals, sub, quasibinomial()),
    linear = tight(api00 ~ ell + meals, sub, gaussian()),
    quasipoisson = tight(enroll ~ ell, sub, quasipoisson()),
    var = list(estimate = vec(coef(v)), se = vec(SE(v))),
    median = list(estimate = vec(coef(q)), se = vec(SE(q))),
    ttest = list(difference = vec(t$estimate), t = vec(t$statistic), df = vec(t$parameter)),
    ratio = list(estimate = vec(coef(r)), se = vec(SE(r))),
    mean = list(estimate = vec(coef(m)), se = vec(SE(m)))
  )
}
prep <- function(d) {
  d$hi <- as.integer(d$api00 > 650)
  d$awards2 <- factor(ifelse(d$api00 %% 2 == 0, "even", "odd"))  # a two-group split inside any domain (levels sorted, as surveykit)
  d
}
clus1 <- prep(rd("apiclus1"))
strat <- prep(rd("apistrat"))
jk1 <- as.svrepdesign(svydesign(ids = ~dnum, weights = ~pw, fpc = ~fpc, data = clus1), type = "JK1")
jkn <- as.svrepdesign(svydesign(ids = ~1, strata = ~stype, weights = ~pw, fpc = ~fpc, data = strat), type = "JKn")
out <- list(
  r_version = paste(R.version$major, R.version$minor, sep = "."),
  survey_version = as.character(packageVersion("survey")),
  jk1_elementary = stats(subset(jk1, stype == "E")),
  jkn_awards = stats(subset(jkn, awards == "Yes"))
)
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE), file.path("tests", "golden", "replicate_domain.json"))
