# Golden values for replicate-weight designs (surveykit.design.replicate, replicate_build), the
# verbs svyvar and svyttest (surveykit.estimate.moments) and svyglm gaussian / quasipoisson /
# quasibinomial (surveykit.models._glm_family), on Taylor and replicate designs.
# Run from the repository root: Rscript tests/golden/r/replicate.R
#   -> tests/golden/replicate.json and the replicate weights R generated, tests/data/replicate/*.csv
# Designs: JK1 on apiclus1 (cluster design with fpc), JKn on apistrat (stratified, fpc), BRR and
# Fay (rho = 0.5) on apistrat paired into 100 strata of two schools, bootstrap and subbootstrap
# on apistrat (seeded; the weights R drew are saved, since R's RNG is not reproduced), and
# user-supplied replicate columns (svrepdesign) with combined weights, uncombined JKn factors and
# mse = TRUE. The "logit" interval of svyciprop on a replicate design comes from svyglm refits
# with R's default IRLS epsilon 1e-8 (svyciprop passes no control): its estimate and limits are
# a few 1e-10 from the exact ones, so the tests compare them at 1e-8 absolute. The svyglm
# references are refitted from their converged coefficients with epsilon 1e-14 (see glms()).
# Environment: R and survey versions are recorded in the JSON.
suppressPackageStartupMessages({library(survey); library(jsonlite)})
rd <- function(nm) read.csv(file.path("tests", "data", "api", paste0(nm, ".csv")))
apistrat <- rd("apistrat"); apiclus1 <- rd("apiclus1")
apistrat$yes <- as.numeric(apistrat$sch.wide == "Yes"); apiclus1$yes <- as.numeric(apiclus1$sch.wide == "Yes")
# pairs of schools within school type, in snum order: 100 strata of 2 PSUs (for BRR and Fay)
apistrat <- apistrat[order(apistrat$stype, apistrat$snum), ]
apistrat$pair <- paste(apistrat$stype, (ave(seq_len(nrow(apistrat)), apistrat$stype, FUN = seq_along) - 1) %/% 2)
stopifnot(all(table(apistrat$pair) == 2))
rownames(apistrat) <- NULL

dclus1 <- svydesign(id = ~dnum, weights = ~pw, fpc = ~fpc, data = apiclus1)
dstrat <- svydesign(id = ~1, strata = ~stype, weights = ~pw, fpc = ~fpc, data = apistrat)
dstrat_nofpc <- svydesign(id = ~1, strata = ~stype, weights = ~pw, data = apistrat)
dpair <- svydesign(id = ~snum, strata = ~pair, weights = ~pw, data = apistrat)

vec <- function(x) unname(as.vector(x))
ciprop <- function(d, method) {
  r <- svyciprop(~I(yes == 1), d, method = method)
  list(estimate = vec(r), ci = vec(attr(r, "ci")))
}
quant <- function(d, type) {
  q <- suppressWarnings(svyquantile(~api00, d, c(0.25, 0.5, 0.9), interval.type = type))$api00
  list(estimate = vec(q[, 1]), ci_low = vec(q[, 2]), ci_high = vec(q[, 3]), se = vec(q[, 4]))
}
# R 4.1-1's svyquantile.svyrep.design does not pass interval.type to woodruffCI (always "mean");
# the intended intervals come from calling woodruffCI with method= directly
wood <- function(d) {
  if (!inherits(d, "svyrep.design")) return(NULL)
  x <- d$variables$api00
  sapply(c("beta", "xlogit", "asin"), function(ty) {
    ci <- sapply(c(0.25, 0.5, 0.9), function(p) {
      qh <- survey:::qrule_math(x, weights(d, "sampling"), p)
      survey:::woodruffCI(x, qh, p, d, survey:::qrule_math, 0.05, degf(d), method = ty)
    })
    list(ci_low = vec(ci[1, ]), ci_high = vec(ci[2, ]))
  }, simplify = FALSE)
}
cross <- function(d) {
  te <- function(st) { x <- svychisq(~stype + sch.wide, d, statistic = st)
    list(statistic = vec(x$statistic), parameter = vec(x$parameter), p_value = vec(x$p.value)) }
  cell <- svymean(~interaction(stype, sch.wide), d)
  rowp <- svyby(~sch.wide, ~stype, d, svymean)
  colp <- svyby(~stype, ~sch.wide, d, svymean)
  list(F = te("F"), Chisq = te("Chisq"), Wald = te("Wald"), cell = vec(coef(cell)), cell_se = vec(SE(cell)),
       row_se = vec(SE(rowp)), col_se = vec(t(SE(colp))))
}
glms <- function(d) {
  one <- function(m) list(coef = vec(coef(m)), se = vec(SE(m)), df = vec(m$df.residual))
  list(gaussian = one(svyglm(api00 ~ ell + meals + stype, d)),
       poisson = one(poisson_fit(d)),
       quasibinomial = one(refit(d, yes ~ ell + meals, quasibinomial())))
}
# R's glm keeps the working weights of the start of its last IRLS step (one step behind the
# returned coefficients), which moves the sandwich SE by ~1e-8; refitting from the converged
# coefficients puts that last step at the solution, so the reference is the exact sandwich
refit <- function(d, f, fam) {
  m0 <- eval(bquote(svyglm(.(f), d, family = .(fam), control = glm.control(epsilon = 1e-14, maxit = 100))))
  b0 <- coef(m0)
  eval(bquote(svyglm(.(f), d, family = .(fam), start = .(b0), control = glm.control(epsilon = 1e-14, maxit = 100))))
}
poisson_fit <- function(d) {
  m0 <- svyglm(api.stu ~ ell + meals, d, family = quasipoisson(), control = glm.control(epsilon = 1e-14, maxit = 100))
  b0 <- coef(m0)
  eval(bquote(svyglm(api.stu ~ ell + meals, d, family = quasipoisson(), start = .(b0),
                     control = glm.control(epsilon = 1e-14, maxit = 100))))
}
by_extra <- function(d) {
  cp <- function(m) { b <- svyby(~I(yes == 1), ~stype, d, svyciprop, method = m, vartype = "ci")
    list(estimate = vec(coef(b)), ci_low = vec(b[["ci_l"]]), ci_high = vec(b[["ci_u"]])) }
  qt <- function(ty) { b <- suppressWarnings(svyby(~api00, ~stype, d, svyquantile, quantiles = 0.5,
                                                  interval.type = ty, ci = TRUE, vartype = "ci"))
    list(estimate = vec(b[["api00"]]), ci_low = vec(b[["ci_l"]]), ci_high = vec(b[["ci_u"]])) }
  list(ciprop = sapply(c("logit", "beta", "xlogit"), cp, simplify = FALSE),
       quantile = sapply(c("mean", if (inherits(d, "svyrep.design")) "quantile"), qt, simplify = FALSE))
}
stats <- function(d) {
  m <- svymean(~api00 + api99, d, deff = TRUE)
  t <- svytotal(~enroll, d, deff = TRUE)
  r <- svyratio(~api00, ~api99, d)
  b <- svyby(~api00, ~stype, d, svymean)
  bt <- svyby(~enroll, ~stype, d, svytotal)
  br <- svyby(~api00, ~stype, d, svyratio, denominator = ~api99)
  v <- svyvar(~api00 + api99, d)
  tt <- svyttest(api00 ~ sch.wide, d)
  t1 <- svyttest(I(api00 - api99 - 30) ~ 0, d)
  list(
    degf = degf(d), scale = vec(d$scale), rscales = vec(d$rscales),
    mean = vec(coef(m)), mean_se = vec(SE(m)), mean_vcov = vec(vcov(m)), mean_deff = vec(deff(m)),
    total = vec(coef(t)), total_se = vec(SE(t)), total_deff = vec(deff(t)),
    ratio = vec(coef(r)), ratio_se = vec(SE(r)),
    by_keys = as.character(b$stype), by_mean = vec(coef(b)), by_mean_se = vec(SE(b)),
    by_total = vec(coef(bt)), by_total_se = vec(SE(bt)),
    by_ratio = vec(coef(br)), by_ratio_se = vec(SE(br)),
    by_degf = vec(sapply(levels(factor(d$variables$stype)), function(s) degf(subset(d, stype == s)))),
    ciprop = sapply(c("logit", "asin", "beta", "mean", "xlogit"), function(mm) ciprop(d, mm), simplify = FALSE),
    prop_se = vec(SE(svymean(~yes, d))),
    quantile = sapply(c("mean", "beta", "xlogit", "asin", if (inherits(d, "svyrep.design")) "quantile"), function(ty) quant(d, ty), simplify = FALSE),
    woodruff = wood(d),
    crosstab = cross(d),
    by_extra = by_extra(d),
    glm = glms(d),
    freq = vec(coef(svymean(~factor(stype), d))), freq_se = vec(SE(svymean(~factor(stype), d))),
    freq_total = vec(coef(svytotal(~factor(stype), d))), freq_total_se = vec(SE(svytotal(~factor(stype), d))),
    freq_xlogit = lapply(c("E", "H", "M"), function(s) vec(attr(eval(bquote(svyciprop(~I(stype == .(s)), d, method = "xlogit"))), "ci"))),
    var = vec(v), var_se = vec(SE(v)),
    ttest = list(estimate = vec(tt$estimate), statistic = vec(tt$statistic), df = vec(tt$parameter),
                 p_value = vec(tt$p.value), se = vec(tt$estimate / tt$statistic), ci = vec(tt$conf.int)),
    ttest_one = list(estimate = vec(t1$estimate), statistic = vec(t1$statistic), df = vec(t1$parameter),
                     p_value = vec(t1$p.value), ci = vec(t1$conf.int))
  )
}

reps <- list(
  jk1 = as.svrepdesign(dclus1, type = "JK1"),
  jkn = as.svrepdesign(dstrat, type = "JKn"),
  jkn_nofpc = as.svrepdesign(dstrat_nofpc, type = "JKn"),
  brr = as.svrepdesign(dpair, type = "BRR"),
  fay = as.svrepdesign(dpair, type = "Fay", fay.rho = 0.5),
  jk1_mse = as.svrepdesign(dclus1, type = "JK1", mse = TRUE)
)
set.seed(20261202)
reps$bootstrap <- as.svrepdesign(dstrat_nofpc, type = "bootstrap", replicates = 50)
set.seed(20261203)
reps$subbootstrap <- as.svrepdesign(dstrat_nofpc, type = "subbootstrap", replicates = 50)

# replicate factors R generated (uncombined: multiply by pw), saved for the Python side
save_w <- function(d, data, file) {
  w <- as.matrix(weights(d, "replication"))  # uncombined factors (as.svrepdesign: combined.weights = FALSE)
  colnames(w) <- paste0("r", seq_len(ncol(w)))
  write.csv(data.frame(snum = data$snum, w), file.path("tests", "data", "replicate", file), row.names = FALSE)
}
dir.create(file.path("tests", "data", "replicate"), showWarnings = FALSE)
save_w(reps$brr, apistrat, "brr.csv")
save_w(reps$fay, apistrat, "fay.csv")
save_w(reps$bootstrap, apistrat, "bootstrap.csv")
save_w(reps$subbootstrap, apistrat, "subbootstrap.csv")
save_w(reps$jk1, apiclus1, "jk1.csv")
save_w(reps$jkn_nofpc, apistrat, "jkn.csv")

# user-supplied replicate columns: combined JK1 weights of apiclus1, and uncombined JKn factors
jk1w <- as.matrix(weights(reps$jk1, "analysis"))
colnames(jk1w) <- paste0("rw", seq_len(ncol(jk1w)))
clus_rw <- cbind(apiclus1, jk1w)
user <- list(
  combined = svrepdesign(data = clus_rw, repweights = "rw[0-9]+", weights = ~pw, type = "JK1",
                         scale = 14 / 15, combined.weights = TRUE),
  combined_mse = svrepdesign(data = clus_rw, repweights = "rw[0-9]+", weights = ~pw, type = "JK1",
                             scale = 14 / 15, combined.weights = TRUE, mse = TRUE),
  other = svrepdesign(data = clus_rw, repweights = "rw[0-9]+", weights = ~pw, type = "other",
                      scale = 0.5, rscales = seq(0.5, 1.9, by = 0.1), combined.weights = TRUE)
)
user$sdr <- suppressWarnings(svrepdesign(data = clus_rw, repweights = "rw[0-9]+", weights = ~pw,
                                         type = "successive-difference", combined.weights = TRUE))
user$noweights <- suppressWarnings(svrepdesign(data = clus_rw, repweights = "rw[0-9]+", type = "JK1",
                                               scale = 14 / 15, combined.weights = TRUE))
jknf <- as.matrix(weights(reps$jkn_nofpc, "replication"))
colnames(jknf) <- paste0("f", seq_len(ncol(jknf)))
user$uncombined_jkn <- suppressWarnings(svrepdesign(data = cbind(apistrat, jknf), repweights = "f[0-9]+",
                                                    weights = ~pw, type = "JKn", combined.weights = FALSE))
user$uncombined_jkn_rscales <- vec(user$uncombined_jkn$rscales)

# two-stage design with an fpc at both stages: as.svrepdesign keeps the first-stage fpc only (warns)
apiclus2 <- rd("apiclus2")
rc2 <- suppressWarnings(as.svrepdesign(svydesign(id = ~dnum + snum, fpc = ~fpc1 + fpc2, data = apiclus2), type = "JK1"))
m2 <- svymean(~api00, rc2)
clus2 <- list(mean = vec(coef(m2)), se = vec(SE(m2)), degf = degf(rc2), scale = vec(rc2$scale))
# JKn with a lonely PSU (district 716 alone in its stratum), under each lonely-PSU policy
apiclus1$lstr <- ifelse(apiclus1$dnum == 716, "lone", ifelse(apiclus1$dnum < 400, "a", "b"))
lonely <- list()
for (pol in c("remove", "adjust", "average", "certainty")) {
  options(survey.lonely.psu = pol)
  r <- suppressWarnings(as.svrepdesign(svydesign(id = ~dnum, strata = ~lstr, weights = ~pw, data = apiclus1),
                                       type = "JKn"))
  m <- svymean(~api00, r)
  lonely[[pol]] <- list(mean = vec(coef(m)), se = vec(SE(m)), degf = degf(r), scale = vec(r$scale),
                        rscales = vec(r$rscales))
}
options(survey.lonely.psu = "fail")
# weighting a replicate design: R calibrates every replicate's weights to the same totals
rc <- user$combined
pop_stype <- data.frame(stype = c("E", "H", "M"), Freq = c(4421, 755, 1018))
pop_sw <- data.frame(sch.wide = c("No", "Yes"), Freq = c(1100, 5094))
wtd <- list(
  poststratify = postStratify(rc, ~stype, pop_stype),
  calibrate = calibrate(rc, ~stype + api99, c(`(Intercept)` = 6194, stypeH = 755, stypeM = 1018, api99 = 3914069),
                        compress = FALSE),  # R 4.1-1 fails with compress = NA on uncompressed weights
  rake = rake(rc, list(~stype, ~sch.wide), list(pop_stype, pop_sw), control = list(maxit = 200, epsilon = 1e-14))
)
weighted <- lapply(wtd, function(d) { m <- svymean(~api00 + api99, d); t <- svytotal(~enroll, d)
  list(mean = vec(coef(m)), mean_se = vec(SE(m)), total_se = vec(SE(t)), degf = degf(d)) })
out <- list(
  weighted = weighted,
  lonely_jkn = lonely,
  clus2_jk1 = clus2,
  r_version = R.version.string, survey_version = as.character(packageVersion("survey")),
  as_replicate = lapply(reps, stats),
  user = lapply(user[c("combined", "combined_mse", "other", "uncombined_jkn", "sdr")], stats),
  noweights = list(mean = vec(coef(svymean(~api00, user$noweights))), se = vec(SE(svymean(~api00, user$noweights))),
                   degf = degf(user$noweights)),
  taylor = list(clus1 = stats(dclus1), strat = stats(dstrat)),
  pair_order = apistrat$snum
)
write_json(out, file.path("tests", "golden", "replicate.json"), digits = NA, auto_unbox = TRUE, pretty = FALSE)
