// How `berth` prints results: aligned text tables for people, JSON for scripts.
#pragma once

#include <cstdint>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace berth::cli {

enum class Format { kTable, kJson };

// Columns are padded to their widest cell (measured in characters, not bytes,
// so UTF-8 labels line up) and separated by spaces rather than tabs, so the
// output looks the same in every terminal and pipes cleanly into `column`/awk.
class Table {
 public:
  explicit Table(std::vector<std::string> header);

  void add_row(std::vector<std::string> row);
  // The rendered table; the last column is not padded, so no line ends in blanks.
  std::string render() const;
  void print(std::FILE* out = stdout) const;

 private:
  std::vector<std::vector<std::string>> rows_;  // rows_[0] is the header
};

// Pretty-printed with a trailing newline. Keys keep the order they were added
// in, so objects read like the table (type, id, ...). Invalid UTF-8 from the
// server is replaced rather than aborting the whole document.
void print_json(const nlohmann::ordered_json& doc, std::FILE* out = stdout);

// Sizes as ctr prints them: 1024-based, one decimal ("4.0 KiB", "512 B").
std::string human_size(int64_t bytes);

// Number of characters (UTF-8 code points) in `text`.
size_t display_width(std::string_view text);

}  // namespace berth::cli
