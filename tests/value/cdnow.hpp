#pragma once
// Readers for the bundled CLV reference files (data/README.md): the CDNOW summaries and the
// donations table, as the value models' inputs. CXM_DATA_DIR is set by tests/CMakeLists.txt.

#include <cxm/value/histories.hpp>

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace cxm_test {

inline std::string data_path(const std::string& file) { return std::string(CXM_DATA_DIR) + "/" + file; }

inline std::vector<std::vector<double>> read_numeric_csv(const std::string& file) {
  std::ifstream in(data_path(file));
  if (!in) throw std::runtime_error("cannot open " + data_path(file));
  std::string line;
  std::getline(in, line);  // header
  std::vector<std::vector<double>> rows;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    std::vector<double> row;
    std::stringstream ss(line);
    std::string cell;
    while (std::getline(ss, cell, ',')) row.push_back(std::stod(cell));
    rows.push_back(std::move(row));
  }
  return rows;
}

/// cdnow_customers_summary.csv: (x, t_x, T) per customer in weeks, weight 1, in ID order.
inline std::vector<cxm::value::purchase_history> cdnow_histories() {
  std::vector<cxm::value::purchase_history> out;
  for (const auto& r : read_numeric_csv("cdnow_customers_summary.csv")) out.push_back({r.at(1), r.at(2), r.at(3), 1.0});
  return out;
}

/// cdnow_customers_summary_with_transactions.csv rows with x > 0: (x, zbar), weight 1, in ID order.
inline std::vector<cxm::value::spend_history> cdnow_spend() {
  std::vector<cxm::value::spend_history> out;
  for (const auto& r : read_numeric_csv("cdnow_customers_summary_with_transactions.csv"))
    if (r.at(1) > 0) out.push_back({r.at(1), r.at(4), 1.0});
  return out;
}

/// donations.csv: (x, t_x, n, weight) patterns for BG/BB.
struct donation_pattern {
  double x, t_x, n, weight;
};
inline std::vector<donation_pattern> donations() {
  std::vector<donation_pattern> out;
  for (const auto& r : read_numeric_csv("donations.csv")) out.push_back({r.at(0), r.at(1), r.at(2), r.at(3)});
  return out;
}

}  // namespace cxm_test
