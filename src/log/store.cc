#include "log/store.h"

#include "common/abort_point.h"
#include "common/filename.h"

namespace strata::log {

Status ValidateTableName(std::string_view name) {
  auto bad = [&](const char* why) {
    return Status::InvalidArgument("invalid table name '" + std::string(name) + "': " + why);
  };
  if (name.empty() || name.size() > 128) return bad("it must have 1 to 128 characters");
  if (!(std::isalpha(static_cast<unsigned char>(name[0])) || name[0] == '_')) {
    return bad("it must start with a letter or '_'");
  }
  for (char c : name) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.')) {
      return bad("only letters, digits, '_' and '.' are allowed");
    }
  }
  if (name.find("..") != std::string_view::npos || name.back() == '.') {
    return bad("dots must separate names");
  }
  return Status::OK();
}

Store::Store(FileSystem* fs, std::string dir, StoreOptions options)
    : fs_(fs), dir_(std::move(dir)), options_(options) {}

Store::~Store() = default;

Result<std::unique_ptr<Store>> Store::Open(const std::string& dir, const StoreOptions& options) {
  FileSystem* fs = options.fs ? options.fs : FileSystem::Default();
  std::unique_ptr<Store> store(new Store(fs, dir, options));
  if (!options.read_only) {
    RETURN_IF_ERROR(fs->CreateDirs(filename::TablesDir(dir)));
    ASSIGN_OR_RETURN(store->lock_, fs->Lock(filename::Lock(dir)));
  } else if (!fs->Exists(dir)) {
    return Status::NotFound("data directory " + dir + " does not exist");
  }
  RETURN_IF_ERROR(store->LoadTables());
  return store;
}

std::string Store::TableDir(std::string_view name) const {
  return filename::TableDir(dir_, name);
}

Status Store::LoadTables() {
  auto names = fs_->ListDir(filename::TablesDir(dir_));
  if (!names.ok()) return names.status().IsNotFound() ? Status::OK() : names.status();
  for (const std::string& name : *names) {
    std::string config_path = filename::TableConfig(TableDir(name));
    if (!ValidateTableName(name).ok() || !fs_->Exists(config_path)) continue;  // not a table
    std::string text;
    RETURN_IF_ERROR(fs_->ReadFile(config_path, &text));
    ASSIGN_OR_RETURN(TableConfig config, TableConfig::Decode(text, config_path));
    ASSIGN_OR_RETURN(auto table, Table::Open(fs_, TableDir(name), name, config, options_.commit,
                                             options_.read_only, &report_));
    absl::MutexLock lock(&mu_);
    tables_.emplace(name, std::move(table));
  }
  return Status::OK();
}

Result<Table*> Store::GetTable(std::string_view name) {
  absl::MutexLock lock(&mu_);
  auto it = tables_.find(name);
  if (it == tables_.end()) {
    return Status::NotFound("table '" + std::string(name) + "' does not exist in " + dir_);
  }
  return it->second.get();
}

Result<Table*> Store::CreateTable(std::string_view name, TableConfig config) {
  RETURN_IF_ERROR(ValidateTableName(name));
  if (options_.read_only) return Status::FailedPrecondition("the store is open read-only");
  if (config.partitions == 0 || config.partitions > kMaxPartitions) {
    return Status::InvalidArgument("partitions must be between 1 and " +
                                   std::to_string(kMaxPartitions));
  }
  if (config.created == 0) config.created = NowMicros();
  absl::MutexLock lock(&mu_);
  if (tables_.count(name)) {
    return Status::AlreadyExists("table '" + std::string(name) + "' already exists");
  }
  // Partitions first, the TABLE file last: the table exists once that file is durable.
  std::string dir = TableDir(name);
  RETURN_IF_ERROR(fs_->CreateDirs(dir));
  std::vector<std::string> report;
  ASSIGN_OR_RETURN(auto table, Table::Open(fs_, dir, std::string(name), config, options_.commit,
                                           /*read_only=*/false, &report));
  RETURN_IF_ERROR(AbortPoint("table_create.before_config"));
  RETURN_IF_ERROR(fs_->WriteFileAtomic(filename::TableConfig(dir), config.Encode()));
  Table* t = table.get();
  t->SetRetentionPin(pin_);
  tables_.emplace(std::string(name), std::move(table));
  return t;
}

std::vector<std::string> Store::TableNames() {
  absl::MutexLock lock(&mu_);
  std::vector<std::string> names;
  for (const auto& [name, table] : tables_)
    names.push_back(name);
  return names;
}

void Store::SetRetentionPin(RetentionPin pin) {
  absl::MutexLock lock(&mu_);
  pin_ = std::move(pin);
  for (auto& [name, table] : tables_)
    table->SetRetentionPin(pin_);
}

Result<uint32_t> Store::ApplyRetention(const RetentionPolicy& policy, Micros now) {
  std::vector<Table*> tables;
  RetentionPin pin;
  {
    absl::MutexLock lock(&mu_);
    for (const auto& [name, table] : tables_)
      tables.push_back(table.get());
    pin = pin_;
  }
  uint32_t removed = 0;
  for (Table* t : tables) {
    ASSIGN_OR_RETURN(uint32_t n, t->ApplyRetention(policy, now, pin));
    removed += n;
  }
  return removed;
}

}  // namespace strata::log
