#include "connect/lsn.h"

#include <charconv>
#include <cstdio>

namespace strata::connect {
namespace {

bool ParseHex32(std::string_view text, uint64_t* out) {
  if (text.empty() || text.size() > 8) return false;
  uint32_t v = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v, 16);
  if (ec != std::errc() || ptr != text.data() + text.size()) return false;
  *out = v;
  return true;
}

}  // namespace

std::string FormatLsn(Lsn lsn) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%X/%X", static_cast<uint32_t>(lsn >> 32),
                static_cast<uint32_t>(lsn));
  return buf;
}

Result<Lsn> ParseLsn(std::string_view text) {
  const size_t slash = text.find('/');
  uint64_t hi = 0, lo = 0;
  if (slash == std::string_view::npos || !ParseHex32(text.substr(0, slash), &hi) ||
      !ParseHex32(text.substr(slash + 1), &lo)) {
    return Status::InvalidArgument("bad LSN \"" + std::string(text) + "\" (expected X/Y in hex)");
  }
  return (hi << 32) | lo;
}

std::string CdcPosition::ToString() const {
  return FormatLsn(lsn) + (snapshot ? "/r" : "/") + std::to_string(index);
}

Result<CdcPosition> CdcPosition::Parse(std::string_view text) {
  const size_t slash = text.rfind('/');
  auto bad = [&] {
    return Status::InvalidArgument("bad CDC source position \"" + std::string(text) +
                                   "\" (expected <lsn>/<index> or <lsn>/r<index>)");
  };
  if (slash == std::string_view::npos || slash == 0) return bad();
  CdcPosition pos;
  auto lsn = ParseLsn(text.substr(0, slash));
  if (!lsn.ok()) return bad();
  pos.lsn = *lsn;
  std::string_view index = text.substr(slash + 1);
  if (!index.empty() && index[0] == 'r') {
    pos.snapshot = true;
    index.remove_prefix(1);
  }
  auto [ptr, ec] = std::from_chars(index.data(), index.data() + index.size(), pos.index);
  if (index.empty() || ec != std::errc() || ptr != index.data() + index.size()) return bad();
  return pos;
}

}  // namespace strata::connect
