#include "common/sealed.h"

#include "common/coding.h"
#include "common/crc32c.h"

namespace strata {
namespace {

constexpr std::string_view kMagic = "STRS";

Status Refused(std::string_view what, const std::string& why) {
  return Status::Corruption(std::string(what) + ": " + why);
}

}  // namespace

void BeginSeal(std::string_view kind, uint32_t version, std::string* out) {
  out->append(kMagic);
  PutLengthPrefixed(out, kind);
  PutVarint64(out, version);
}

void Seal(size_t start, std::string* out) {
  PutFixed32(out, crc32c::Value(out->data() + start, out->size() - start));
}

std::string SealBody(std::string_view kind, uint32_t version, std::string_view body) {
  std::string out;
  BeginSeal(kind, version, &out);
  out.append(body);
  Seal(0, &out);
  return out;
}

bool LooksSealed(std::string_view in) {
  return in.substr(0, kMagic.size()) == kMagic;
}

Result<Unsealed> Unseal(std::string_view in, std::string_view kind, uint32_t min_version,
                        uint32_t max_version, std::string_view what) {
  if (in.size() < kMagic.size() + 4) {
    return Refused(what, std::to_string(in.size()) + " bytes, too short to hold " +
                             std::string(kind) + " state");
  }
  if (!LooksSealed(in)) return Refused(what, "not strata " + std::string(kind) + " state (magic)");
  const size_t body_end = in.size() - 4;
  if (crc32c::Value(in.data(), body_end) != DecodeFixed32(in.data() + body_end)) {
    return Refused(what, "checksum mismatch");
  }
  Decoder d(in.substr(kMagic.size(), body_end - kMagic.size()));
  std::string_view stored_kind;
  uint64_t version = 0;
  if (!d.GetLengthPrefixed(&stored_kind) || !d.GetVarint64(&version)) {
    return Refused(what, "truncated header");
  }
  if (stored_kind != kind) {
    return Refused(what, "holds " + std::string(stored_kind) + " state, not " + std::string(kind));
  }
  if (version < min_version || version > max_version) {
    return Refused(what, std::string(kind) + " format version " + std::to_string(version) +
                             "; this build reads versions " + std::to_string(min_version) + " to " +
                             std::to_string(max_version));
  }
  return Unsealed{static_cast<uint32_t>(version),
                  in.substr(body_end - d.remaining(), d.remaining())};
}

}  // namespace strata
