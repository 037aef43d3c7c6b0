// Satisfaction surveys from a CSV of answers: customer,date,survey,score
#include <cxm/cxm.hpp>

#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

int main(int argc, char** argv) {
  std::ifstream in(argc > 1 ? argv[1] : "data/survey_answers.csv");
  if (!in) { std::cerr << "cannot open the answers file\n"; return 1; }

  cxm::nps nps;                                  // 0..10: promoters 9-10, detractors 0-6
  cxm::csat csat;                                // 1..5, satisfied = 4 and 5
  cxm::ces ces;                                  // 1..7, easy = 5 and above
  cxm::rejection_counts rejected;                // bad rows are counted, not lost
  cxm::skip_invalid skip{rejected};

  std::string line, customer, date, survey, score;
  std::getline(in, line);                        // header
  while (std::getline(in, line)) {
    std::istringstream row(line);
    std::getline(row, customer, ','); std::getline(row, date, ',');
    std::getline(row, survey, ','); std::getline(row, score);
    const int s = std::stoi(score);
    if (survey == "nps") nps.add(s, skip);
    else if (survey == "csat") csat.add(s, skip);
    else if (survey == "ces") ces.add(s, skip);
    else rejected.add(cxm::rejection_reason::unknown_kind);
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
  std::cout << "rejected answers: " << rejected.total() << "\n";
}
