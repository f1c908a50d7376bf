#include "va_cross_check.h"

#include "loader_util.h"

#include <cmath>
#include <cstdio>
#include <map>
#include <numeric>

namespace mer::data {
namespace {

std::string Fixed(double v) {
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%.4f", v);
  return buffer;
}

}  // namespace

double Pearson(const std::vector<double>& x, const std::vector<double>& y) {
  const std::size_t n = x.size();
  if (n < 3 || y.size() != n) return NAN;
  const double mx = std::accumulate(x.begin(), x.end(), 0.0) / n, my = std::accumulate(y.begin(), y.end(), 0.0) / n;
  double sxy = 0, sxx = 0, syy = 0;
  for (std::size_t i = 0; i < n; ++i) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) * (x[i] - mx);
    syy += (y[i] - my) * (y[i] - my);
  }
  return sxx > 0 && syy > 0 ? sxy / std::sqrt(sxx * syy) : NAN;
}

std::string CrossCheckVa(const Corpus& a, const Corpus& b) {
  const int av = LabelIndex(a.schema, "valence"), aa = LabelIndex(a.schema, "arousal");
  const int bv = LabelIndex(b.schema, "valence"), ba = LabelIndex(b.schema, "arousal");
  if (av < 0 || aa < 0 || bv < 0 || ba < 0) return "";
  std::map<std::string, const Item*> other;
  for (const auto& item : b.items) other[item.id] = &item;
  std::vector<double> a_valence, a_arousal, b_valence, b_arousal;
  for (const auto& item : a.items) {
    const auto it = other.find(item.id);
    if (it == other.end()) continue;
    a_valence.push_back(item.labels[av]);
    a_arousal.push_back(item.labels[aa]);
    b_valence.push_back(it->second->labels[bv]);
    b_arousal.push_back(it->second->labels[ba]);
  }
  if (a_valence.size() < 3) return "";
  const double rv = Pearson(a_valence, b_valence), ra = Pearson(a_arousal, b_arousal);
  if (rv >= 0.9 && ra >= 0.9) return "";
  const double swapped_v = Pearson(a_valence, b_arousal), swapped_a = Pearson(a_arousal, b_valence);
  std::string message = a.dataset + " and " + b.dataset + " disagree on the " + std::to_string(a_valence.size()) +
                        " songs they share: r(valence) = " + Fixed(rv) + ", r(arousal) = " + Fixed(ra);
  if (swapped_v >= 0.9 && swapped_a >= 0.9) {
    message += "; with one side's valence and arousal swapped r = " + Fixed(swapped_v) + " / " + Fixed(swapped_a) +
               ": check data.va_columns of both";
  }
  return message;
}

std::string CheckStaticAgainstDynamic(const Corpus& corpus) {
  const int vi = LabelIndex(corpus.schema, "valence"), ai = LabelIndex(corpus.schema, "arousal");
  if (vi < 0 || ai < 0) return "";
  std::vector<double> sv, sa, dv, da;
  for (const auto& item : corpus.items) {
    if (!item.dynamic || item.dynamic->valence.empty()) continue;
    sv.push_back(item.labels[vi]);
    sa.push_back(item.labels[ai]);
    dv.push_back(std::accumulate(item.dynamic->valence.begin(), item.dynamic->valence.end(), 0.0) /
                 item.dynamic->valence.size());
    da.push_back(std::accumulate(item.dynamic->arousal.begin(), item.dynamic->arousal.end(), 0.0) /
                 item.dynamic->arousal.size());
  }
  if (sv.size() < 10) return "";
  const double straight = Pearson(sv, dv) + Pearson(sa, da), crossed = Pearson(sv, da) + Pearson(sa, dv);
  if (std::isnan(straight) || std::isnan(crossed) || straight >= crossed) return "";
  return "static and dynamic labels of " + std::to_string(sv.size()) +
         " items agree better with valence and arousal swapped (r sums " + Fixed(crossed) + " vs " + Fixed(straight) +
         "): check data.va_columns";
}

void AttachCurvesAndCheck(Corpus* corpus, const std::filesystem::path& arousal_file,
                          const std::filesystem::path& valence_file, bool swap) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(arousal_file, ec) || !std::filesystem::is_regular_file(valence_file, ec)) return;
  double start = 0, hop = 0, start_v = 0, hop_v = 0;
  auto arousal = ReadWideCurves(arousal_file, &start, &hop);
  auto valence = ReadWideCurves(valence_file, &start_v, &hop_v);
  if (swap) std::swap(arousal, valence);
  AttachCurves(corpus, valence, arousal, start, hop);
  const std::string check = CheckStaticAgainstDynamic(*corpus);
  if (!check.empty()) corpus->warnings.push_back(check);
}

void RecordCrossCheck(Corpus* corpus, const Corpus& other, const std::string& other_name, const std::string& other_root) {
  const std::string check = CrossCheckVa(*corpus, other);
  if (check.empty()) {
    corpus->notes.push_back("agrees with " + other_name + " at " + other_root +
                            " on the valence/arousal of the songs they share");
  } else {
    corpus->warnings.push_back(check);
  }
}

}  // namespace mer::data
