// A CSV reader for the datasets' real annotation files: RFC 4180 quoting with doubled quotes (Deezer), CRLF or LF
// (DEAM, CAL500exp), a UTF-8 byte-order mark, blank lines, and fields trimmed of spaces and stray TABs (1000 Songs'
// songs_info.csv). Columns are selected by trimmed header name, never by position. Errors name file:line.
#pragma once

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mer::data {

struct CsvRow {
  std::size_t line = 0;  // 1-based line number where the row starts
  std::vector<std::string> fields;
};

struct CsvTable {
  std::filesystem::path path;
  std::vector<std::string> header;  // trimmed names
  std::vector<CsvRow> rows;         // data rows, blank lines skipped

  std::optional<std::size_t> FindColumn(std::string_view name) const;
  // Throws InputError "<file>: no column '<name>' (columns: ...)".
  std::size_t Column(std::string_view name) const;
  // The first of several accepted names (files that renamed a column between releases).
  std::size_t ColumnOneOf(const std::vector<std::string>& names) const;

  // Throws InputError "<file>: header only, no data rows" for an annotation table that lists nothing.
  const CsvTable& RequireRows() const;
  // "<file>:<line>" for messages.
  std::string Where(const CsvRow& row) const;
  // Throws InputError "<file>:<line>: expected N fields, found M" unless the row has at least `count` fields.
  void RequireFields(const CsvRow& row, std::size_t count) const;
  // Throws InputError "<file>:<line>: expected N fields, found M" unless the row is exactly as wide as the header.
  void RequireHeaderWidth(const CsvRow& row) const;
  // Parses a number; throws InputError "<file>:<line>: column '<name>': '<text>' is not a number".
  double Number(const CsvRow& row, std::size_t column) const;
  const std::string& Field(const CsvRow& row, std::size_t column) const;
};

struct CsvOptions {
  bool has_header = true;
  char delimiter = ',';
};

// Throws InputError naming the file for a missing or unreadable file and for an unterminated quote.
CsvTable ReadCsv(const std::filesystem::path& path, const CsvOptions& options = {});
CsvTable ParseCsv(std::string_view text, const std::filesystem::path& path_for_messages, const CsvOptions& options = {});

// Trims spaces, TABs, CR and LF at both ends.
std::string Trim(std::string_view s);

}  // namespace mer::data
