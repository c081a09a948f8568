// Helpers shared by the runtime tests.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "format/json_lines.h"
#include "log/table.h"

namespace strata::runtime {

// Appends JSON lines to a bronze table exactly as `strata ingest` would (same key
// extraction, partitioning and flags).
inline void Ingest(log::Table* table, const std::vector<std::string>& lines) {
  if (lines.empty()) return;
  std::string text;
  for (const auto& l : lines)
    text += l + "\n";
  size_t size = text.size();
  text.append(format::kPadding, '\0');
  const log::TableConfig& c = table->config();
  format::LineBatcher batcher(c.key_field, c.partitions, "test", "", c.payload_format);
  batcher.AddLines(std::string_view(text.data(), size), 1);
  log::AppendAck ack;
  Status s = table->Append(batcher.records(), &ack);
  ASSERT_TRUE(s.ok()) << s.ToString();
}

}  // namespace strata::runtime
