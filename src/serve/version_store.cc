#include "serve/version_store.h"

#include <simdjson.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <set>
#include <utility>

#include "common/abort_point.h"
#include "common/coding.h"
#include "common/crc32c.h"
#include "common/filename.h"
#include "common/hash.h"
#include "common/json_writer.h"
#include "exec/row_codec.h"

namespace strata::serve {
namespace internal {

struct LiveSwitch {
  Micros at = 0;
  uint64_t version = 0;
};

// A view as its manifest describes it.
struct ViewState {
  uint64_t file_bytes = 0;   // size of the MANIFEST (0 when absent)
  uint64_t good_bytes = 0;   // prefix made of well-formed edits; the rest is a torn tail
  uint64_t max_version = 0;  // highest version ever published, pruned ones included
  std::map<uint64_t, VersionInfo> kept;
  std::set<uint64_t> pruned;
  std::vector<uint64_t> live_stack;  // back() is live, the one below it the rollback target
  std::vector<LiveSwitch> switches;  // in manifest order
};

}  // namespace internal

namespace {

using internal::ViewState;
using simdjson::dom::element;
using simdjson::dom::object;

constexpr std::string_view kMagic = "STRV";
constexpr uint8_t kFormat = 1;

std::string Hex(uint64_t v, int digits) {
  char buf[17];
  std::snprintf(buf, sizeof(buf), "%0*llx", digits, static_cast<unsigned long long>(v));
  return buf;
}

Status CheckViewName(std::string_view view) {
  if (view.empty() || view.starts_with('.') || view.find('/') != std::string_view::npos ||
      view.find('\0') != std::string_view::npos) {
    return Status::InvalidArgument("invalid view name \"" + std::string(view) +
                                   "\": it must be non-empty, not start with '.' and contain "
                                   "no '/'");
  }
  return Status::OK();
}

std::string Describe(std::string_view view, uint64_t version) {
  return "view " + std::string(view) + " version " + std::to_string(version);
}

// ---- Rows files ----

std::string TypeList(const std::vector<Type>& types) {
  std::string s = "(";
  for (size_t i = 0; i < types.size(); ++i)
    s += (i ? ", " : "") + types[i].ToString();
  return s + ")";
}

Status CheckRows(const std::vector<Type>& types, const Batch& rows) {
  if (types.empty()) return Status::InvalidArgument("publish: a version needs a column");
  if (rows.columns.size() != types.size()) {
    return Status::InvalidArgument("publish: " + std::to_string(rows.columns.size()) +
                                   " columns, but the types name " + std::to_string(types.size()));
  }
  for (size_t c = 0; c < types.size(); ++c) {
    if (!(rows.columns[c].type() == types[c])) {
      return Status::InvalidArgument("publish: column " + std::to_string(c) + " is " +
                                     rows.columns[c].type().ToString() + ", not " +
                                     types[c].ToString());
    }
    if (rows.columns[c].size() != rows.num_rows()) {
      return Status::InvalidArgument("publish: column " + std::to_string(c) + " has " +
                                     std::to_string(rows.columns[c].size()) + " rows, not " +
                                     std::to_string(rows.num_rows()));
    }
  }
  for (size_t r = 0; r < rows.num_rows(); ++r) {
    if (rows.weights[r] <= 0) {
      return Status::InvalidArgument("publish: row " + std::to_string(r) + " has weight " +
                                     std::to_string(rows.weights[r]) +
                                     "; a version holds rows of positive weight only");
    }
  }
  return Status::OK();
}

struct EncodedRows {
  std::string file;
  std::string checksum;
  uint64_t rows = 0;
};

// The rows file for `rows` (already checked by CheckRows).
EncodedRows EncodeRows(const std::vector<Type>& types, const Batch& rows) {
  std::vector<std::pair<std::string, int64_t>> encoded(rows.num_rows());
  EncodedRows out;
  for (size_t r = 0; r < rows.num_rows(); ++r) {
    for (const Column& column : rows.columns)
      exec::EncodeCell(column, r, &encoded[r].first);
    encoded[r].second = rows.weights[r];
    out.rows += static_cast<uint64_t>(rows.weights[r]);
  }
  std::sort(encoded.begin(), encoded.end());
  out.file.append(kMagic);
  out.file.push_back(static_cast<char>(kFormat));
  PutVarint64(&out.file, types.size());
  for (const Type& type : types)
    exec::AppendTypeFingerprint(type, &out.file);
  PutVarint64(&out.file, out.rows);
  const size_t rows_start = out.file.size();
  for (const auto& [row, weight] : encoded) {
    for (int64_t i = 0; i < weight; ++i)
      out.file.append(row);
  }
  out.checksum = Hex(StableHash64(std::string_view(out.file).substr(rows_start)), 16);
  PutFixed32(&out.file, crc32c::Value(out.file));
  return out;
}

// Reads the column types of a rows file (the inverse of AppendTypeFingerprint).
bool GetTypes(exec::ByteReader* in, std::vector<Type>* types) {
  uint64_t n;
  if (!in->GetVarint64(&n) || n > 100000) return false;
  for (uint64_t i = 0; i < n; ++i) {
    uint8_t id, precision = 0, scale = 0;
    if (!in->GetByte(&id) || id > static_cast<uint8_t>(TypeId::kDate)) return false;
    Type type{static_cast<TypeId>(id), {}};
    if (type.id == TypeId::kNumeric) {
      if (!in->GetByte(&precision) || !in->GetByte(&scale)) return false;
      type = Type::Numeric(precision, scale);
    }
    types->push_back(type);
  }
  return true;
}

// Decodes the rows region of a rows file into `out` (columns of `types`).
Status DecodeRowsRegion(const std::string& path, std::string_view region, uint64_t count,
                        const std::vector<Type>& types, Batch* out) {
  for (const Type& type : types)
    out->columns.emplace_back(type);
  exec::ByteReader in(region);
  for (uint64_t r = 0; r < count; ++r) {
    for (Column& column : out->columns) {
      if (!in.GetValueInto(&column)) {
        return Status::Corruption(path + ": row " + std::to_string(r) + " is malformed");
      }
    }
    out->weights.push_back(1);
  }
  if (!in.empty()) return Status::Corruption(path + ": bytes after the last row");
  return Status::OK();
}

Result<Batch> DecodeRows(const std::string& path, std::string_view file, const VersionInfo& info,
                         std::string_view view, const std::vector<Type>& types) {
  if (file.size() < kMagic.size() + 1 + 4) {
    return Status::Corruption(path + ": " + std::to_string(file.size()) +
                              " bytes, too short for a rows file");
  }
  const size_t body_end = file.size() - 4;
  uint32_t stored = DecodeFixed32(file.data() + body_end);
  uint32_t actual = crc32c::Value(file.data(), body_end);
  if (stored != actual) {
    return Status::Corruption(path + ": checksum mismatch (stored " + Hex(stored, 8) +
                              ", computed " + Hex(actual, 8) + ")");
  }
  if (!file.starts_with(kMagic) || static_cast<uint8_t>(file[kMagic.size()]) != kFormat) {
    return Status::Corruption(path + ": not a rows file of format " + std::to_string(kFormat));
  }
  std::string_view body = file.substr(kMagic.size() + 1, body_end - kMagic.size() - 1);
  exec::ByteReader in(body);
  std::vector<Type> stored_types;
  uint64_t count;
  if (!GetTypes(&in, &stored_types) || !in.GetVarint64(&count)) {
    return Status::Corruption(path + ": malformed header");
  }
  if (stored_types != types) {
    return Status::InvalidArgument(Describe(view, info.version) + " has columns " +
                                   TypeList(stored_types) + ", not " + TypeList(types));
  }
  std::string_view region = body.substr(in.position());
  if (count != info.rows || Hex(StableHash64(region), 16) != info.checksum) {
    return Status::Corruption(path + ": its rows do not match the manifest (" +
                              std::to_string(count) + " rows, checksum " +
                              Hex(StableHash64(region), 16) + "; expected " +
                              std::to_string(info.rows) + " rows, checksum " + info.checksum + ")");
  }
  Batch out;
  RETURN_IF_ERROR(DecodeRowsRegion(path, region, count, types, &out));
  return out;
}

// ---- Manifest edits: writing ----

}  // namespace

std::string VersionInfoJson(const VersionInfo& info, std::optional<bool> live) {
  JsonObject o;
  o.Add("version", info.version)
      .Add("name", info.name)
      .Add("origin", info.origin)
      .Add("logic_hash", info.logic_hash)
      .Add("schema_version", info.schema_version)
      .AddRaw("boundary", BoundaryJson(info.boundary));
  if (info.watermark) {
    o.Add("watermark", static_cast<int64_t>(*info.watermark));
  } else {
    o.AddRaw("watermark", "null");
  }
  o.Add("rows", info.rows).Add("checksum", info.checksum).Add("created", info.created);
  if (live) o.Add("live", *live);
  return o.Finish();
}

namespace {

std::string LiveJson(JsonObject o, uint64_t version, Micros at, bool rollback) {
  o.Add("live", version).Add("at", static_cast<int64_t>(at));
  if (rollback) o.Add("rollback", true);
  return o.Finish();
}

std::string ManifestLine(std::string_view json) {
  return Hex(crc32c::Value(json), 8) + " " + std::string(json) + "\n";
}

Status CheckPublishInfo(const VersionInfo& info) {
  if (info.origin != "batch" && info.origin != "streaming" && info.origin != "replay") {
    return Status::InvalidArgument("publish: origin \"" + info.origin +
                                   "\" is none of batch, streaming, replay");
  }
  bool utf8 = IsValidUtf8(info.name) && IsValidUtf8(info.logic_hash);
  for (const auto& [table, offsets] : info.boundary)
    utf8 = utf8 && IsValidUtf8(table);
  if (!utf8) return Status::InvalidArgument("publish: a name in the version info is not UTF-8");
  return Status::OK();
}

// ---- Manifest edits: replay ----

bool GetU64(element e, uint64_t* v) {
  return e.get_uint64().get(*v) == simdjson::SUCCESS;
}
bool GetI64(element e, int64_t* v) {
  return e.get_int64().get(*v) == simdjson::SUCCESS;
}
bool GetString(element e, std::string* v) {
  std::string_view s;
  if (e.get_string().get(s) != simdjson::SUCCESS) return false;
  *v = std::string(s);
  return true;
}

bool GetBoundary(element e, Boundary* boundary) {
  object tables;
  if (e.get_object().get(tables) != simdjson::SUCCESS) return false;
  for (simdjson::dom::key_value_pair kv : tables) {
    simdjson::dom::array offsets;
    if (kv.value.get_array().get(offsets) != simdjson::SUCCESS) return false;
    std::vector<uint64_t>& out = (*boundary)[std::string(kv.key)];
    for (element o : offsets) {
      if (!GetU64(o, &out.emplace_back())) return false;
    }
  }
  return true;
}

bool GetField(std::string_view key, element e, VersionInfo* info) {
  uint64_t u = 0;
  if (key == "version") return GetU64(e, &info->version);
  if (key == "name") return GetString(e, &info->name);
  if (key == "origin") return GetString(e, &info->origin);
  if (key == "logic_hash") return GetString(e, &info->logic_hash);
  if (key == "schema_version") {
    if (!GetU64(e, &u) || u > UINT32_MAX) return false;
    info->schema_version = static_cast<uint32_t>(u);
    return true;
  }
  if (key == "boundary") return GetBoundary(e, &info->boundary);
  if (key == "watermark") {
    if (e.is_null()) return true;
    return GetI64(e, &info->watermark.emplace());
  }
  if (key == "rows") return GetU64(e, &info->rows);
  if (key == "checksum") return GetString(e, &info->checksum);
  if (key == "created") return GetI64(e, &info->created);
  return true;  // a field of a later format: ignored
}

// Problems are returned as InvalidArgument reasons; the caller names file and line.
Status ApplyPublish(element e, ViewState* state) {
  object fields;
  if (e.get_object().get(fields) != simdjson::SUCCESS) {
    return Status::InvalidArgument("\"publish\" is not an object");
  }
  VersionInfo info;
  for (simdjson::dom::key_value_pair kv : fields) {
    if (!GetField(kv.key, kv.value, &info)) {
      return Status::InvalidArgument("bad field \"" + std::string(kv.key) + "\"");
    }
  }
  if (info.version <= state->max_version) {
    return Status::InvalidArgument("version " + std::to_string(info.version) +
                                   " published after version " +
                                   std::to_string(state->max_version));
  }
  state->max_version = info.version;
  state->kept.emplace(info.version, std::move(info));
  return Status::OK();
}

Status ApplyLive(object edit, uint64_t version, ViewState* state) {
  int64_t at;
  bool rollback = false;
  element e;
  if (edit["at"].get(e) != simdjson::SUCCESS || !GetI64(e, &at)) {
    return Status::InvalidArgument("a live edit without \"at\"");
  }
  if (edit["rollback"].get(e) == simdjson::SUCCESS && e.get_bool().get(rollback)) {
    return Status::InvalidArgument("\"rollback\" is not a boolean");
  }
  if (!state->kept.contains(version)) {
    return Status::InvalidArgument("version " + std::to_string(version) +
                                   " made live but not kept");
  }
  auto& stack = state->live_stack;
  if (rollback) {
    if (stack.size() < 2 || stack[stack.size() - 2] != version) {
      return Status::InvalidArgument("rollback to version " + std::to_string(version) +
                                     ", which is not the rollback target");
    }
    stack.pop_back();
  } else if (stack.empty() || stack.back() != version) {
    stack.push_back(version);
  }
  state->switches.push_back({at, version});
  return Status::OK();
}

Status ApplyPrune(uint64_t version, ViewState* state) {
  if (state->kept.erase(version) == 0) {
    return Status::InvalidArgument("prune of version " + std::to_string(version) +
                                   ", which is not kept");
  }
  state->pruned.insert(version);
  auto& stack = state->live_stack;
  std::erase(stack, version);
  stack.erase(std::unique(stack.begin(), stack.end()), stack.end());
  return Status::OK();
}

Status ApplyEdit(simdjson::dom::parser& parser, std::string_view json, ViewState* state) {
  object edit;
  if (parser.parse(json.data(), json.size()).get_object().get(edit) != simdjson::SUCCESS) {
    return Status::InvalidArgument("not a JSON object");
  }
  element e;
  bool known = false;
  if (edit["publish"].get(e) == simdjson::SUCCESS) {
    RETURN_IF_ERROR(ApplyPublish(e, state));
    known = true;
  }
  uint64_t version;
  if (edit["live"].get(e) == simdjson::SUCCESS) {
    if (!GetU64(e, &version)) return Status::InvalidArgument("\"live\" is not a version");
    RETURN_IF_ERROR(ApplyLive(edit, version, state));
    known = true;
  }
  if (edit["prune"].get(e) == simdjson::SUCCESS) {
    if (!GetU64(e, &version)) return Status::InvalidArgument("\"prune\" is not a version");
    RETURN_IF_ERROR(ApplyPrune(version, state));
    known = true;
  }
  return known ? Status::OK() : Status::InvalidArgument("an edit of unknown kind");
}

// The JSON of a manifest line whose checksum holds.
bool CheckLine(std::string_view line, std::string_view* json) {
  if (line.size() < 10 || line[8] != ' ') return false;
  uint32_t stored = 0;
  auto [end, ec] = std::from_chars(line.data(), line.data() + 8, stored, 16);
  if (ec != std::errc() || end != line.data() + 8) return false;
  *json = line.substr(9);
  return crc32c::Value(*json) == stored;
}

Result<ViewState> ReplayManifest(const std::string& path, std::string_view text) {
  ViewState state;
  state.file_bytes = text.size();
  simdjson::dom::parser parser;
  size_t pos = 0;
  for (int line_no = 1;; ++line_no) {
    size_t newline = text.find('\n', pos);
    if (newline == std::string_view::npos) break;  // a torn tail, never acknowledged
    std::string_view json;
    if (!CheckLine(text.substr(pos, newline - pos), &json)) {
      if (newline + 1 == text.size()) break;  // a torn last line, never acknowledged
      return Status::Corruption(path + " line " + std::to_string(line_no) +
                                ": checksum mismatch or malformed line");
    }
    Status s = ApplyEdit(parser, json, &state);
    if (!s.ok()) {
      return Status::Corruption(path + " line " + std::to_string(line_no) + ": " + s.message());
    }
    pos = newline + 1;
    state.good_bytes = pos;
  }
  return state;
}

}  // namespace

Status ParseVersionInfo(std::string_view json, VersionInfo* info) {
  simdjson::dom::parser parser;
  element root;
  object fields;
  if (parser.parse(json.data(), json.size()).get(root) != simdjson::SUCCESS ||
      root.get_object().get(fields) != simdjson::SUCCESS) {
    return Status::InvalidArgument("a version is not a JSON object");
  }
  *info = VersionInfo();
  for (simdjson::dom::key_value_pair kv : fields) {
    if (!GetField(kv.key, kv.value, info)) {
      return Status::InvalidArgument("a version has a bad field \"" + std::string(kv.key) + "\"");
    }
  }
  return Status::OK();
}

std::string RowsChecksum(const Batch& rows) {
  std::vector<Type> types;
  for (const Column& c : rows.columns)
    types.push_back(c.type());
  return EncodeRows(types, rows).checksum;
}

// ---- VersionStore ----

Result<std::unique_ptr<VersionStore>> VersionStore::Open(FileSystem* fs, std::string dir) {
  RETURN_IF_ERROR(fs->CreateDirs(dir));
  return std::unique_ptr<VersionStore>(new VersionStore(fs, std::move(dir)));
}

std::string VersionStore::ViewDir(std::string_view view) const {
  return filename::ViewDir(dir_, view);
}

Result<ViewState> VersionStore::Load(std::string_view view) const {
  RETURN_IF_ERROR(CheckViewName(view));
  std::string path = filename::Manifest(ViewDir(view));
  if (!fs_->Exists(path)) return ViewState{};
  std::string text;
  RETURN_IF_ERROR(fs_->ReadFile(path, &text));
  return ReplayManifest(path, text);
}

Result<VersionInfo> VersionStore::Find(std::string_view view, const ViewState& state,
                                       uint64_t version) const {
  auto it = state.kept.find(version);
  if (it != state.kept.end()) return it->second;
  if (state.pruned.contains(version)) {
    return Status::NotFound(Describe(view, version) + " has been pruned");
  }
  return Status::NotFound("view " + std::string(view) + " has no version " +
                          std::to_string(version));
}

Status VersionStore::AppendEdits(std::string_view view, const ViewState& state,
                                 std::string_view lines) {
  RETURN_IF_ERROR(failed_);
  const std::string view_dir = ViewDir(view);
  const std::string path = filename::Manifest(view_dir);
  if (state.file_bytes > state.good_bytes) RETURN_IF_ERROR(fs_->Truncate(path, state.good_bytes));
  ASSIGN_OR_RETURN(auto file, fs_->OpenWritable(path, /*truncate=*/false));
  Status s = file->Append(lines);
  // A full disk refused the write before any sync: what it wrote is a torn tail that the
  // next write cuts (as after a crash), so the store goes on once space returns.
  if (s.code() == StatusCode::kNoSpace) return s;
  if (s.ok()) s = file->Sync();
  // The first acknowledged edit also makes the manifest's and the view's names durable.
  if (s.ok() && state.good_bytes == 0) s = fs_->SyncDir(view_dir);
  if (s.ok() && state.good_bytes == 0) s = fs_->SyncDir(dir_);
  if (!s.ok()) {
    failed_ = Status::FailedPrecondition("version store " + dir_ +
                                         " refuses writes after a failed manifest write (" +
                                         s.ToString() + "); reopen it");
    return s;
  }
  return file->Close();
}

Result<uint64_t> VersionStore::NextVersion(std::string_view view, const ViewState& state) const {
  uint64_t max = state.max_version;
  auto names = fs_->ListDir(ViewDir(view));
  if (!names.ok() && !names.status().IsNotFound()) return names.status();
  if (names.ok()) {
    for (const std::string& name : *names)
      max = std::max(max, filename::ParseRowsName(name));
  }
  return max + 1;
}

Result<VersionInfo> VersionStore::Publish(std::string_view view, VersionInfo info,
                                          const std::vector<Type>& types, const Batch& rows,
                                          bool make_live) {
  RETURN_IF_ERROR(CheckViewName(view));
  RETURN_IF_ERROR(CheckPublishInfo(info));
  RETURN_IF_ERROR(CheckRows(types, rows));
  EncodedRows encoded = EncodeRows(types, rows);
  absl::MutexLock lock(&mu_);
  RETURN_IF_ERROR(failed_);
  ASSIGN_OR_RETURN(ViewState state, Load(view));
  ASSIGN_OR_RETURN(info.version, NextVersion(view, state));
  RETURN_IF_ERROR(fs_->CreateDirs(ViewDir(view)));
  RETURN_IF_ERROR(fs_->WriteFileAtomic(JoinPath(ViewDir(view), filename::RowsName(info.version)),
                                       encoded.file));
  RETURN_IF_ERROR(AbortPoint("version_publish.after_rows"));
  if (make_live) RETURN_IF_ERROR(AbortPoint("version_live.before_manifest"));
  info.rows = encoded.rows;
  info.checksum = std::move(encoded.checksum);
  info.created = NowMicros();
  JsonObject edit;
  edit.AddRaw("publish", VersionInfoJson(info));
  std::string json = make_live ? LiveJson(edit, info.version, info.created, false) : edit.Finish();
  RETURN_IF_ERROR(AppendEdits(view, state, ManifestLine(json)));
  return info;
}

Result<std::vector<VersionInfo>> VersionStore::List(std::string_view view) const {
  absl::MutexLock lock(&mu_);
  ASSIGN_OR_RETURN(ViewState state, Load(view));
  std::vector<VersionInfo> out;
  for (auto& [version, info] : state.kept)
    out.push_back(std::move(info));
  return out;
}

Result<std::optional<uint64_t>> VersionStore::Live(std::string_view view) const {
  absl::MutexLock lock(&mu_);
  ASSIGN_OR_RETURN(ViewState state, Load(view));
  if (state.live_stack.empty()) return std::optional<uint64_t>();
  return std::optional<uint64_t>(state.live_stack.back());
}

Result<VersionInfo> VersionStore::LiveAt(std::string_view view, Micros t) const {
  absl::MutexLock lock(&mu_);
  ASSIGN_OR_RETURN(ViewState state, Load(view));
  const internal::LiveSwitch* last = nullptr;
  for (const auto& s : state.switches) {
    if (s.at <= t && (last == nullptr || s.at >= last->at)) last = &s;
  }
  if (last == nullptr) {
    return Status::NotFound("view " + std::string(view) + " had no live version at " +
                            FormatTimestamp(t));
  }
  if (!state.kept.contains(last->version)) {
    return Status::NotFound(Describe(view, last->version) + ", live at " + FormatTimestamp(t) +
                            ", has been pruned");
  }
  return state.kept.at(last->version);
}

Result<VersionInfo> VersionStore::Get(std::string_view view, uint64_t version) const {
  absl::MutexLock lock(&mu_);
  ASSIGN_OR_RETURN(ViewState state, Load(view));
  return Find(view, state, version);
}

Result<VersionInfo> VersionStore::GetByName(std::string_view view, std::string_view name) const {
  absl::MutexLock lock(&mu_);
  ASSIGN_OR_RETURN(ViewState state, Load(view));
  for (auto it = state.kept.rbegin(); it != state.kept.rend(); ++it) {
    if (it->second.name == name) return it->second;
  }
  return Status::NotFound("view " + std::string(view) + " has no version named \"" +
                          std::string(name) + "\"");
}

Result<Batch> VersionStore::Read(std::string_view view, uint64_t version,
                                 const std::vector<Type>& types) const {
  absl::MutexLock lock(&mu_);
  ASSIGN_OR_RETURN(ViewState state, Load(view));
  ASSIGN_OR_RETURN(VersionInfo info, Find(view, state, version));
  const std::string path = JoinPath(ViewDir(view), filename::RowsName(version));
  std::string file;
  Status s = fs_->ReadFile(path, &file);
  if (s.IsNotFound()) {
    // Pruned by another process since the manifest was read, or lost.
    ASSIGN_OR_RETURN(ViewState now, Load(view));
    RETURN_IF_ERROR(Find(view, now, version).status());
    return Status::Corruption(path + ": the rows file of " + Describe(view, version) +
                              " is missing");
  }
  RETURN_IF_ERROR(s);
  return DecodeRows(path, file, info, view, types);
}

Status VersionStore::SwitchLive(std::string_view view, const ViewState& state, uint64_t version,
                                bool rollback) {
  RETURN_IF_ERROR(failed_);
  RETURN_IF_ERROR(AbortPoint("version_live.before_manifest"));
  return AppendEdits(view, state, ManifestLine(LiveJson({}, version, NowMicros(), rollback)));
}

Status VersionStore::SetLive(std::string_view view, uint64_t version) {
  absl::MutexLock lock(&mu_);
  ASSIGN_OR_RETURN(ViewState state, Load(view));
  RETURN_IF_ERROR(Find(view, state, version).status());
  if (!state.live_stack.empty() && state.live_stack.back() == version) return Status::OK();
  return SwitchLive(view, state, version, /*rollback=*/false);
}

Result<uint64_t> VersionStore::Rollback(std::string_view view) {
  absl::MutexLock lock(&mu_);
  ASSIGN_OR_RETURN(ViewState state, Load(view));
  const auto& stack = state.live_stack;
  if (stack.size() < 2) {
    return Status::FailedPrecondition("view " + std::string(view) +
                                      " has no earlier live version to roll back to");
  }
  uint64_t target = stack[stack.size() - 2];
  RETURN_IF_ERROR(SwitchLive(view, state, target, /*rollback=*/true));
  return target;
}

Status VersionStore::Prune(std::string_view view, size_t keep) {
  absl::MutexLock lock(&mu_);
  ASSIGN_OR_RETURN(ViewState state, Load(view));
  std::set<uint64_t> keep_set;
  const auto& stack = state.live_stack;
  if (!stack.empty()) keep_set.insert(stack.back());
  if (stack.size() >= 2) keep_set.insert(stack[stack.size() - 2]);
  for (auto it = state.kept.rbegin(); it != state.kept.rend() && keep_set.size() < keep; ++it)
    keep_set.insert(it->first);
  std::vector<uint64_t> dropped;
  std::string lines;
  for (const auto& [version, info] : state.kept) {
    if (keep_set.contains(version)) continue;
    dropped.push_back(version);
    lines += ManifestLine(JsonObject().Add("prune", version).Finish());
  }
  if (dropped.empty()) return Status::OK();
  RETURN_IF_ERROR(AppendEdits(view, state, lines));
  Status first_error;
  for (uint64_t version : dropped) {
    std::string path = JoinPath(ViewDir(view), filename::RowsName(version));
    if (!fs_->Exists(path)) continue;
    Status s = fs_->Remove(path);
    if (first_error.ok()) first_error = s;
  }
  return first_error;
}

}  // namespace strata::serve
