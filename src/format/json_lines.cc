#include "format/json_lines.h"

#include <cstring>

#include "common/hash.h"

namespace strata::format {

namespace {

// A dotted path ("after.id") as a JSON pointer ("/after/id"), escaping '~' and '/'.
std::string JsonPointer(std::string_view path) {
  std::string pointer = "/";
  for (char c : path) {
    if (c == '~') {
      pointer += "~0";
    } else if (c == '/') {
      pointer += "~1";
    } else if (c == '.') {
      pointer += '/';
    } else {
      pointer += c;
    }
  }
  return pointer;
}

}  // namespace

KeyExtractor::KeyExtractor(std::string_view key_field, std::string_view payload_format) {
  if (key_field.empty()) return;
  debezium_ = payload_format == "debezium";
  if (debezium_) {
    pointers_.push_back(JsonPointer("after." + std::string(key_field)));
    pointers_.push_back(JsonPointer("before." + std::string(key_field)));
  } else {
    pointers_.push_back(JsonPointer(key_field));
  }
}

uint8_t KeyExtractor::Extract(std::string_view line, std::string* key, log::Operation* op) {
  simdjson::dom::element doc;
  if (parser_.parse(line.data(), line.size(), /*realloc_if_needed=*/false).get(doc)) {
    return log::kFlagMalformed | (pointers_.empty() ? 0 : log::kFlagMissingKey);
  }
  if (debezium_ && op != nullptr) {
    std::string_view letter;
    if (!doc["op"].get(letter) && letter.size() == 1) {
      static constexpr std::string_view kLetters = "cudr";
      size_t i = kLetters.find(letter[0]);
      if (i != std::string_view::npos) *op = static_cast<log::Operation>(i);
    }
  }
  if (pointers_.empty()) return 0;
  simdjson::dom::element value;
  bool found = false;
  for (const std::string& pointer : pointers_) {
    if (!doc.at_pointer(pointer).get(value) && !value.is_null()) {
      found = true;
      break;
    }
  }
  if (!found) return log::kFlagMissingKey;
  switch (value.type()) {
    case simdjson::dom::element_type::STRING: {
      std::string_view s;
      if (value.get_string().get(s)) return log::kFlagMissingKey;
      key->append(s);
      return 0;
    }
    case simdjson::dom::element_type::INT64:
    case simdjson::dom::element_type::UINT64:
    case simdjson::dom::element_type::DOUBLE:
    case simdjson::dom::element_type::BOOL:
      key->append(simdjson::minify(value));
      return 0;
    default:
      return log::kFlagMissingKey;
  }
}

LineBatcher::LineBatcher(std::string_view key_field, uint32_t partitions, std::string source,
                         std::string position_prefix, std::string_view payload_format)
    : extractor_(key_field, payload_format),
      keyed_(!key_field.empty()),
      partitions_(partitions),
      source_(std::move(source)),
      position_prefix_(std::move(position_prefix)) {}

void LineBatcher::AddLines(std::string_view text, uint64_t first_line) {
  uint64_t line_no = first_line;
  while (!text.empty()) {
    const void* nl = std::memchr(text.data(), '\n', text.size());
    size_t len = nl ? static_cast<size_t>(static_cast<const char*>(nl) - text.data()) : text.size();
    if (len > max_line_bytes_) {
      overlong_line_ = line_no;
      return;
    }
    AddLine(text.substr(0, len), line_no++);
    text.remove_prefix(nl ? len + 1 : len);
  }
}

void LineBatcher::AddLine(std::string_view line, uint64_t line_no) {
  ++lines_;
  if (line.empty() || line == "\r") return;
  Pending p;
  p.payload = line;
  p.key_begin = static_cast<uint32_t>(arena_.size());
  p.op = log::Operation::kInsert;
  p.flags = extractor_.Extract(line, &arena_, &p.op);
  p.key_end = p.pos_begin = static_cast<uint32_t>(arena_.size());
  arena_ += position_prefix_;
  arena_ += std::to_string(line_no);
  p.pos_end = static_cast<uint32_t>(arena_.size());
  if (p.flags & log::kFlagMalformed) ++malformed_;
  if (p.flags & log::kFlagMissingKey) ++missing_key_;
  payload_bytes_ += line.size();
  pending_.push_back(p);
}

std::span<const log::AppendRecord> LineBatcher::records() {
  // Views into arena_ are made only now: the arena may move while lines are added.
  records_.clear();
  for (size_t i = 0; i < pending_.size(); ++i) {
    const Pending& p = pending_[i];
    log::AppendRecord r;
    r.payload = p.payload;
    r.key = std::string_view(arena_).substr(p.key_begin, p.key_end - p.key_begin);
    r.source = source_;
    r.source_position = std::string_view(arena_).substr(p.pos_begin, p.pos_end - p.pos_begin);
    r.flags = p.flags;
    r.op = p.op;
    r.partition = PartitionForKey(keyed_ ? r.key : r.payload, partitions_);
    records_.push_back(r);
  }
  return records_;
}

void LineBatcher::Clear() {
  overlong_line_ = 0;
  arena_.clear();
  pending_.clear();
  records_.clear();
}

}  // namespace strata::format
