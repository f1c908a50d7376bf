#include "mer/report/svg.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace mer::report {
namespace {

constexpr const char* kPalette[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"};
constexpr int kLeft = 70, kRight = 150, kTop = 40, kBottom = 55;

std::string Escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string Num(double v) {
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%.2f", v);
  return buffer;
}

std::string Label(double v) {
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%g", std::abs(v) < 1e-12 ? 0.0 : v);
  return buffer;
}

// The plotting area and the data -> pixel mapping.
struct Frame {
  double x0, x1, y0, y1;  // data range
  int width, height;
  double Px(double x) const { return kLeft + (x - x0) / (x1 - x0) * (width - kLeft - kRight); }
  double Py(double y) const { return height - kBottom - (y - y0) / (y1 - y0) * (height - kTop - kBottom); }
};

void Range(const std::vector<double>& values, double* lo, double* hi) {
  for (double v : values) {
    if (!std::isfinite(v)) continue;
    *lo = std::min(*lo, v);
    *hi = std::max(*hi, v);
  }
}

Frame MakeFrame(double xlo, double xhi, double ylo, double yhi, const ChartOptions& o) {
  if (!(xlo <= xhi)) xlo = 0, xhi = 1;
  if (!(ylo <= yhi)) ylo = 0, yhi = 1;
  if (xhi - xlo < 1e-12) xlo -= 0.5, xhi += 0.5;
  if (yhi - ylo < 1e-12) ylo -= 0.5, yhi += 0.5;
  const auto xt = NiceTicks(xlo, xhi), yt = NiceTicks(ylo, yhi);
  return {std::min(xlo, xt.front()), std::max(xhi, xt.back()), std::min(ylo, yt.front()), std::max(yhi, yt.back()),
          o.width, o.height};
}

std::string Header(const ChartOptions& o) {
  return "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + std::to_string(o.width) + "\" height=\"" +
         std::to_string(o.height) + "\" viewBox=\"0 0 " + std::to_string(o.width) + " " + std::to_string(o.height) +
         "\" font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n" +
         "<text x=\"" + std::to_string(o.width / 2) + "\" y=\"22\" text-anchor=\"middle\" font-size=\"15\">" +
         Escape(o.title) + "</text>\n";
}

std::string Axes(const Frame& f, const ChartOptions& o, bool x_ticks) {
  std::string s;
  const double left = f.Px(f.x0), right = f.Px(f.x1), top = f.Py(f.y1), bottom = f.Py(f.y0);
  for (double t : NiceTicks(f.y0, f.y1)) {
    if (t < f.y0 - 1e-9 || t > f.y1 + 1e-9) continue;
    s += "<line x1=\"" + Num(left) + "\" y1=\"" + Num(f.Py(t)) + "\" x2=\"" + Num(right) + "\" y2=\"" + Num(f.Py(t)) +
         "\" stroke=\"#e5e5e5\"/>\n<text x=\"" + Num(left - 6) + "\" y=\"" + Num(f.Py(t) + 4) +
         "\" text-anchor=\"end\">" + Label(t) + "</text>\n";
  }
  if (x_ticks) {
    for (double t : NiceTicks(f.x0, f.x1)) {
      if (t < f.x0 - 1e-9 || t > f.x1 + 1e-9) continue;
      s += "<line x1=\"" + Num(f.Px(t)) + "\" y1=\"" + Num(bottom) + "\" x2=\"" + Num(f.Px(t)) + "\" y2=\"" +
           Num(bottom + 5) + "\" stroke=\"black\"/>\n<text x=\"" + Num(f.Px(t)) + "\" y=\"" + Num(bottom + 18) +
           "\" text-anchor=\"middle\">" + Label(t) + "</text>\n";
    }
  }
  s += "<rect x=\"" + Num(left) + "\" y=\"" + Num(top) + "\" width=\"" + Num(right - left) + "\" height=\"" +
       Num(bottom - top) + "\" fill=\"none\" stroke=\"black\"/>\n";
  s += "<text x=\"" + Num((left + right) / 2) + "\" y=\"" + std::to_string(o.height - 12) +
       "\" text-anchor=\"middle\">" + Escape(o.x_label) + "</text>\n";
  s += "<text transform=\"translate(16," + Num((top + bottom) / 2) + ") rotate(-90)\" text-anchor=\"middle\">" +
       Escape(o.y_label) + "</text>\n";
  return s;
}

std::string Legend(const std::vector<Series>& series, const ChartOptions& o) {
  std::string s;
  for (std::size_t i = 0; i < series.size(); ++i) {
    const int y = kTop + 14 + static_cast<int>(i) * 18, x = o.width - kRight + 12;
    s += "<rect x=\"" + std::to_string(x) + "\" y=\"" + std::to_string(y - 9) + "\" width=\"12\" height=\"10\" fill=\"" +
         kPalette[i % 8] + "\"/>\n<text x=\"" + std::to_string(x + 18) + "\" y=\"" + std::to_string(y) + "\">" +
         Escape(series[i].name) + "</text>\n";
  }
  return s;
}

}  // namespace

std::vector<double> NiceTicks(double lo, double hi, int count) {
  if (!(hi > lo)) return {lo};
  const double raw = (hi - lo) / std::max(1, count);
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  const double fraction = raw / magnitude;
  const double step = (fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10) * magnitude;
  std::vector<double> ticks;
  for (double t = std::floor(lo / step) * step; t <= hi + step * 0.5 && ticks.size() < 50; t += step) ticks.push_back(t);
  if (ticks.back() < hi) ticks.push_back(ticks.back() + step);
  return ticks;
}

std::string LineChart(const std::vector<Series>& series, const ChartOptions& o) {
  double xlo = INFINITY, xhi = -INFINITY, ylo = INFINITY, yhi = -INFINITY;
  for (const auto& s : series) Range(s.x, &xlo, &xhi), Range(s.y, &ylo, &yhi);
  const Frame f = MakeFrame(xlo, xhi, ylo, yhi, o);
  std::string svg = Header(o) + Axes(f, o, true);
  for (std::size_t i = 0; i < series.size(); ++i) {
    std::string points;
    for (std::size_t k = 0; k < std::min(series[i].x.size(), series[i].y.size()); ++k) {
      if (!std::isfinite(series[i].y[k])) continue;
      points += Num(f.Px(series[i].x[k])) + "," + Num(f.Py(series[i].y[k])) + " ";
    }
    svg += "<polyline fill=\"none\" stroke-width=\"2\" stroke=\"" + std::string(kPalette[i % 8]) + "\" points=\"" +
           points + "\"/>\n";
  }
  return svg + Legend(series, o) + "</svg>\n";
}

std::string ScatterChart(const std::vector<Series>& series, const ChartOptions& o) {
  double xlo = INFINITY, xhi = -INFINITY, ylo = INFINITY, yhi = -INFINITY;
  for (const auto& s : series) Range(s.x, &xlo, &xhi), Range(s.y, &ylo, &yhi);
  if (o.diagonal) xlo = ylo = std::min(xlo, ylo), xhi = yhi = std::max(xhi, yhi);
  const Frame f = MakeFrame(xlo, xhi, ylo, yhi, o);
  std::string svg = Header(o) + Axes(f, o, true);
  if (o.diagonal) {
    const double a = std::max(f.x0, f.y0), b = std::min(f.x1, f.y1);
    svg += "<line x1=\"" + Num(f.Px(a)) + "\" y1=\"" + Num(f.Py(a)) + "\" x2=\"" + Num(f.Px(b)) + "\" y2=\"" +
           Num(f.Py(b)) + "\" stroke=\"#888\" stroke-dasharray=\"4 3\"/>\n";
  }
  for (std::size_t i = 0; i < series.size(); ++i) {
    for (std::size_t k = 0; k < std::min(series[i].x.size(), series[i].y.size()); ++k) {
      if (!std::isfinite(series[i].x[k]) || !std::isfinite(series[i].y[k])) continue;
      svg += "<circle cx=\"" + Num(f.Px(series[i].x[k])) + "\" cy=\"" + Num(f.Py(series[i].y[k])) +
             "\" r=\"3\" fill-opacity=\"0.7\" fill=\"" + kPalette[i % 8] + "\"/>\n";
    }
  }
  return svg + Legend(series, o) + "</svg>\n";
}

std::string BarChart(const std::vector<std::string>& categories, const std::vector<Series>& series,
                     const ChartOptions& o) {
  double ylo = 0, yhi = -INFINITY;
  for (const auto& s : series) {
    for (std::size_t k = 0; k < s.y.size(); ++k) {
      const double e = k < s.error.size() && std::isfinite(s.error[k]) ? s.error[k] : 0.0;
      Range({s.y[k] - e, s.y[k] + e}, &ylo, &yhi);
    }
  }
  const Frame f = MakeFrame(0, static_cast<double>(std::max<std::size_t>(1, categories.size())), ylo, yhi, o);
  std::string svg = Header(o) + Axes(f, o, false);
  const double group = f.Px(1) - f.Px(0), bar = group * 0.8 / std::max<std::size_t>(1, series.size());
  for (std::size_t c = 0; c < categories.size(); ++c) {
    svg += "<text x=\"" + Num(f.Px(c + 0.5)) + "\" y=\"" + Num(f.Py(f.y0) + 16) + "\" text-anchor=\"middle\">" +
           Escape(categories[c]) + "</text>\n";
    for (std::size_t i = 0; i < series.size(); ++i) {
      if (c >= series[i].y.size() || !std::isfinite(series[i].y[c])) continue;
      const double v = series[i].y[c], x = f.Px(static_cast<double>(c)) + group * 0.1 + bar * static_cast<double>(i);
      const double top = f.Py(std::max(v, 0.0)), base = f.Py(std::min(v, 0.0));
      svg += "<rect x=\"" + Num(x) + "\" y=\"" + Num(top) + "\" width=\"" + Num(bar * 0.9) + "\" height=\"" +
             Num(std::max(0.5, base - top)) + "\" fill=\"" + kPalette[i % 8] + "\"/>\n";
      if (c < series[i].error.size() && std::isfinite(series[i].error[c]) && series[i].error[c] > 0) {
        const double e = series[i].error[c], middle = x + bar * 0.45;
        svg += "<line x1=\"" + Num(middle) + "\" y1=\"" + Num(f.Py(v - e)) + "\" x2=\"" + Num(middle) + "\" y2=\"" +
               Num(f.Py(v + e)) + "\" stroke=\"black\"/>\n";
      }
    }
  }
  if (f.y0 < 0) {
    svg += "<line x1=\"" + Num(f.Px(f.x0)) + "\" y1=\"" + Num(f.Py(0)) + "\" x2=\"" + Num(f.Px(f.x1)) + "\" y2=\"" +
           Num(f.Py(0)) + "\" stroke=\"black\"/>\n";
  }
  return svg + Legend(series, o) + "</svg>\n";
}

std::string ConfusionChart(const std::vector<std::string>& classes, const std::vector<std::vector<double>>& counts,
                           const ChartOptions& o) {
  const std::size_t n = classes.size();
  std::string svg = Header(o);
  if (n == 0) return svg + "</svg>\n";
  const double left = 110, top = 60, size = std::min((o.width - left - 30) / n, (o.height - top - 60) / n);
  for (std::size_t r = 0; r < n; ++r) {
    double row_total = 0;
    for (double v : counts[r]) row_total += v;
    const double y = top + size * static_cast<double>(r);
    svg += "<text x=\"" + Num(left - 8) + "\" y=\"" + Num(y + size / 2 + 4) + "\" text-anchor=\"end\">" +
           Escape(classes[r]) + "</text>\n";
    for (std::size_t c = 0; c < n; ++c) {
      const double share = row_total > 0 ? counts[r][c] / row_total : 0.0;
      const double x = left + size * static_cast<double>(c);
      const int shade = static_cast<int>(std::lround(255 - 200 * share));
      svg += "<rect class=\"cell\" x=\"" + Num(x) + "\" y=\"" + Num(y) + "\" width=\"" + Num(size) + "\" height=\"" +
             Num(size) + "\" fill=\"rgb(" + std::to_string(shade) + "," + std::to_string(shade) + ",255)\" stroke=\"#888\"/>\n";
      svg += "<text x=\"" + Num(x + size / 2) + "\" y=\"" + Num(y + size / 2 + 4) + "\" text-anchor=\"middle\">" +
             Label(counts[r][c]) + "</text>\n";
    }
  }
  for (std::size_t c = 0; c < n; ++c) {
    svg += "<text x=\"" + Num(left + size * (static_cast<double>(c) + 0.5)) + "\" y=\"" +
           Num(top + size * static_cast<double>(n) + 18) + "\" text-anchor=\"middle\">" + Escape(classes[c]) + "</text>\n";
  }
  svg += "<text x=\"" + Num(left + size * static_cast<double>(n) / 2) + "\" y=\"" + Num(top + size * static_cast<double>(n) + 40) +
         "\" text-anchor=\"middle\">predicted</text>\n<text x=\"20\" y=\"" + Num(top + size * static_cast<double>(n) / 2) +
         "\" transform=\"rotate(-90 20 " + Num(top + size * static_cast<double>(n) / 2) + ")\" text-anchor=\"middle\">true</text>\n";
  return svg + "</svg>\n";
}

}  // namespace mer::report
