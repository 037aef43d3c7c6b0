# Reference values for tests/churn/survival.cpp, computed with R's survival package
# (Therneau T., "A Package for Survival Analysis in R", https://CRAN.R-project.org/package=survival;
# run with survival 3.5-3 on R 4.2, Debian package r-cran-survival).
#
# Not run by CI: run by hand from the repository root when the expected values must be regenerated,
#   Rscript tests/churn/survival_reference.R
# It writes, under tests/data/survival/:
#   veteran.csv, lung.csv          the datasets (only the columns the tests use)
#   expected_km.csv                survfit() curves: every distinct time of each curve, for each conf.type
#   expected_km_summary.csv        median with its CI (print.survfit / summary(fit)$table), rmean, se(rmean)
#   expected_logrank.csv           survdiff(rho = 0): chisq, df, p-value
#   expected_logrank_groups.csv    survdiff(rho = 0): observed and expected per group
# Numbers are written with 17 significant digits; "NA" is R's NA (an undefined figure).
suppressPackageStartupMessages(library(survival))

out_dir <- file.path("tests", "data", "survival")
dir.create(out_dir, showWarnings = FALSE, recursive = TRUE)
num <- function(x) ifelse(is.na(x) | !is.finite(x), "NA", sprintf("%.17g", x))

# --- datasets --------------------------------------------------------------------------------------
# veteran: celltype is written as its factor code 1..4 (squamous, smallcell, adeno, large).
vet <- data.frame(time = veteran$time, status = veteran$status, trt = veteran$trt,
                  celltype = as.integer(veteran$celltype))
write.csv(vet, file.path(out_dir, "veteran.csv"), row.names = FALSE, quote = FALSE)
# lung: status 1 = censored, 2 = dead; sex 1 = male, 2 = female.
lng <- data.frame(time = lung$time, status = lung$status, sex = lung$sex)
write.csv(lng, file.path(out_dir, "lung.csv"), row.names = FALSE, quote = FALSE)

# --- Kaplan-Meier curves and their summaries -------------------------------------------------------
# Each subset is (dataset name, subset name, data frame with time and event 0/1, tau for rmean).
subsets <- list(
  list("lung", "all", data.frame(time = lng$time, event = as.integer(lng$status == 2)), 365),
  list("lung", "sex=1", with(lng[lng$sex == 1, ], data.frame(time = time, event = as.integer(status == 2))), 365),
  list("lung", "sex=2", with(lng[lng$sex == 2, ], data.frame(time = time, event = as.integer(status == 2))), 365),
  list("veteran", "all", data.frame(time = vet$time, event = vet$status), 500),
  list("veteran", "trt=1", with(vet[vet$trt == 1, ], data.frame(time = time, event = status)), 200),
  list("veteran", "trt=2", with(vet[vet$trt == 2, ], data.frame(time = time, event = status)), 2000)
)
km_rows <- character(0)
summary_rows <- character(0)
for (s in subsets) {
  d <- s[[3]]
  tau <- s[[4]]
  for (ct in c("plain", "log", "log-log")) {
    for (level in c(0.95, 0.9)) {
      fit <- survfit(Surv(time, event) ~ 1, data = d, conf.type = ct, conf.int = level)
      if (level == 0.95) {
        # fit$std.err is the standard error of the cumulative hazard (of log S); summary.survfit
        # reports std.err * surv, the standard error of S itself (Greenwood). We write the latter.
        km_rows <- c(km_rows, paste(s[[1]], s[[2]], ct, level, num(fit$time), fit$n.risk, fit$n.event,
                                    fit$n.censor, num(fit$surv), num(fit$std.err * fit$surv),
                                    num(fit$lower), num(fit$upper), sep = ","))
      }
      tab <- summary(fit, rmean = tau)$table
      summary_rows <- c(summary_rows, paste(s[[1]], s[[2]], ct, level, num(tau), num(tab[["median"]]),
                                            num(tab[[paste0(level, "LCL")]]), num(tab[[paste0(level, "UCL")]]),
                                            num(tab[["rmean"]]), num(tab[["se(rmean)"]]), sep = ","))
    }
  }
}
writeLines(c("dataset,subset,conf_type,level,time,n_risk,n_event,n_censor,surv,std_err,lower,upper", km_rows),
           file.path(out_dir, "expected_km.csv"))
writeLines(c("dataset,subset,conf_type,level,tau,median,median_lower,median_upper,rmean,se_rmean", summary_rows),
           file.path(out_dir, "expected_km_summary.csv"))

# --- log-rank tests --------------------------------------------------------------------------------
tests <- list(
  list("lung_by_sex", survdiff(Surv(time, status == 2) ~ sex, data = lng)),
  list("veteran_by_trt", survdiff(Surv(time, status) ~ trt, data = vet)),
  list("veteran_by_celltype", survdiff(Surv(time, status) ~ celltype, data = vet)),
  list("veteran_by_trt_strata_celltype", survdiff(Surv(time, status) ~ trt + strata(celltype), data = vet))
)
lr_rows <- character(0)
group_rows <- character(0)
for (t in tests) {
  sd <- t[[2]]
  df <- length(sd$n) - 1
  lr_rows <- c(lr_rows, paste(t[[1]], num(sd$chisq), df, num(pchisq(sd$chisq, df, lower.tail = FALSE)), sep = ","))
  obs <- if (is.matrix(sd$obs)) rowSums(sd$obs) else sd$obs
  ex <- if (is.matrix(sd$exp)) rowSums(sd$exp) else sd$exp
  groups <- sub(".*=", "", names(sd$n))
  group_rows <- c(group_rows, paste(t[[1]], groups, num(obs), num(ex), sep = ","))
}
writeLines(c("test,chisq,df,p_value", lr_rows), file.path(out_dir, "expected_logrank.csv"))
writeLines(c("test,group,observed,expected", group_rows), file.path(out_dir, "expected_logrank_groups.csv"))

# Printed for the reader.
print(survfit(Surv(time, status == 2) ~ sex, data = lng), rmean = 365)
for (t in tests) print(t[[2]])
