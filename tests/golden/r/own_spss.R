# Golden values for a researcher's own SPSS file with declared user-missing codes (no questionnaire).
# Run from the repository root:
#   Rscript tests/golden/r/own_spss.R
# Writes tests/data/spss/api_missing.sav (with R haven) and tests/golden/own_spss.json at full
# precision (jsonlite::write_json(digits = NA)).
#
# Data: R survey's apistrat (tests/data/api/apistrat.csv) with planted "don't know" codes that the
# file declares user-missing (SPSS MISSING VALUES; haven na_values / na_range):
#   meals9    = meals, 99 on rows 7, 14, 21, ...           na_values = 99
#   enroll_r  = enroll, 99999 on rows 13, 26, ...           na_range  = c(99990, 99999)
#   awards_yes= awards (No = 0, Yes = 1), 9 on rows 11, 22  na_values = 9  (labels 0 No, 1 Yes, 9 DK)
#   stype_c   = stype as codes 1 E, 2 H, 3 M (labelled)
# The reference reads the file back with user_na = FALSE, so every declared code is NA, and
# estimates with na.rm = TRUE / complete cases, as SPSS and R do.
suppressPackageStartupMessages({
  library(survey)
  library(haven)
  library(jsonlite)
})
d <- read.csv(file.path("tests", "data", "api", "apistrat.csv"), stringsAsFactors = FALSE)
i <- seq_len(nrow(d))
meals9 <- as.numeric(d$meals); meals9[i %% 7 == 0] <- 99
enroll_r <- as.numeric(d$enroll); enroll_r[i %% 13 == 0] <- 99999
aw <- ifelse(d$awards == "Yes", 1, 0); aw[i %% 11 == 0] <- 9
st <- c(E = 1, H = 2, M = 3)[d$stype]
out_file <- data.frame(
  snum = as.numeric(d$snum),
  stype_c = labelled_spss(as.numeric(st), labels = c(Elementary = 1, High = 2, Middle = 3),
                          label = "School type"),
  meals9 = labelled_spss(meals9, labels = c("Don't know" = 99), na_values = 99,
                         label = "Percent of students in meal programme"),
  enroll_r = labelled_spss(enroll_r, labels = c("Not recorded" = 99999), na_range = c(99990, 99999),
                           label = "Enrolment"),
  awards_yes = labelled_spss(aw, labels = c(No = 0, Yes = 1, "Don't know" = 9), na_values = 9,
                             label = "Eligible for awards"),
  pw = d$pw, fpc = d$fpc
)
path <- file.path("tests", "data", "spss", "api_missing.sav")
write_sav(out_file, path)

x <- read_sav(path, user_na = FALSE)
x <- as.data.frame(lapply(x, function(v) as.numeric(zap_labels(v))))
des <- svydesign(id = ~1, strata = ~stype_c, weights = ~pw, fpc = ~fpc, data = x)

stat <- function(s) list(estimate = unname(coef(s)), se = unname(SE(s)))
m_meals <- svymean(~meals9, des, na.rm = TRUE)
m_enroll <- svymean(~enroll_r, des, na.rm = TRUE)
t_enroll <- svytotal(~enroll_r, des, na.rm = TRUE)
by_meals <- svyby(~meals9, ~stype_c, des, svymean, na.rm = TRUE)
des_aw <- subset(des, !is.na(awards_yes))
# svyciprop with na.rm = TRUE keeps the full design's df (degf(des) = 197), as surveykit does
p_logit <- svyciprop(~I(awards_yes == 1), des, method = "logit", na.rm = TRUE)
p_tab <- svymean(~factor(awards_yes), des_aw)
chi <- svychisq(~awards_yes + stype_c, des, statistic = "F")
# glm's default convergence (epsilon = 1e-8) leaves SEs ~5e-7 off the converged fit: iterate to
# the exact maximum so the reference is the estimator's value, not its approximation.
fit <- svyglm(awards_yes ~ meals9 + enroll_r, design = des, family = quasibinomial(),
              control = glm.control(epsilon = 1e-15, maxit = 200))

out <- list(
  meta = list(R = R.version.string, survey = as.character(packageVersion("survey")),
              haven = as.character(packageVersion("haven")),
              call = "svydesign(id=~1, strata=~stype_c, weights=~pw, fpc=~fpc) on read_sav(user_na=FALSE)"),
  n_na = list(meals9 = sum(is.na(x$meals9)), enroll_r = sum(is.na(x$enroll_r)),
              awards_yes = sum(is.na(x$awards_yes))),
  mean_meals9 = stat(m_meals),
  mean_enroll_r = stat(m_enroll),
  total_enroll_r = stat(t_enroll),
  by_meals9 = list(stype_c = by_meals$stype_c, estimate = unname(coef(by_meals)),
                   se = unname(SE(by_meals))),
  prop_awards_logit = list(estimate = as.numeric(coef(p_logit)),
                           ci = as.numeric(attr(p_logit, "ci")), df = degf(des)),
  freq_awards = stat(p_tab),
  chisq_F = list(statistic = as.numeric(chi$statistic), ndf = as.numeric(chi$parameter[1]),
                 ddf = as.numeric(chi$parameter[2]), p_value = as.numeric(chi$p.value)),
  glm = list(terms = names(coef(fit)), estimate = unname(coef(fit)), se = unname(SE(fit)),
             n = nrow(fit$model), df_residual = fit$df.residual)
)
write_json(out, file.path("tests", "golden", "own_spss.json"), digits = NA, auto_unbox = TRUE,
           pretty = TRUE)
