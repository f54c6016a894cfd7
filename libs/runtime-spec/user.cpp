#include "runtime-spec/user.hpp"

#include <algorithm>
#include <charconv>
#include <optional>
#include <string>

#include "runtime-spec/root_file.hpp"
#include "text/text.hpp"

namespace berth::runtime_spec {
namespace {

constexpr std::string_view kPasswd = "/etc/passwd";
constexpr std::string_view kGroup = "/etc/group";

struct Entry {
  std::string name;
  uint32_t id = 0;
  uint32_t gid = 0;                  // passwd only
  std::vector<std::string> members;  // group only
};

// All digits: a number, in range or not. Anything else is a name.
bool is_numeric(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

Result<uint32_t> parse_id(std::string_view s, std::string_view what) {
  uint64_t v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || v > kMaxId)
    return Status(Code::kInvalidArgument,
                  std::string(what) + " " + std::string(s) + " is above " + std::to_string(kMaxId));
  return static_cast<uint32_t>(v);
}

std::optional<uint32_t> field_id(std::string_view s) {
  if (!is_numeric(s)) return std::nullopt;
  auto id = parse_id(s, "");
  if (!id.ok()) return std::nullopt;
  return *id;
}

// passwd: name:password:uid:gid:...; group: name:password:gid:member,member.
// Lines that do not parse are skipped, as libc skips them.
std::vector<Entry> parse_db(std::string_view text, bool passwd) {
  std::vector<Entry> out;
  for (std::string_view line : text::split(text, '\n')) {
    if (line.empty() || line.front() == '#') continue;
    const auto f = text::split(line, ':');
    if (f.size() < (passwd ? 4u : 3u) || f[0].empty()) continue;
    Entry e;
    e.name = std::string(f[0]);
    auto id = field_id(f[2]);
    if (!id) continue;
    e.id = *id;
    if (passwd) {
      auto gid = field_id(f[3]);
      if (!gid) continue;
      e.gid = *gid;
    } else if (f.size() > 3 && !f[3].empty()) {
      for (auto m : text::split(f[3], ',')) e.members.emplace_back(m);
    }
    out.push_back(std::move(e));
  }
  return out;
}

// The entries of one database; an absent file is an empty one, as it is for
// containerd when a uid or the supplementary groups are looked up.
Result<std::optional<std::vector<Entry>>> read_db(const std::filesystem::path& rootfs,
                                                  std::string_view file) {
  if (rootfs.empty()) return std::optional<std::vector<Entry>>();
  auto text = read_in_root(rootfs, file);
  if (!text.ok()) {
    if (text.status().code() == Code::kNotFound) return std::optional<std::vector<Entry>>();
    return text.status();
  }
  return std::optional<std::vector<Entry>>(parse_db(*text, file == kPasswd));
}

Result<Entry> by_name(const std::optional<std::vector<Entry>>& db, std::string_view name,
                      std::string_view what, std::string_view file, const std::filesystem::path& rootfs) {
  if (rootfs.empty())
    return Status(Code::kFailedPrecondition, std::string(what) + " \"" + std::string(name) +
                                                 "\" is a name, and there is no rootfs to look it up in");
  if (db) {
    for (const auto& e : *db)
      if (e.name == name) return e;
  }
  return Status(Code::kNotFound, std::string(what) + " \"" + std::string(name) + "\" not found in " +
                                     (rootfs / std::filesystem::path(file).relative_path()).string());
}

}  // namespace

Result<ProcessUser> resolve_user(std::string_view user, const std::filesystem::path& rootfs) {
  const auto parts = text::split(user, ':');
  if (parts.size() > 2 || (parts.size() == 2 && (parts[0].empty() || parts[1].empty())))
    return Status(Code::kInvalidArgument, "user \"" + std::string(user) + "\" is not name|uid[:group|gid]");
  auto passwd = read_db(rootfs, kPasswd);
  if (!passwd.ok()) return passwd.status();

  ProcessUser out;
  // The name whose /etc/group memberships give the supplementary groups.
  std::optional<std::string> member;
  const std::string_view u = parts[0];
  if (u.empty()) {
    member = "root";
  } else if (is_numeric(u)) {
    auto uid = parse_id(u, "uid");
    if (!uid.ok()) return uid.status();
    out.uid = *uid;
    // A bare uid takes its primary group from /etc/passwd when listed there
    // (gid 0 when not); either way the number itself is never a name.
    if (*passwd) {
      for (const auto& e : **passwd) {
        if (e.id == out.uid) {
          if (parts.size() == 1) out.gid = e.gid;
          member = e.name;
          break;
        }
      }
    }
  } else {
    auto e = by_name(*passwd, u, "user", kPasswd, rootfs);
    if (!e.ok()) return e.status();
    out.uid = e->id;
    out.gid = e->gid;
    member = e->name;
  }

  const bool need_groups = member.has_value() || (parts.size() == 2 && !is_numeric(parts[1]));
  std::optional<std::vector<Entry>> groups;
  if (need_groups) {
    auto g = read_db(rootfs, kGroup);
    if (!g.ok()) return g.status();
    groups = std::move(*g);
  }
  if (parts.size() == 2) {
    if (is_numeric(parts[1])) {
      auto gid = parse_id(parts[1], "gid");
      if (!gid.ok()) return gid.status();
      out.gid = *gid;
    } else {
      auto e = by_name(groups, parts[1], "group", kGroup, rootfs);
      if (!e.ok()) return e.status();
      out.gid = e->id;
    }
  }

  if (member && groups) {
    for (const auto& g : *groups) {
      // A group named like the user is its primary group, not a
      // supplementary one (containerd skips it the same way).
      if (g.name == *member) continue;
      if (std::find(g.members.begin(), g.members.end(), *member) != g.members.end())
        out.additional_gids.push_back(g.id);
    }
  }
  if (std::find(out.additional_gids.begin(), out.additional_gids.end(), out.gid) == out.additional_gids.end())
    out.additional_gids.insert(out.additional_gids.begin(), out.gid);
  return out;
}

}  // namespace berth::runtime_spec
