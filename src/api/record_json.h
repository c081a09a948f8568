// How `strata log` prints a record: one JSON object per line.
#pragma once

#include <string>

#include "log/record.h"

namespace strata::api {

// {"partition", "offset", "ingest_time" (ISO-8601 UTC), "key", "source", "source_position",
//  "op", "schema_version", "payload"} plus "malformed": true / "missing_key": true when
// flagged. "payload" is the original line, byte for byte, when it is valid UTF-8; otherwise
// it is null and "payload_base64" holds the exact bytes.
std::string RecordToJson(uint32_t partition, const log::RecordView& r);

}  // namespace strata::api
