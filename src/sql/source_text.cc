#include "sql/source_text.h"

#include <algorithm>

namespace strata::sql {
namespace {

bool IsContinuationByte(unsigned char c) {
  return (c & 0xC0) == 0x80;
}

// pg_utf_mblen: the length a UTF-8 lead byte announces; 1 for anything invalid.
size_t PgCharLength(unsigned char c) {
  if (c < 0x80) return 1;
  if ((c & 0xE0) == 0xC0) return 2;
  if ((c & 0xF0) == 0xE0) return 3;
  if ((c & 0xF8) == 0xF0) return 4;
  return 1;
}

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

}  // namespace

SourceText::SourceText(std::string_view name, std::string_view text) : name_(name), text_(text) {
  line_starts_.push_back(0);
  for (size_t i = 0; i < text_.size(); ++i) {
    if (text_[i] == '\n') line_starts_.push_back(i + 1);
  }
}

SourceLocation SourceText::Locate(size_t offset) const {
  offset = std::min(offset, text_.size());
  auto next_line = std::upper_bound(line_starts_.begin(), line_starts_.end(), offset);
  size_t line_start = *(next_line - 1);
  int column = 1;
  for (size_t i = line_start; i < offset; ++i) {
    if (!IsContinuationByte(static_cast<unsigned char>(text_[i]))) ++column;
  }
  return {static_cast<int>(next_line - line_starts_.begin()), column};
}

Status SourceText::Error(size_t offset, std::string_view message) const {
  return ErrorAt(Locate(offset), message);
}

Status SourceText::ErrorAt(SourceLocation at, std::string_view message) const {
  return Status::InvalidArgument(std::string(name_) + ":" + std::to_string(at.line) + ":" +
                                 std::to_string(at.column) + ": " + std::string(message));
}

Status SourceText::ErrorWithoutPosition(std::string_view message) const {
  return Status::InvalidArgument(std::string(name_) + ": " + std::string(message));
}

size_t SourceText::AdvanceChars(size_t from, size_t chars) const {
  size_t offset = std::min(from, text_.size());
  for (; chars > 0 && offset < text_.size(); --chars) {
    offset += PgCharLength(static_cast<unsigned char>(text_[offset]));
  }
  return std::min(offset, text_.size());
}

size_t SourceText::SkipSpaceAndComments(size_t from) const {
  size_t i = from;
  while (i < text_.size()) {
    if (IsSpace(text_[i])) {
      ++i;
    } else if (text_.compare(i, 2, "--") == 0) {
      size_t nl = text_.find('\n', i);
      i = nl == std::string_view::npos ? text_.size() : nl + 1;
    } else if (text_.compare(i, 2, "/*") == 0) {
      int depth = 0;  // PostgreSQL's block comments nest
      do {
        if (text_.compare(i, 2, "/*") == 0) {
          ++depth;
          i += 2;
        } else if (text_.compare(i, 2, "*/") == 0) {
          --depth;
          i += 2;
        } else {
          ++i;
        }
      } while (depth > 0 && i < text_.size());
    } else {
      break;
    }
  }
  return std::min(i, text_.size());
}

}  // namespace strata::sql
