# Golden values for surveykit.link (linked organisation-worker analysis).
# Run from the repository root:
#   Rscript tests/golden/r/link.R
# Reads tests/data/link/workers.csv and tests/data/link/organisations.csv (synthetic demo data,
# seed 2018: a few worker columns, the organisation id `org_id`, and a test weight `w`) and writes
# tests/golden/link.json at full precision (jsonlite, digits = NA).
#
# The linked frame is merge(workers, organisations, by.x = "org_id", by.y = "id") in worker
# order, the organisation columns prefixed "org_"; the design is svydesign(ids = ~org_id, ...):
# organisations are the primary sampling units (with replacement), workers the elements.
# Two designs: equal weights, and the weights `w`. For each: svymean of age and of an
# organisation variable (org_revenue_band), a proportion (svymean of private_insured == 1, the
# SE svyciprop reports too) and a logistic model by svyglm(family = quasibinomial()), whose
# coefficients and SEs are exact (IRLS to convergence; epsilon tightened to 1e-14). The logit
# interval of svyciprop comes from a glm R fits at its default tolerance (epsilon 1e-8), so its
# limits agree with surveykit's to ~3e-9, the SEs and coefficients to ~1e-14.
suppressPackageStartupMessages({
  library(survey)
  library(jsonlite)
})

workers <- read.csv("tests/data/link/workers.csv")
orgs <- read.csv("tests/data/link/organisations.csv")
names(orgs)[names(orgs) != "id"] <- paste0("org_", names(orgs)[names(orgs) != "id"])
workers$.row <- seq_len(nrow(workers))
linked <- merge(workers, orgs, by.x = "org_id", by.y = "id", all.x = TRUE, sort = FALSE)
linked <- linked[order(linked$.row), ]
stopifnot(nrow(linked) == nrow(workers), !anyNA(linked$org_founded_year))
linked$insured <- as.numeric(linked$private_insured == 1)
linked$join_yes <- as.numeric(linked$join_intent >= 3)
linked$age10 <- linked$age / 10
linked$org_age10 <- (2018 - linked$org_founded_year) / 10

one <- function(design) {
  m_age <- svymean(~age, design)
  m_rev <- svymean(~org_revenue_band, design)
  p <- svymean(~insured, design)
  ci <- svyciprop(~insured, design, method = "logit")
  fit <- svyglm(join_yes ~ age10 + org_age10 + org_revenue_band, design, family = quasibinomial(),
                control = glm.control(epsilon = 1e-14, maxit = 100))
  list(
    n_psu = length(unique(linked$org_id)),
    degf = degf(design),
    mean_age = unname(coef(m_age)), se_age = as.vector(SE(m_age)),
    mean_org_revenue = unname(coef(m_rev)), se_org_revenue = as.vector(SE(m_rev)),
    prop_insured = unname(coef(p)), se_insured = as.vector(SE(p)),
    ci_insured = unname(as.vector(attr(ci, "ci"))),
    logit_terms = names(coef(fit)),
    logit_coef = unname(coef(fit)),
    logit_se = as.vector(SE(fit))
  )
}

out <- list(
  equal = one(suppressWarnings(svydesign(ids = ~org_id, data = linked))),  # equal weights (R warns "assuming equal probability")
  weighted = one(svydesign(ids = ~org_id, weights = ~w, data = linked))
)
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE), "tests/golden/link.json")
