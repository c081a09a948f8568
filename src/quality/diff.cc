// Diff's text and JSON forms (quality/diff.h).
#include <cstdio>
#include <string>

#include <simdjson.h>

#include "common/json_writer.h"
#include "quality/diff.h"

namespace strata::quality {

std::string Diff::ToText() const {
  std::string out = view + ": " + left_name + " " + std::to_string(left_rows) + " rows (checksum " +
                    left_checksum + "), " + right_name + " " + std::to_string(right_rows) +
                    " rows (checksum " + right_checksum + ")\n";
  if (!boundary.empty()) out += "input covered: " + BoundaryJson(boundary) + "\n";
  if (identical()) return out + "no difference\n";
  out += "rows added " + std::to_string(added) + ", removed " + std::to_string(removed) +
         ", changed " + std::to_string(changed) + "\n";
  if (unexplained) {
    std::string tables;
    for (const std::string& t : late_tables)
      tables += (tables.empty() ? "" : ", ") + t;
    out += *unexplained == 0
               ? "explained: every difference is the effect of the " +
                     std::to_string(late_records) + " late records (" + tables +
                     "), which the authoritative recompute counts\n"
               : "UNEXPLAINED: " + std::to_string(*unexplained) +
                     " rows differ from what the speed path computes from the same input (" +
                     std::to_string(late_records) + " late records)\n";
    if (unattributed > 0) {
      out += "UNEXPLAINED: " + std::to_string(unattributed) +
             " differing rows have no late record in their window\n";
    }
    for (const auto& a : attribution)
      out += "  " + a + "\n";
  }
  for (const auto& [column, change] : largest_relative_change) {
    char line[160];
    std::snprintf(line, sizeof(line), "largest relative change in %s: %.6g%%\n", column.c_str(),
                  change * 100);
    out += line;
  }
  for (const auto& e : examples)
    out += "  " + e + "\n";
  return out;
}

std::string Diff::ToJson() const {
  std::string changes = "{";
  for (size_t i = 0; i < largest_relative_change.size(); ++i) {
    changes += i ? "," : "";
    AppendJsonString(&changes, largest_relative_change[i].first);
    char v[64];
    std::snprintf(v, sizeof(v), ":%.17g", largest_relative_change[i].second);
    changes += v;
  }
  std::string examples_json = "[";
  for (size_t i = 0; i < examples.size(); ++i) {
    examples_json += i ? "," : "";
    AppendJsonString(&examples_json, examples[i]);
  }
  JsonObject o;
  o.Add("view", view)
      .Add("left", left_name)
      .Add("right", right_name)
      .Add("left_rows", left_rows)
      .Add("right_rows", right_rows)
      .Add("left_checksum", left_checksum)
      .Add("right_checksum", right_checksum)
      .Add("added", added)
      .Add("removed", removed)
      .Add("changed", changed)
      .Add("identical", identical())
      .Add("explained", explained())
      .Add("late_records", late_records)
      .AddRaw("largest_relative_change", changes + "}")
      .AddRaw("examples", examples_json + "]");
  if (!boundary.empty()) o.AddRaw("boundary", BoundaryJson(boundary));
  if (unexplained) {
    auto strings = [](const std::vector<std::string>& v) {
      std::string out = "[";
      for (size_t i = 0; i < v.size(); ++i) {
        out += i ? "," : "";
        AppendJsonString(&out, v[i]);
      }
      return out + "]";
    };
    o.Add("unexplained", *unexplained)
        .Add("unattributed", unattributed)
        .AddRaw("late_tables", strings(late_tables))
        .AddRaw("attribution", strings(attribution));
  }
  return o.Finish();
}

Result<Diff> Diff::FromJson(std::string_view json) {
  simdjson::dom::parser parser;
  simdjson::dom::object o;
  if (parser.parse(json.data(), json.size()).get(o) != simdjson::SUCCESS) {
    return Status::InvalidArgument("a diff is not a JSON object");
  }
  Diff d;
  auto text = [&](const char* key, std::string* out) {
    std::string_view v;
    if (o[key].get(v) == simdjson::SUCCESS) *out = std::string(v);
  };
  auto number = [&](const char* key, uint64_t* out) {
    if (o[key].get(*out) != simdjson::SUCCESS) *out = 0;
  };
  text("view", &d.view);
  text("left", &d.left_name);
  text("right", &d.right_name);
  text("left_checksum", &d.left_checksum);
  text("right_checksum", &d.right_checksum);
  number("left_rows", &d.left_rows);
  number("right_rows", &d.right_rows);
  number("added", &d.added);
  number("removed", &d.removed);
  number("changed", &d.changed);
  number("late_records", &d.late_records);
  uint64_t unexplained = 0;
  if (o["unexplained"].get(unexplained) == simdjson::SUCCESS) d.unexplained = unexplained;
  number("unattributed", &d.unattributed);
  auto strings = [&](const char* key, std::vector<std::string>* out) {
    simdjson::dom::array a;
    if (o[key].get(a) != simdjson::SUCCESS) return;
    for (auto e : a) {
      std::string_view v;
      if (e.get(v) == simdjson::SUCCESS) out->emplace_back(v);
    }
  };
  strings("late_tables", &d.late_tables);
  strings("attribution", &d.attribution);
  simdjson::dom::object changes;
  if (o["largest_relative_change"].get(changes) == simdjson::SUCCESS) {
    for (auto kv : changes) {
      double v = 0;
      if (kv.value.get(v) == simdjson::SUCCESS) {
        d.largest_relative_change.emplace_back(std::string(kv.key), v);
      }
    }
  }
  simdjson::dom::array examples;
  if (o["examples"].get(examples) == simdjson::SUCCESS) {
    for (auto e : examples) {
      std::string_view v;
      if (e.get(v) == simdjson::SUCCESS) d.examples.emplace_back(v);
    }
  }
  simdjson::dom::object boundary;
  if (o["boundary"].get(boundary) == simdjson::SUCCESS) {
    for (auto kv : boundary) {
      simdjson::dom::array offsets;
      if (kv.value.get(offsets) != simdjson::SUCCESS) continue;
      auto& out = d.boundary[std::string(kv.key)];
      for (auto x : offsets) {
        uint64_t v = 0;
        if (x.get(v) == simdjson::SUCCESS) out.push_back(v);
      }
    }
  }
  return d;
}

}  // namespace strata::quality
