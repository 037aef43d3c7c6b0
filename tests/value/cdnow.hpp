#pragma once
// Readers for the bundled CLV reference files (data/README.md): the CDNOW raw transactions as purchase
// events, the CDNOW summaries and the donations table as the value models' inputs. CXM_DATA_DIR is set
// by tests/CMakeLists.txt (and benchmarks/CMakeLists.txt for cxm_bench_value, which reads the
// transactions here too).

#include <cxm/stream/event.hpp>
#include <cxm/value/histories.hpp>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
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

/// The two CDNOW transaction files (data/README.md), whitespace-separated, CRLF.
enum class cdnow_format {
  sample,  ///< CDNOW_sample.txt, no header: `master_id sample_id YYYYMMDD cds dollars`; the customer is sample_id
  master,  ///< CDNOW_master.txt, a header line, then `customer_id YYYYMMDD cds dollars`
};

namespace detail {

/// The header line of CDNOW_master.txt (compared field by field: the file pads it with spaces).
inline constexpr std::string_view cdnow_master_header = "customer_id date number_of_cds dollar_value";

/// The whitespace-separated fields of a line (spaces and tabs; a '\r' is part of a field).
inline std::vector<std::string_view> split_fields(std::string_view line) {
  std::vector<std::string_view> fields;
  for (std::size_t begin = line.find_first_not_of(" \t"); begin != std::string_view::npos;
       begin = line.find_first_not_of(" \t", begin)) {
    const std::size_t end = std::min(line.find_first_of(" \t", begin), line.size());
    fields.push_back(line.substr(begin, end - begin));
    begin = end;
  }
  return fields;
}

/// The whole field as a T (no sign for unsigned T, nothing left over), or false.
template <class T>
bool parse_field(std::string_view field, T& out) {
  const char* const last = field.data() + field.size();
  const auto [end, ec] = std::from_chars(field.data(), last, out);
  return ec == std::errc{} && end == last;
}

/// YYYYMMDD (eight digits, a real calendar day) as that day, or false.
inline bool parse_day(std::string_view field, std::chrono::sys_days& out) {
  unsigned ymd = 0;
  if (field.size() != 8 || !parse_field(field, ymd)) return false;
  const std::chrono::year_month_day d{std::chrono::year{static_cast<int>(ymd / 10000)}, std::chrono::month{ymd / 100 % 100},
                                      std::chrono::day{ymd % 100}};
  if (!d.ok()) return false;
  out = std::chrono::sys_days{d};
  return true;
}

}  // namespace detail

/// The purchases of a CDNOW transaction file, in file order, one per line: the customer, the day at
/// 00:00 UTC, cxm::event_kind::purchase, the dollars. Same-day rows stay separate events.
/// Strict, so that no row is lost unseen: throws std::runtime_error naming the file and the line
/// (`path:line: what`) for a file that cannot be opened, a missing header (master), a line with the
/// wrong number of fields, a field that is not a non-negative number, a date that is not a calendar
/// day (19970231) or an amount that is not finite. Blank lines and a trailing '\r' are fine.
inline std::vector<cxm::event<>> read_cdnow_purchases(const std::string& path, cdnow_format format) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open " + path);
  const bool sample = format == cdnow_format::sample;
  const std::size_t field_count = sample ? 5 : 4;
  const char* const layout = sample ? "master_id sample_id YYYYMMDD cds dollars" : "customer_id YYYYMMDD cds dollars";
  std::vector<cxm::event<>> out;
  std::string line;
  std::size_t line_number = 0;
  bool header_seen = sample;
  const auto fail = [&](const std::string& what) {
    throw std::runtime_error(path + ":" + std::to_string(line_number) + ": " + what);
  };
  while (std::getline(in, line)) {
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const auto fields = detail::split_fields(line);
    if (fields.empty()) continue;
    if (!header_seen) {
      if (fields != detail::split_fields(detail::cdnow_master_header))
        fail("expected the header `" + std::string(detail::cdnow_master_header) + "`");
      header_seen = true;
      continue;
    }
    if (fields.size() != field_count)
      fail(std::to_string(fields.size()) + " fields, expected " + std::to_string(field_count) + " (" + layout + ")");
    const std::size_t c = sample ? 1 : 0;  // the customer id's field: sample_id in the sample
    std::uint64_t master_id = 0, customer = 0;
    if (sample && !detail::parse_field(fields[0], master_id)) fail("master_id is not a whole number");
    if (!detail::parse_field(fields[c], customer)) fail("the customer id is not a whole number");
    std::chrono::sys_days purchase_day;
    if (!detail::parse_day(fields[c + 1], purchase_day)) fail("the date is not a calendar day as YYYYMMDD");
    unsigned cds = 0;
    if (!detail::parse_field(fields[c + 2], cds)) fail("the number of CDs is not a whole number");
    double dollars = 0.0;
    if (!detail::parse_field(fields[c + 3], dollars) || !std::isfinite(dollars) || dollars < 0.0)
      fail("the dollar amount is not a finite number >= 0");
    out.push_back({customer, purchase_day, cxm::event_kind::purchase, dollars});
  }
  if (!header_seen) throw std::runtime_error(path + ": no header line `" + std::string(detail::cdnow_master_header) + "`");
  return out;
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
