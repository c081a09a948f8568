#include "api/record_json.h"

#include "common/json_writer.h"

namespace strata::api {

std::string RecordToJson(uint32_t partition, const log::RecordView& r) {
  JsonObject o;
  o.Add("partition", partition)
      .Add("offset", r.offset)
      .Add("ingest_time", FormatTimestamp(r.ingest_time))
      .Add("key", r.key)
      .Add("source", r.source)
      .Add("source_position", r.source_position)
      .Add("op", std::string(1, log::OperationLetter(r.op)))
      .Add("schema_version", r.schema_version);
  if (r.flags & log::kFlagMalformed) o.Add("malformed", true);
  if (r.flags & log::kFlagMissingKey) o.Add("missing_key", true);
  if (IsValidUtf8(r.payload)) {
    o.Add("payload", r.payload);
  } else {
    o.AddRaw("payload", "null").Add("payload_base64", Base64Encode(r.payload));
  }
  return o.Finish();
}

}  // namespace strata::api
