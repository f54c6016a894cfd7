#include "runc.hpp"

#include <cstdlib>

#include "files/fd_io.hpp"
#include "process/run.hpp"

namespace berth::shim {
namespace {

// The value of a JSON string field in one log line: runc writes
// {"level":"error","msg":"...","time":"..."}, one object a line.
std::string json_string_field(const std::string& line, const std::string& key) {
  const std::string needle = "\"" + key + "\":\"";
  auto pos = line.find(needle);
  if (pos == std::string::npos) return {};
  std::string out;
  for (pos += needle.size(); pos < line.size() && line[pos] != '"'; ++pos) {
    if (line[pos] == '\\' && pos + 1 < line.size()) {
      const char c = line[++pos];
      out += c == 'n' ? '\n' : c == 't' ? '\t' : c;
    } else {
      out += line[pos];
    }
  }
  return out;
}

}  // namespace

std::vector<std::string> Runc::argv(std::vector<std::string> args) const {
  std::vector<std::string> v = {options_.binary,       "--root",       options_.root, "--log",
                                bundle_ + "/log.json", "--log-format", "json"};
  if (options_.systemd_cgroup) v.emplace_back("--systemd-cgroup");
  v.insert(v.end(), std::make_move_iterator(args.begin()), std::make_move_iterator(args.end()));
  return v;
}

Status Runc::failure(const std::string& verb, int exit_code, const std::string& stderr_text) const {
  std::string why;
  if (auto log = files::read_file(bundle_ + "/log.json", 4 << 20); log.ok()) {
    std::size_t pos = 0;
    while (pos < log->size()) {
      std::size_t end = log->find('\n', pos);
      if (end == std::string::npos) end = log->size();
      const std::string line = log->substr(pos, end - pos);
      if (line.find("\"level\":\"error\"") != std::string::npos) why = json_string_field(line, "msg");
      pos = end + 1;
    }
  }
  if (why.empty()) why = stderr_text;
  while (!why.empty() && (why.back() == '\n' || why.back() == ' ')) why.pop_back();
  if (why.empty()) why = "exit status " + std::to_string(exit_code);
  // containerd words it so: "OCI runtime create failed: <runc's own error>".
  return unknown("OCI runtime " + verb + " failed: " + why);
}

Status Runc::run(std::vector<std::string> args, std::string* out, const std::string& input) const {
  const std::string verb = args.front();
  process::Command cmd;
  cmd.argv = argv(std::move(args));
  cmd.stdin_data = input;
  auto result = process::run(cmd);
  if (!result.ok()) return result.status().with_context(options_.binary + " " + verb);
  if (result->exit_code != 0) return failure(verb, result->exit_code, result->err);
  if (out != nullptr) *out = std::move(result->out);
  return {};
}

Status Runc::run_with_stdio(std::vector<std::string> args, const ChildStdio& stdio) const {
  const std::string verb = args.front();
  process::SpawnOptions spawn;
  spawn.argv = argv(std::move(args));
  spawn.cwd = bundle_;
  spawn.in = stdio.in;
  spawn.out = stdio.out;
  spawn.err = stdio.err;
  auto child = process::spawn(spawn);
  if (!child.ok()) return child.status().with_context(options_.binary + " " + verb);
  auto status = process::wait(child->pid);
  if (!status.ok()) return status.status();
  const int code = process::exit_code_of(*status);
  if (code != 0) return failure(verb, code, {});
  return {};
}

Status Runc::create(const std::string& id, const std::string& pid_file, const std::string& console_socket,
                    const ChildStdio& stdio) const {
  std::vector<std::string> args = {"create", "--bundle", bundle_, "--pid-file", pid_file};
  if (!console_socket.empty()) args.insert(args.end(), {"--console-socket", console_socket});
  if (options_.no_pivot_root) args.emplace_back("--no-pivot");
  if (options_.no_new_keyring) args.emplace_back("--no-new-keyring");
  args.push_back(id);
  return run_with_stdio(std::move(args), stdio);
}

Status Runc::exec(const std::string& id, const std::string& process_file, const std::string& pid_file,
                  const std::string& console_socket, const ChildStdio& stdio) const {
  std::vector<std::string> args = {"exec", "--detach", "--process", process_file, "--pid-file", pid_file};
  if (!console_socket.empty()) args.insert(args.end(), {"--console-socket", console_socket});
  args.push_back(id);
  return run_with_stdio(std::move(args), stdio);
}

Status Runc::kill(const std::string& id, int signal, bool all) const {
  std::vector<std::string> args = {"kill"};
  if (all) args.emplace_back("--all");
  args.push_back(id);
  args.push_back(std::to_string(signal));
  return run(std::move(args));
}

Status Runc::remove(const std::string& id, bool force) const {
  std::vector<std::string> args = {"delete"};
  if (force) args.emplace_back("--force");
  args.push_back(id);
  return run(std::move(args));
}

Status Runc::update(const std::string& id, const std::string& resources_json) const {
  return run({"update", "--resources", "-", id}, nullptr, resources_json);
}

Result<std::vector<pid_t>> Runc::ps(const std::string& id) const {
  std::string out;
  if (Status s = run({"ps", "--format", "json", id}, &out); !s.ok()) return s;
  // A JSON array of numbers, or null.
  std::vector<pid_t> pids;
  const char* p = out.c_str();
  while (*p != '\0') {
    if (*p >= '0' && *p <= '9') {
      char* end = nullptr;
      pids.push_back(static_cast<pid_t>(std::strtol(p, &end, 10)));
      p = end;
    } else {
      ++p;
    }
  }
  return pids;
}

}  // namespace berth::shim
