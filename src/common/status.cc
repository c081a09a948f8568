#include "common/status.h"

#include <cerrno>
#include <cstring>

namespace strata {

const char* StatusCodeName(StatusCode code) {
  switch (code) {
    case StatusCode::kOk:
      return "OK";
    case StatusCode::kInvalidArgument:
      return "Invalid argument";
    case StatusCode::kNotFound:
      return "Not found";
    case StatusCode::kAlreadyExists:
      return "Already exists";
    case StatusCode::kCorruption:
      return "Corruption";
    case StatusCode::kIOError:
      return "I/O error";
    case StatusCode::kBusy:
      return "Busy";
    case StatusCode::kLocked:
      return "Locked";
    case StatusCode::kOutOfRange:
      return "Out of range";
    case StatusCode::kAborted:
      return "Aborted";
    case StatusCode::kFailedPrecondition:
      return "Failed precondition";
    case StatusCode::kNoSpace:
      return "No space";
    case StatusCode::kUnauthenticated:
      return "Unauthenticated";
    case StatusCode::kPermissionDenied:
      return "Permission denied";
  }
  return "Unknown";
}

Status::Status(StatusCode code, std::string message) {
  if (code != StatusCode::kOk) state_ = std::make_shared<State>(State{code, std::move(message)});
}

Status Status::FromErrno(std::string_view what, std::string_view path, int errno_value) {
  std::string m(what);
  m += " ";
  m += path;
  m += ": ";
  m += std::strerror(errno_value);
  if (errno_value == ENOSPC || errno_value == EDQUOT) return NoSpace(std::move(m));
  return IOError(std::move(m));
}

const std::string& Status::message() const {
  static const std::string kEmpty;
  return state_ ? state_->message : kEmpty;
}

std::string Status::ToString() const {
  if (ok()) return "OK";
  return std::string(StatusCodeName(code())) + ": " + state_->message;
}

Status Status::WithContext(std::string_view context) const {
  if (ok()) return *this;
  return Status(code(), std::string(context) + ": " + state_->message);
}

}  // namespace strata
