#include "mer/data/csv.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>

#include "mer/core/error.h"
#include "mer/core/file_io.h"

namespace mer::data {

std::string Trim(std::string_view s) {
  const char* ws = " \t\r\n";
  const auto begin = s.find_first_not_of(ws);
  if (begin == std::string_view::npos) return "";
  const auto end = s.find_last_not_of(ws);
  return std::string(s.substr(begin, end - begin + 1));
}

CsvTable ParseCsv(std::string_view text, const std::filesystem::path& path, const CsvOptions& options) {
  CsvTable table;
  table.path = path;
  if (text.size() >= 3 && text.compare(0, 3, "\xEF\xBB\xBF") == 0) text.remove_prefix(3);
  std::vector<std::vector<std::string>> records;
  std::vector<std::size_t> record_lines;
  std::vector<std::string> fields;
  std::string field;
  bool in_quotes = false, row_has_content = false;
  std::size_t line = 1, row_line = 1, quote_line = 0;
  const auto end_field = [&] {
    fields.push_back(Trim(field));
    field.clear();
  };
  const auto end_row = [&] {
    end_field();
    if (row_has_content) {
      records.push_back(std::move(fields));
      record_lines.push_back(row_line);
    }
    fields.clear();
    row_has_content = false;
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_quotes) {
      if (c == '"') {
        if (i + 1 < text.size() && text[i + 1] == '"') {
          field += '"';
          ++i;
        } else {
          in_quotes = false;
        }
      } else {
        if (c == '\n') ++line;
        field += c;
      }
      continue;
    }
    if (c == '"') {
      in_quotes = true;
      quote_line = line;
      row_has_content = true;
    } else if (c == options.delimiter) {
      end_field();
      row_has_content = true;
    } else if (c == '\n' || c == '\r') {
      if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
      end_row();
      ++line;
      row_line = line;
    } else {
      if (c != ' ' && c != '\t') row_has_content = true;
      field += c;
    }
  }
  if (in_quotes) throw InputError(path.string() + ":" + std::to_string(quote_line) + ": unterminated quoted field");
  end_row();

  std::size_t first = 0;
  if (options.has_header) {
    if (records.empty()) throw InputError(path.string() + ": empty file, expected a header line");
    table.header = std::move(records[0]);
    first = 1;
  }
  for (std::size_t r = first; r < records.size(); ++r) {
    table.rows.push_back(CsvRow{record_lines[r], std::move(records[r])});
  }
  return table;
}

CsvTable ReadCsv(const std::filesystem::path& path, const CsvOptions& options) {
  return ParseCsv(ReadFile(path), path, options);
}

std::optional<std::size_t> CsvTable::FindColumn(std::string_view name) const {
  for (std::size_t i = 0; i < header.size(); ++i) {
    if (header[i] == name) return i;
  }
  return std::nullopt;
}

std::size_t CsvTable::Column(std::string_view name) const { return ColumnOneOf({std::string(name)}); }

std::size_t CsvTable::ColumnOneOf(const std::vector<std::string>& names) const {
  for (const auto& name : names) {
    if (auto i = FindColumn(name)) return *i;
  }
  std::string wanted, columns;
  for (const auto& n : names) wanted += (wanted.empty() ? "'" : " or '") + n + "'";
  for (std::size_t i = 0; i < header.size() && i < 12; ++i) columns += (i ? ", " : "") + header[i];
  if (header.size() > 12) columns += ", ...";
  throw InputError(path.string() + ": no column " + wanted + " (columns: " + columns + ")");
}

const CsvTable& CsvTable::RequireRows() const {
  if (rows.empty()) throw InputError(path.string() + ": header only, no data rows");
  return *this;
}

std::string CsvTable::Where(const CsvRow& row) const { return path.string() + ":" + std::to_string(row.line); }

void CsvTable::RequireFields(const CsvRow& row, std::size_t count) const {
  if (row.fields.size() < count) {
    // A short row is reported against the header's width, which is what the user sees in the file.
    throw InputError(Where(row) + ": expected " + std::to_string(std::max(count, header.size())) + " fields, found " +
                     std::to_string(row.fields.size()));
  }
}

void CsvTable::RequireHeaderWidth(const CsvRow& row) const {
  if (row.fields.size() != header.size()) {
    throw InputError(Where(row) + ": expected " + std::to_string(header.size()) + " fields, found " +
                     std::to_string(row.fields.size()));
  }
}

const std::string& CsvTable::Field(const CsvRow& row, std::size_t column) const {
  RequireFields(row, column + 1);
  return row.fields[column];
}

double CsvTable::Number(const CsvRow& row, std::size_t column) const {
  const std::string& text = Field(row, column);
  const std::string name = column < header.size() ? header[column] : "#" + std::to_string(column + 1);
  char* end = nullptr;
  errno = 0;
  const double value = std::strtod(text.c_str(), &end);
  if (text.empty() || end != text.c_str() + text.size() || errno == ERANGE || !std::isfinite(value)) {
    throw InputError(Where(row) + ": column '" + name + "': '" + text + "' is not a number");
  }
  return value;
}

}  // namespace mer::data
