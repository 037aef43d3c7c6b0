#pragma once
/// \file
/// The figures analysts use to validate a buy-till-you-die fit (Fader, Hardie & Lee 2005, "Counting
/// your customers the easy way", figures 2–4):
///   - expected_cumulative_repeats: the cohort's expected cumulative repeat purchases at the end of each
///     step, Σ_b n_b · E[X(τ − b)] over the customers' first-purchase times b (each customer's clock
///     starts at the first purchase; E[X(t)] = 0 for t ≤ 0), to plot against the actual cumulative
///     repeat purchases, through calibration and holdout;
///   - holdout_by_frequency: the calibration-versus-holdout comparison: customers grouped by their
///     calibration repeat purchases x = 0, 1, ..., max_x − 1 and "max_x or more", with the mean actual
///     holdout purchases and the mean conditional expectation E[Y(t) | x, t_x, T] of each group.
/// Generic over every model offering expected_purchases(model, t) and expected_purchases(model,
/// history, t) (bg_nbd, mbg_nbd, pareto_nbd). Times in the model's unit. Pure functions.
/// Cost: steps × distinct first-purchase times expectations; one conditional expectation per history.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "cxm/value/histories.hpp"

namespace cxm::value {

/// Customers whose first purchase was at `time` (model units from an origin of the caller's choice).
struct cohort_births {
  double time = 0.0;  ///< the first purchase time
  double customers = 0.0;  ///< how many customers
};

/// At the end of step k (k = 1..steps): Σ_b customers_b · E[X(k · step − time_b)]. Throws
/// std::invalid_argument for a step ≤ 0 or a non-finite birth.
template <class Model>
[[nodiscard]] std::vector<double> expected_cumulative_repeats(const Model& model, std::span<const cohort_births> births,
                                                              std::size_t steps, double step) {
  if (!(step > 0.0) || !std::isfinite(step)) throw std::invalid_argument("expected_cumulative_repeats: step must be > 0");
  for (const auto& b : births)
    if (!std::isfinite(b.time) || !std::isfinite(b.customers) || b.customers < 0.0)
      throw std::invalid_argument("expected_cumulative_repeats: births must be finite, customers >= 0");
  std::vector<double> out(steps, 0.0);
  for (std::size_t k = 0; k < steps; ++k) {
    const double tau = static_cast<double>(k + 1) * step;
    double sum = 0.0;
    for (const auto& b : births)
      if (tau > b.time) sum += b.customers * expected_purchases(model, tau - b.time);
    out[k] = sum;
  }
  return out;
}

/// One group of holdout_by_frequency.
struct frequency_group {
  double x = 0.0;           ///< calibration repeat purchases (the last group: at least this many)
  double customers = 0.0;   ///< Σ weight
  double actual = 0.0;      ///< mean holdout purchases
  double expected = 0.0;    ///< mean E[Y(holdout_length) | x, t_x, T]
};

/// Groups x = 0 .. max_x − 1 and "≥ max_x" (max_x ≥ 1); empty groups are kept (customers 0, means 0).
/// `holdout_purchases[i]` belongs to `histories[i]`. Throws std::invalid_argument for different
/// lengths, max_x = 0, a holdout length ≤ 0 or a negative count.
template <class Model>
[[nodiscard]] std::vector<frequency_group> holdout_by_frequency(const Model& model, std::span<const purchase_history> histories,
                                                                std::span<const double> holdout_purchases,
                                                                double holdout_length, std::size_t max_x = 7) {
  if (histories.size() != holdout_purchases.size())
    throw std::invalid_argument("holdout_by_frequency: " + std::to_string(histories.size()) + " histories but " +
                                std::to_string(holdout_purchases.size()) + " holdout counts");
  if (max_x == 0) throw std::invalid_argument("holdout_by_frequency: max_x must be >= 1");
  if (!(holdout_length > 0.0) || !std::isfinite(holdout_length))
    throw std::invalid_argument("holdout_by_frequency: holdout_length must be > 0");
  std::vector<frequency_group> g(max_x + 1);
  for (std::size_t i = 0; i <= max_x; ++i) g[i].x = static_cast<double>(i);
  for (std::size_t i = 0; i < histories.size(); ++i) {
    const auto& h = histories[i];
    check_history(h, i);
    if (!(holdout_purchases[i] >= 0.0) || !std::isfinite(holdout_purchases[i]))
      throw std::invalid_argument("holdout_by_frequency: holdout count " + std::to_string(i) + " must be finite and >= 0");
    auto& grp = g[std::min(static_cast<std::size_t>(h.x), max_x)];
    grp.customers += h.weight;
    grp.actual += h.weight * holdout_purchases[i];
    grp.expected += h.weight * expected_purchases(model, h, holdout_length);
  }
  for (auto& grp : g)
    if (grp.customers > 0.0) {
      grp.actual /= grp.customers;
      grp.expected /= grp.customers;
    }
  return g;
}

}  // namespace cxm::value
