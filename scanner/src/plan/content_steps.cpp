// Vonage Contact Center's Interaction Content: the recordings, voicemails and transcripts of the
// calls whose Tasks the plan deletes. They come first: once the Tasks holding the call GUIDs are
// gone, only a date-bounded number search finds the content again.
#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>

#include <algorithm>

#include "erasure.hpp"
#include "report/json_support.hpp"

namespace crmscan::plan {
namespace {

// The API's batch delete takes at most 1000 interactions; deleting an interaction deletes all of
// its content.
constexpr std::size_t kBatchLimit = 1000;

template <typename Writer>
void write_item(Writer& w, const Finding& item) {
  w.StartObject();
  json_report::write_string(w, "fingerprint", item.fingerprint);
  json_report::write_string(w, "request_id", item.request_id);
  json_report::write_string(w, "guid", item.record_id);
  json_report::write_string(w, "content_key", item.field);
  json_report::write_string(w, "category", item.category);
  json_report::write_string(w, "delete",
                            "DELETE /interactions/" + item.record_id + "/content/" + item.field);
  w.EndObject();
}

}  // namespace

StepFile content_step_file(const std::vector<const Finding*>& items) {
  std::vector<std::string> guids;
  for (const auto* item : items) guids.push_back(item->record_id);
  std::sort(guids.begin(), guids.end());
  guids.erase(std::unique(guids.begin(), guids.end()), guids.end());

  rapidjson::StringBuffer buffer;
  rapidjson::PrettyWriter<rapidjson::StringBuffer> w(buffer);
  w.SetIndent(' ', 2);
  w.StartObject();
  w.Key("batch_limit");
  w.Uint64(kBatchLimit);
  w.Key("interactions");
  w.Uint64(guids.size());
  w.Key("batches");
  w.StartArray();
  for (std::size_t at = 0; at < guids.size(); at += kBatchLimit) {
    w.StartObject();
    w.Key("guids");
    w.StartArray();
    for (std::size_t i = at; i < std::min(guids.size(), at + kBatchLimit); ++i)
      json_report::put_string(w, guids[i]);
    w.EndArray();
    w.EndObject();
  }
  w.EndArray();
  w.Key("items");
  w.StartArray();
  for (const auto* item : items) write_item(w, *item);
  w.EndArray();
  w.EndObject();
  return {"delete_content",
          "json",
          std::string(buffer.GetString(), buffer.GetSize()) + "\n",
          guids.size(),
          {},
          {},
          {}};
}

}  // namespace crmscan::plan
