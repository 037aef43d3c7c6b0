// Satisfaction surveys from a CSV of answers: customer,date,survey,score
#include <cxm/cxm.hpp>
#include <cxm/survey/normal_intervals.hpp>  // wald_interval, wilson_interval

#include <charconv>
#include <fstream>
#include <iostream>
#include <map>
#include <string>
#include <string_view>

// The i-th comma-separated field of a row; empty when the row has fewer fields.
std::string_view field(std::string_view row, int i) {
  for (; i > 0; --i) {
    const auto comma = row.find(',');
    if (comma == row.npos) return {};
    row.remove_prefix(comma + 1);
  }
  return row.substr(0, row.find(','));
}

int main(int argc, char** argv) {
  std::ifstream in(argc > 1 ? argv[1] : "data/survey_answers.csv");
  if (!in) { std::cerr << "cannot open the answers file\n"; return 1; }

  cxm::nps nps;                                  // 0..10: promoters 9-10, detractors 0-6
  cxm::csat csat;                                // 1..5, satisfied = 4 and 5
  cxm::ces ces;                                  // 1..7, easy = 5 and above
  std::map<std::string, int> bad;                // bad rows are counted by reason, not lost
  cxm::rejection_counts rejected;                // the metrics' own count (mergeable, saveable)
  cxm::skip_invalid skip{rejected, [&](const cxm::rejection& r) { ++bad[std::string(cxm::to_string(r.reason))]; }};

  // The score must be the whole field and a number; the metric then checks that it is a whole
  // number on its scale ("4.5", "nan" and "11" are rejected by reason, never rounded).
  const auto add = [&](auto& metric, std::string_view text) {
    double score = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), score);
    if (text.empty()) ++bad["empty_score"];
    else if (error != std::errc{} || end != text.data() + text.size()) ++bad["score_not_a_number"];
    else metric.add(score, skip);
  };

  std::string line;
  std::getline(in, line);                        // header
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();   // Windows line ends
    const std::string_view survey = field(line, 2), score = field(line, 3);
    if (survey == "nps") add(nps, score);
    else if (survey == "csat") add(csat, score);
    else if (survey == "ces") add(ces, score);
    else ++bad["unknown_survey"];
  }

  const auto n = nps.result();
  const auto wald = cxm::wald_interval(n, 0.95);
  std::cout << "NPS  " << n.score << " (n = " << n.n << ", 95% CI " << 100 * wald.lower << " .. "
            << 100 * wald.upper << ")\n";
  const auto c = csat.result();
  const auto wilson = cxm::wilson_interval(c, 0.95);
  std::cout << "CSAT " << 100 * c.satisfied_share << "% satisfied (n = " << c.n << ", 95% CI "
            << 100 * wilson.lower << " .. " << 100 * wilson.upper << "%), mean " << c.mean << "\n";
  const auto e = ces.result();
  std::cout << "CES  mean " << e.mean << ", " << 100 * e.easy_share << "% easy (n = " << e.n << ")\n";
  int total = 0;
  for (const auto& [reason, count] : bad) total += count;
  std::cout << "rejected rows: " << total;
  for (const char* sep = " ("; const auto& [reason, count] : bad) { std::cout << sep << reason << ' ' << count; sep = ", "; }
  std::cout << (total > 0 ? ")\n" : "\n");
}
