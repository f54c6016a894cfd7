#include "output.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <iterator>

namespace berth::cli {

namespace {

constexpr std::string_view kColumnGap = "   ";

}  // namespace

size_t display_width(std::string_view text) {
  // Count every byte that does not continue a multi-byte sequence.
  return static_cast<size_t>(std::count_if(
      text.begin(), text.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

std::string human_size(int64_t bytes) {
  static constexpr const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  double v = static_cast<double>(bytes);
  size_t unit = 0;
  while (v >= 1024 && unit + 1 < std::size(kUnits)) {
    v /= 1024;
    ++unit;
  }
  return unit == 0 ? fmt::format("{} B", bytes) : fmt::format("{:.1f} {}", v, kUnits[unit]);
}

Table::Table(std::vector<std::string> header) { rows_.push_back(std::move(header)); }

void Table::add_row(std::vector<std::string> row) {
  row.resize(rows_.front().size());
  rows_.push_back(std::move(row));
}

std::string Table::render() const {
  const size_t columns = rows_.front().size();
  std::vector<size_t> widths(columns, 0);
  for (const auto& row : rows_) {
    for (size_t c = 0; c < columns; ++c) widths[c] = std::max(widths[c], display_width(row[c]));
  }
  std::string text;
  for (const auto& row : rows_) {
    std::string line;
    for (size_t c = 0; c < columns; ++c) {
      line += row[c];
      if (c + 1 < columns) {
        line.append(widths[c] - display_width(row[c]), ' ');
        line += kColumnGap;
      }
    }
    // An empty last cell would otherwise leave the padding of the one before it.
    line.erase(line.find_last_not_of(' ') + 1);
    text += line;
    text += '\n';
  }
  return text;
}

void Table::print(std::FILE* out) const { fmt::print(out, "{}", render()); }

void print_json(const nlohmann::ordered_json& doc, std::FILE* out) {
  fmt::print(out, "{}\n", doc.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace));
}

}  // namespace berth::cli
