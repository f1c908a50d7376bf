// A split taken from a file (data.split_file): an official split, or a private test set kept by the user.
//   id,part          header required; part is train, val (or validation) or test; CSV or TSV by extension
#include <map>
#include <set>

#include "loader_util.h"
#include "mer/core/error.h"
#include "mer/data/split.h"

namespace mer::data {

void ApplySplitFile(Corpus* corpus, const fs::path& path) {
  const CsvTable table = ReadCsv(path, CsvOptionsFor(path));
  table.RequireRows();
  const auto id_column = table.FindColumn("id"), part_column = table.FindColumn("part");
  if (!id_column || !part_column) {
    throw InputError(path.string() + ":1: a split file needs the columns id and part (it has: " + Joined(table.header) +
                     ")");
  }
  std::map<std::string, std::size_t> index;
  for (std::size_t i = 0; i < corpus->items.size(); ++i) index.emplace(corpus->items[i].id, i);
  std::map<std::size_t, std::string> parts;
  for (const auto& row : table.rows) {
    table.RequireFields(row, std::max(*id_column, *part_column) + 1);
    const std::string& id = table.Field(row, *id_column);
    std::string part = table.Field(row, *part_column);
    if (part == "validation") part = "val";
    if (part != "train" && part != "val" && part != "test") {
      throw InputError(table.Where(row) + ": part '" + part + "' is unknown (expected train, val or test)");
    }
    const auto it = index.find(id);
    if (it == index.end()) {
      throw InputError(table.Where(row) + ": id '" + id + "' is not an item of " + corpus->dataset +
                       " (ids are as `mer data check` and split.json write them)");
    }
    if (!parts.emplace(it->second, part).second) {
      throw InputError(table.Where(row) + ": id '" + id + "' is listed twice");
    }
  }
  std::vector<Item> kept;
  for (std::size_t i = 0; i < corpus->items.size(); ++i) {
    const auto it = parts.find(i);
    if (it == parts.end()) continue;
    corpus->items[i].official_split = it->second;
    kept.push_back(std::move(corpus->items[i]));
  }
  const std::size_t left_out = corpus->items.size() - kept.size();
  corpus->items = std::move(kept);
  if (left_out > 0) {
    corpus->notes.push_back(path.string() + " leaves " + std::to_string(left_out) +
                            " labelled items out of every part; they are not used");
  }
}

}  // namespace mer::data
