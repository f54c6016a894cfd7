#include "berth/filters.hpp"

#include <cctype>
#include <regex>

namespace berth {

struct Filter::Selector {
  enum class Op { kPresent, kEqual, kNotEqual, kMatches };
  std::vector<std::string> path;
  Op op = Op::kPresent;
  std::string value;
  std::optional<std::regex> re;
};

namespace {

bool field_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

// Recursive descent over one filter string, following containerd's grammar.
class Parser {
 public:
  explicit Parser(std::string_view text) : s_(text) {}

  Result<std::vector<std::shared_ptr<const Filter::Selector>>> parse() {
    std::vector<std::shared_ptr<const Filter::Selector>> out;
    skip_space();
    if (eof()) return error("empty filter");
    while (true) {
      auto sel = selector();
      if (!sel.ok()) return sel.status();
      out.push_back(std::make_shared<const Filter::Selector>(std::move(*sel)));
      skip_space();
      if (eof()) break;
      if (s_[pos_] != ',') return error("expected ',' or end of filter");
      ++pos_;
      skip_space();
    }
    return out;
  }

 private:
  Result<Filter::Selector> selector() {
    Filter::Selector sel;
    while (true) {
      auto f = field();
      if (!f.ok()) return f.status();
      sel.path.push_back(std::move(*f));
      if (!eof() && s_[pos_] == '.') {
        ++pos_;
        continue;
      }
      break;
    }
    skip_space();
    if (eof() || s_[pos_] == ',') return sel;  // presence test
    if (s_.substr(pos_, 2) == "==") {
      sel.op = Filter::Selector::Op::kEqual;
    } else if (s_.substr(pos_, 2) == "!=") {
      sel.op = Filter::Selector::Op::kNotEqual;
    } else if (s_.substr(pos_, 2) == "~=") {
      sel.op = Filter::Selector::Op::kMatches;
    } else {
      return error("expected an operator (==, != or ~=)");
    }
    pos_ += 2;
    skip_space();
    auto v = value();
    if (!v.ok()) return v.status();
    sel.value = std::move(*v);
    if (sel.op == Filter::Selector::Op::kMatches) {
      try {
        sel.re.emplace(sel.value, std::regex::ECMAScript);
      } catch (const std::regex_error& e) {
        return error("bad regular expression \"" + sel.value + "\": " + e.what());
      }
    }
    return sel;
  }

  Result<std::string> field() {
    if (eof()) return error("expected a field name");
    if (s_[pos_] == '"' || s_[pos_] == '`') return quoted();
    std::size_t start = pos_;
    while (!eof() && field_char(s_[pos_])) ++pos_;
    if (start == pos_) return error("expected a field name");
    return std::string(s_.substr(start, pos_ - start));
  }

  Result<std::string> value() {
    if (eof()) return error("expected a value");
    if (s_[pos_] == '"' || s_[pos_] == '`') return quoted();
    std::size_t start = pos_;
    while (!eof() && s_[pos_] != ',' && !std::isspace(static_cast<unsigned char>(s_[pos_]))) ++pos_;
    if (start == pos_) return error("expected a value");
    return std::string(s_.substr(start, pos_ - start));
  }

  // "..." with Go escapes (\" \\ \n \t \/ ...) or `raw`.
  Result<std::string> quoted() {
    const char q = s_[pos_++];
    std::string out;
    while (!eof()) {
      char c = s_[pos_++];
      if (c == q) return out;
      if (c == '\\' && q == '"') {
        if (eof()) break;
        char e = s_[pos_++];
        switch (e) {
          case 'n':
            out += '\n';
            break;
          case 't':
            out += '\t';
            break;
          case 'r':
            out += '\r';
            break;
          case '\\':
            out += '\\';
            break;
          case '"':
            out += '"';
            break;
          case '/':
            out += '/';
            break;
          default:
            return error(std::string("unknown escape \\") + e);
        }
        continue;
      }
      out += c;
    }
    return error("unterminated quoted string");
  }

  void skip_space() {
    while (!eof() && std::isspace(static_cast<unsigned char>(s_[pos_]))) ++pos_;
  }
  [[nodiscard]] bool eof() const { return pos_ >= s_.size(); }
  Status error(const std::string& what) const {
    return invalid_argument("filter \"" + std::string(s_) + "\" at offset " + std::to_string(pos_) + ": " +
                            what);
  }

  std::string_view s_;
  std::size_t pos_ = 0;
};

bool match_selector(const Filter::Selector& s, const FieldLookup& lookup) {
  std::optional<std::string> v = lookup(s.path);
  switch (s.op) {
    case Filter::Selector::Op::kPresent:
      return v.has_value();
    case Filter::Selector::Op::kEqual:
      return v.has_value() && *v == s.value;
    case Filter::Selector::Op::kNotEqual:
      return v.value_or("") != s.value;
    case Filter::Selector::Op::kMatches:
      return v.has_value() && std::regex_search(*v, *s.re);
  }
  return false;
}

}  // namespace

Filter::Filter() = default;
Filter::~Filter() = default;
Filter::Filter(Filter&&) noexcept = default;
Filter& Filter::operator=(Filter&&) noexcept = default;
Filter::Filter(const Filter&) = default;
Filter& Filter::operator=(const Filter&) = default;

Result<Filter> Filter::parse(const std::vector<std::string>& filters) {
  Filter f;
  for (const auto& text : filters) {
    auto sels = Parser(text).parse();
    if (!sels.ok()) return sels.status();
    f.alternatives_.push_back(std::move(*sels));
  }
  return f;
}

bool Filter::match(const FieldLookup& lookup) const {
  if (alternatives_.empty()) return true;
  for (const auto& all : alternatives_) {
    bool ok = true;
    for (const auto& sel : all) {
      if (!match_selector(*sel, lookup)) {
        ok = false;
        break;
      }
    }
    if (ok) return true;
  }
  return false;
}

std::optional<std::string> label_field(const std::map<std::string, std::string>& labels,
                                       const std::vector<std::string>& path) {
  if (path.size() < 2 || path[0] != "labels") return std::nullopt;
  std::string key;
  for (std::size_t i = 1; i < path.size(); ++i) {
    if (i > 1) key += '.';
    key += path[i];
  }
  auto it = labels.find(key);
  if (it == labels.end()) return std::nullopt;
  return it->second;
}

}  // namespace berth
