// A pipeline's SQL bound for a test: the plan, or null after a test failure naming the error.
// The plan lives on the heap so that operators may keep pointers into it.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string_view>

#include "sql/binder.h"
#include "sql/parser.h"

namespace strata::testing {

inline std::unique_ptr<sql::Pipeline> BindPipeline(std::string_view text) {
  auto statements = sql::ParsePipeline(text, "p.sql");
  EXPECT_TRUE(statements.ok()) << statements.status().ToString();
  if (!statements.ok()) return nullptr;
  auto p = sql::BindPipeline(*statements, "p.sql");
  EXPECT_TRUE(p.ok()) << p.status().ToString();
  if (!p.ok()) return nullptr;
  return std::make_unique<sql::Pipeline>(std::move(p).value());
}

}  // namespace strata::testing
