// Minimal JSON output for CLI and HTTP responses: string escaping per RFC 8259 and a
// builder for flat objects. Input strings must be valid UTF-8 (check with IsValidUtf8);
// bytes are copied through, only '"', '\\' and control characters are escaped, so a valid
// UTF-8 string round-trips byte for byte.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace strata {

void AppendJsonString(std::string* out, std::string_view s);
bool IsValidUtf8(std::string_view s);
std::string Base64Encode(std::string_view bytes);
// ["a", "b"]: strings as a JSON array.
std::string JsonStrings(const std::vector<std::string>& values);

// Offsets per table (a boundary, a lane's position) as {"table": [offsets...], ...}.
std::string BoundaryJson(const std::map<std::string, std::vector<uint64_t>, std::less<>>& boundary);

// Builds {"k": v, ...} in order of the calls.
class JsonObject {
 public:
  JsonObject& Add(std::string_view key, std::string_view value);
  JsonObject& Add(std::string_view key, const char* value) {
    return Add(key, std::string_view(value));
  }
  JsonObject& Add(std::string_view key, int64_t value);
  JsonObject& Add(std::string_view key, uint64_t value);
  JsonObject& Add(std::string_view key, int value) { return Add(key, static_cast<int64_t>(value)); }
  JsonObject& Add(std::string_view key, uint32_t value) {
    return Add(key, static_cast<uint64_t>(value));
  }
  JsonObject& Add(std::string_view key, double value);
  JsonObject& Add(std::string_view key, bool value);
  // `json` must already be valid JSON (an object or array built elsewhere).
  JsonObject& AddRaw(std::string_view key, std::string_view json);
  std::string Finish() const { return out_ + "}"; }

 private:
  void Key(std::string_view key);
  std::string out_ = "{";
  bool first_ = true;
};

}  // namespace strata
