// SchemaGuard: stops a pipeline path at a source schema change it cannot read.
//
// A postgres-cdc bronze table's records carry the schema version of the source table that
// wrote them (catalog/schema_registry.h). When a column that a silver table of the pipeline
// reads (in its WHERE or its SELECT list) is dropped from the source, or changes to a type
// that does not decode into the column's declared bronze type (catalog::Readable), decoding
// would silently read NULLs or quarantine every row. Instead, the guard admits records only
// up to the first one of such a version, and names the table, the column and the versions
// in a FailedPrecondition. runtime::CatchUp pushes the admitted prefix and stops that
// partition there; the other bronze tables go on, and the error is returned after them. So
// the speed path (and batch runs) of every silver table reading that bronze table, and of
// their gold views, stop exactly at that offset and retry at each step, refusing again
// until the pipeline changes: nothing is skipped, and bronze keeps ingesting meanwhile
// (the connector is not involved). Once the pipeline no longer reads the column (or
// declares a type the new one decodes into), the same records are admitted.
//
// Why here: every runtime moves records through CatchUp, which knows the data directory
// (the store's) and the plan, so the check needs no state of its own and no hook in the
// engine; the executor's decode step stays independent of the registry.
//
// A column counts as broken in version v only if it was present and readable in version 1
// (the columns of the initial snapshot): a pipeline declaring a column its source never had
// keeps today's behaviour (NULLs, caught by silver's constraints). The mode of the registry
// does not matter here: it judges the source's evolution for `strata schemas`; a dropped
// column that a silver table reads stops the path in every mode (BACKWARD allows the drop
// for readers of the new schema, which the pipeline is not until its SQL changes).
//
// Records of other bronze tables (connector http or file) and records of version 0 or 1
// are always admitted, without reading anything. Not thread-safe: one per CatchUp call.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "catalog/schema_registry.h"
#include "common/status.h"
#include "log/record.h"
#include "sql/plan.h"

namespace strata::runtime {

class SchemaGuard {
 public:
  // `plan` must outlive the guard; the registry files are DATA/catalog/<table>.schemas.
  SchemaGuard(std::string data_dir, const sql::Pipeline& plan);

  // The number of leading `records` of `bronze` the pipeline may decode. When it is less
  // than records.size(), *refusal says why (FailedPrecondition naming the bronze table, the
  // source, the column, the silver table reading it and the versions); an unreadable
  // registry refuses the whole span with its error.
  size_t Admit(const sql::BronzeTable& bronze, std::span<const log::RecordView> records,
               Status* refusal);

 private:
  // OK, or why records of `version` cannot be read.
  Status Check(const sql::BronzeTable& bronze, uint32_t version);
  // Whether `input` of silver table `silver` can read records of schema `version`.
  Status CheckReads(const sql::BronzeTable& bronze, const sql::SilverInput& input,
                    const std::string& silver, const catalog::SchemaHistory& history,
                    uint32_t version) const;

  const std::string data_dir_;
  const sql::Pipeline& plan_;
  std::map<std::string, catalog::SchemaHistory, std::less<>> histories_;  // loaded lazily
  std::map<std::pair<std::string, uint32_t>, Status> verdicts_;
};

}  // namespace strata::runtime
