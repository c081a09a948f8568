// libFuzzer target: the pgoutput decoder and the replication stream's framing read bytes
// that a PostgreSQL server (or anything at its address) sends. Every message decodes or is
// refused with a Status.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "connect/pgoutput.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  strata::connect::pgoutput::Message message;
  (void)strata::connect::pgoutput::Decode(bytes, &message);
  strata::connect::pgoutput::XLogData xlog;
  if (strata::connect::pgoutput::ParseXLogData(bytes, &xlog).ok()) {
    (void)strata::connect::pgoutput::Decode(xlog.payload, &message);
  }
  strata::connect::pgoutput::Keepalive keepalive;
  (void)strata::connect::pgoutput::ParseKeepalive(bytes, &keepalive);
  return 0;
}
