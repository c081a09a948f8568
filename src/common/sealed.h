// The one container of strata's own saved state: a pipeline executor's blob, each
// operator's state inside it, a replay lane's file. One layout, one checksum, one version
// scheme, so that every reader refuses damage and foreign bytes the same way:
//
//   "STRS"               4 bytes, the magic
//   kind                 length-prefixed: what the body is ("pipeline", "upsert", "lane"...)
//   version              varint: the body's format version, per kind
//   body                 the kind's own encoding
//   CRC32C               fixed32 (little-endian) of everything before it
//
// Unseal checks the checksum, the magic, the kind and that the version is one this build
// reads; its errors name `what` (a path or the state's owner) and say which check failed.
// A body's version moves when its encoding changes; a reader keeps reading the versions
// before it, or refuses them by name.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"

namespace strata {

struct Unsealed {
  uint32_t version = 0;
  std::string_view body;  // points into the bytes given to Unseal
};

// Writes the header of a container of `kind` at `version` at the end of *out; the caller
// appends the body, then calls Seal with the size *out had before BeginSeal.
void BeginSeal(std::string_view kind, uint32_t version, std::string* out);
void Seal(size_t start, std::string* out);

// The whole container, for a body built elsewhere.
std::string SealBody(std::string_view kind, uint32_t version, std::string_view body);

// True when `in` starts with the container's magic (a reader of older formats tells them
// apart with it).
bool LooksSealed(std::string_view in);

// Checks `in` (exactly one container) and returns its body and version. Corruption for a
// bad checksum, magic or kind, or a version outside [min_version, max_version].
Result<Unsealed> Unseal(std::string_view in, std::string_view kind, uint32_t min_version,
                        uint32_t max_version, std::string_view what);

}  // namespace strata
