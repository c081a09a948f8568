// Named abort points in durable protocols (segment roll, table creation, and later
// checkpoint and cutover), after Redpanda's failure probes and DuckDB's checkpoint_abort
// tests. A test arms a point by name; when the protocol reaches it, AbortPoint() returns
// Status::Aborted and the protocol stops there as if the process had died. The test then
// drops unsynced data, reopens and verifies. Unarmed points cost one relaxed atomic load.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"

namespace strata {

// Returns Aborted if `name` is armed (and disarms it: it fires once), OK otherwise.
Status AbortPoint(std::string_view name);

// Test-only controls. Thread-safe.
void ArmAbortPoint(std::string name);
void DisarmAllAbortPoints();

}  // namespace strata
