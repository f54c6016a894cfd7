// Errors as values. Codes mirror gRPC's so the API edge converts them 1:1;
// inside Berth a Status carries context ("open blob sha256:..: no such file").
// Exceptions are for bugs only and never cross the plugin boundary.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

namespace berth {

enum class Code : int {
  kOk = 0,
  kCancelled = 1,
  kUnknown = 2,
  kInvalidArgument = 3,
  kDeadlineExceeded = 4,
  kNotFound = 5,
  kAlreadyExists = 6,
  kPermissionDenied = 7,
  kResourceExhausted = 8,
  kFailedPrecondition = 9,
  kAborted = 10,
  kOutOfRange = 11,
  kUnimplemented = 12,
  kInternal = 13,
  kUnavailable = 14,
  kDataLoss = 15,
  kUnauthenticated = 16,
};

// The gRPC name of a code ("NOT_FOUND"), for logs and messages.
std::string_view code_name(Code code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Code code, std::string message) : code_(code), message_(std::move(message)) {}

  [[nodiscard]] bool ok() const { return code_ == Code::kOk; }
  [[nodiscard]] Code code() const { return code_; }
  [[nodiscard]] const std::string& message() const { return message_; }

  // A plugin's init returns a skip status when it cannot work here (no
  // overlayfs, say). The host lists it as "skip", never as an error, and a
  // required plugin that skips still stops the daemon.
  [[nodiscard]] bool is_skip() const { return skip_; }

  // Prefix the message with what we were doing: "load foo.so: " + message.
  [[nodiscard]] Status with_context(std::string_view context) const;

  // "NOT_FOUND: message"
  [[nodiscard]] std::string to_string() const;

  static Status skip(std::string reason) {
    Status s(Code::kFailedPrecondition, std::move(reason));
    s.skip_ = true;
    return s;
  }

 private:
  Code code_ = Code::kOk;
  std::string message_;
  bool skip_ = false;
};

inline Status ok_status() { return {}; }
inline Status cancelled(std::string m) { return {Code::kCancelled, std::move(m)}; }
inline Status unknown(std::string m) { return {Code::kUnknown, std::move(m)}; }
inline Status invalid_argument(std::string m) { return {Code::kInvalidArgument, std::move(m)}; }
inline Status not_found(std::string m) { return {Code::kNotFound, std::move(m)}; }
inline Status already_exists(std::string m) { return {Code::kAlreadyExists, std::move(m)}; }
inline Status permission_denied(std::string m) { return {Code::kPermissionDenied, std::move(m)}; }
inline Status resource_exhausted(std::string m) { return {Code::kResourceExhausted, std::move(m)}; }
inline Status failed_precondition(std::string m) { return {Code::kFailedPrecondition, std::move(m)}; }
inline Status aborted(std::string m) { return {Code::kAborted, std::move(m)}; }
inline Status out_of_range(std::string m) { return {Code::kOutOfRange, std::move(m)}; }
inline Status unimplemented(std::string m) { return {Code::kUnimplemented, std::move(m)}; }
inline Status internal(std::string m) { return {Code::kInternal, std::move(m)}; }
inline Status unavailable(std::string m) { return {Code::kUnavailable, std::move(m)}; }
inline Status data_loss(std::string m) { return {Code::kDataLoss, std::move(m)}; }

// errno -> Status with the strerror text, e.g. errno_status("open /x", ENOENT)
// gives NOT_FOUND "open /x: No such file or directory".
Status errno_status(std::string_view what, int err);

// A value or the Status saying why there is none.
template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT(google-explicit-constructor)
  // A value of a type convertible to T: shared_ptr<Derived> for shared_ptr<Base>.
  template <class U, std::enable_if_t<std::is_convertible_v<U&&, T> && !std::is_same_v<std::decay_t<U>, T> &&
                                          !std::is_same_v<std::decay_t<U>, Status>,
                                      int> = 0>
  Result(U&& value) : value_(T(std::forward<U>(value))) {}  // NOLINT(google-explicit-constructor)
  Result(Status status) : status_(std::move(status)) {      // NOLINT(google-explicit-constructor)
    if (status_.ok()) status_ = internal("Result built from an OK status without a value");
  }

  [[nodiscard]] bool ok() const { return value_.has_value(); }
  [[nodiscard]] const Status& status() const { return status_; }
  T& value() & { return *value_; }
  const T& value() const& { return *value_; }
  T&& value() && { return std::move(*value_); }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }
  T& operator*() & { return *value_; }
  const T& operator*() const& { return *value_; }

 private:
  std::optional<T> value_;
  Status status_;
};

}  // namespace berth

// Return early from a function returning Status or Result<T>.
#define BERTH_RETURN_IF_ERROR(expr)        \
  do {                                     \
    ::berth::Status berth_st_ = (expr);    \
    if (!berth_st_.ok()) return berth_st_; \
  } while (false)
