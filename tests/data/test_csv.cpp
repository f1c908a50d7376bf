#include <gtest/gtest.h>

#include "data_test_util.h"
#include "mer/data/csv.h"

namespace mer::data {
namespace {

TEST(Csv, QuotingCrlfBomTabsAndBlankLines) {
  const std::string text =
      "\xEF\xBB\xBFid, name ,value\r\n"
      "1,\"Smith, \"\"Jr\"\"\",2.5\r\n"
      "\r\n"
      "2,\"\tspaced\t\",\"multi\nline\"\r\n"
      "3,,-1e3";
  const CsvTable t = ParseCsv(text, "x.csv");
  ASSERT_EQ(t.header, (std::vector<std::string>{"id", "name", "value"}));
  ASSERT_EQ(t.rows.size(), 3u);
  EXPECT_EQ(t.rows[0].fields[1], "Smith, \"Jr\"");
  EXPECT_EQ(t.Number(t.rows[0], t.Column("value")), 2.5);
  EXPECT_EQ(t.rows[1].fields[1], "spaced");
  EXPECT_EQ(t.rows[1].fields[2], "multi\nline");
  EXPECT_EQ(t.rows[1].line, 4u);
  EXPECT_EQ(t.rows[2].line, 6u);
  EXPECT_EQ(t.rows[2].fields[1], "");
  EXPECT_EQ(t.Number(t.rows[2], 2), -1000.0);
}

TEST(Csv, ErrorsNameFileLineAndColumn) {
  const CsvTable t = ParseCsv("id,value\n1,abc\n2\n", "data/labels.csv");
  EXPECT_EQ(test::InputErrorOf([&] { t.Number(t.rows[0], 1); }),
            "data/labels.csv:2: column 'value': 'abc' is not a number");
  EXPECT_EQ(test::InputErrorOf([&] { t.Number(t.rows[1], 1); }), "data/labels.csv:3: expected 2 fields, found 1");
  EXPECT_NE(test::InputErrorOf([&] { t.Column("arousal"); }).find("no column 'arousal' (columns: id, value)"),
            std::string::npos);
  EXPECT_EQ(test::InputErrorOf([] { ParseCsv("a,b\n1,\"open\n", "q.csv"); }), "q.csv:2: unterminated quoted field");
  EXPECT_NE(test::InputErrorOf([] { ReadCsv("/nonexistent/file.csv"); }).find("/nonexistent/file.csv"),
            std::string::npos);
}

}  // namespace
}  // namespace mer::data
