// SourceText: the text being parsed, its name, and the map from byte offsets to line:column
// that every located message of the parse layer goes through.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "sql/ast.h"

namespace strata::sql {

class SourceText {
 public:
  // Does not copy: `name` and `text` must outlive this object.
  SourceText(std::string_view name, std::string_view text);

  std::string_view name() const { return name_; }
  std::string_view text() const { return text_; }

  // The line and column of the byte at `offset` (see SourceLocation: columns count UTF-8
  // characters). An offset at or past the end locates the end of the text.
  SourceLocation Locate(size_t offset) const;

  // Status::InvalidArgument("NAME:LINE:COLUMN: message") for the byte at `offset`.
  Status Error(size_t offset, std::string_view message) const;
  // The same for a location already computed.
  Status ErrorAt(SourceLocation at, std::string_view message) const;
  // Status::InvalidArgument("NAME: message"), for the rare error without a position.
  Status ErrorWithoutPosition(std::string_view message) const;

  // The byte offset `chars` characters after byte offset `from`, counting characters as
  // PostgreSQL does in UTF-8 (by the length its lead byte announces). PostgreSQL reports error
  // positions in characters, node locations in bytes. Clamped to the end of the text.
  size_t AdvanceChars(size_t from, size_t chars) const;

  // The offset of the first byte at or after `from` that is not white space or part of a
  // comment (-- to the end of the line, or /* */, which nests); size() if there is none.
  size_t SkipSpaceAndComments(size_t from) const;

 private:
  std::string_view name_;
  std::string_view text_;
  std::vector<size_t> line_starts_;  // byte offset of each line's first byte; [0] == 0
};

}  // namespace strata::sql
