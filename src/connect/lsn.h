// PostgreSQL WAL positions (LSNs) and the source positions strata stores with CDC records.
//
// A CdcPosition orders every record a PostgreSQL CDC source emits for one table:
//
//   snapshot record i   "<consistent point>/r<i>"   e.g. "0/16B3748/r12"
//   change i of a txn   "<commit lsn>/<i>"          e.g. "0/16B3A10/0"
//
// Transactions are decoded in commit order, so commit LSNs increase, and within one
// transaction the index does. The slot's consistent point can equal the commit LSN of the
// first streamed transaction, so snapshot records sort before change records at the same
// LSN. The order is therefore the order in which the source delivers records, and a record
// delivered again after a restart has the same position: comparing positions recognises it.
#pragma once

#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"

namespace strata::connect {

using Lsn = uint64_t;

// "0/16B3748": the high and low 32 bits in upper-case hex, as PostgreSQL prints them.
std::string FormatLsn(Lsn lsn);
// Parses "X/Y" (hex, either case). InvalidArgument naming the text otherwise.
Result<Lsn> ParseLsn(std::string_view text);

struct CdcPosition {
  Lsn lsn = 0;            // the commit LSN, or the slot's consistent point for a snapshot
  bool snapshot = false;  // a snapshot record (op 'r')
  uint64_t index = 0;     // within the transaction, or within the snapshot

  std::string ToString() const;
  static Result<CdcPosition> Parse(std::string_view text);

  friend bool operator==(const CdcPosition&, const CdcPosition&) = default;
  friend std::strong_ordering operator<=>(const CdcPosition& a, const CdcPosition& b) {
    if (auto c = a.lsn <=> b.lsn; c != 0) return c;
    if (auto c = b.snapshot <=> a.snapshot; c != 0) return c;  // snapshot first
    return a.index <=> b.index;
  }
};

}  // namespace strata::connect
