// Helpers shared by the runtime tests.
#pragma once

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "format/json_lines.h"
#include "log/table.h"

namespace strata::runtime {

// A file of tests/runtime/testdata/state_v4 (a checkpoint of an earlier release, see
// state_compat_test.cc).
inline std::string StateV4Fixture(const std::string& name) {
  std::ifstream in(std::string(STRATA_SOURCE_DIR) + "/tests/runtime/testdata/state_v4/" + name,
                   std::ios::binary);
  EXPECT_TRUE(in.good()) << name;
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

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
