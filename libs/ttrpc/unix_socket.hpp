// The unix sockets ttrpc runs over: dialing with a timeout, listening at a
// path only the owner can reach, and the peer's credentials.
#pragma once

#include <sys/socket.h>
#include <sys/types.h>

#include <chrono>
#include <string>
#include <string_view>

#include "berth/status.hpp"
#include "berth/unique_fd.hpp"

namespace berth::ttrpc {

// "unix:///run/x.sock" -> "/run/x.sock"; a bare path is returned as is. Shims
// print their address with the scheme.
std::string socket_path(std::string_view address);

// Connects to the socket at `path`. Nothing listening there (no such file,
// connection refused) is UNAVAILABLE at once, naming the path; a listener
// whose backlog stays full for `timeout` is DEADLINE_EXCEEDED.
Result<UniqueFd> dial_unix(const std::string& path, std::chrono::milliseconds timeout);

// Listens at `path`, which must not exist yet (a stale socket nobody listens
// on is replaced; a live one is ALREADY_EXISTS). The socket is 0600: the
// caller owns and secures the directory. Returns the listening fd.
Result<UniqueFd> listen_unix(const std::string& path);

// The credentials the peer had when it connected (SO_PEERCRED).
Result<ucred> peer_credentials(int fd);

}  // namespace berth::ttrpc
