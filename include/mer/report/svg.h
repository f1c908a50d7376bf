// Small SVG charts written without any plotting library (or Python) at run time: line charts (training curves,
// emotion curves over time), scatter plots (predicted vs true, with the y = x diagonal) and bar charts with error
// bars (sweep summaries). Axes get "nice" ticks; every chart is a self-contained SVG document.
#pragma once

#include <string>
#include <vector>

namespace mer::report {

struct Series {
  std::string name;
  std::vector<double> x, y;
  std::vector<double> error;  // bar charts: +- error per bar (empty = none)
};

struct ChartOptions {
  std::string title, x_label, y_label;
  int width = 720, height = 420;
  bool diagonal = false;  // scatter: draw y = x
};

std::string LineChart(const std::vector<Series>& series, const ChartOptions& options);
std::string ScatterChart(const std::vector<Series>& series, const ChartOptions& options);
// One group of bars per category; each series gives one bar per category (y[i] for categories[i]).
std::string BarChart(const std::vector<std::string>& categories, const std::vector<Series>& series,
                     const ChartOptions& options);

// A confusion matrix as a grid of cells shaded by each row's share (rows: true class, columns: predicted class),
// each cell labelled with its count; the title should say what was counted.
std::string ConfusionChart(const std::vector<std::string>& classes, const std::vector<std::vector<double>>& counts,
                           const ChartOptions& options);

// "Nice" tick values covering [lo, hi] (about `count` of them), as used on the axes.
std::vector<double> NiceTicks(double lo, double hi, int count = 5);

}  // namespace mer::report
