#pragma once

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "crmscan/csv_reader.hpp"
#include "emulator_kit.hpp"

namespace crmscan::templemu {

/// Calls answered 503 (throttled and Retry-After are not served), and calls whose body is spoilt.
using Faults = emulator::CallFaults;

/// The template connector's API over a folder of CSV files (one per object) on 127.0.0.1, a page
/// of `page_size` records at a time, with faults on demand.
class Emulator {
 public:
  Emulator(const std::filesystem::path& folder, std::string token, std::size_t page_size = 2)
      : token_(std::move(token)), page_size_(page_size) {
    for (const auto& entry : std::filesystem::directory_iterator(folder)) {
      std::ifstream in(entry.path(), std::ios::binary);
      CsvReader reader(in);
      std::vector<std::vector<std::string>> rows;  // the header first
      for (std::vector<std::string> row; reader.next(row);) rows.push_back(row);
      if (entry.path().extension() == ".csv" && !rows.empty())
        objects_[entry.path().stem().string()] = std::move(rows);
    }
  }
  std::uint16_t start() {
    return server_.start(0, [this](auto& q, auto& r) { handle(q, r); });
  }
  std::string base_url() const { return server_.url(); }
  void set_faults(const Faults& faults) {
    std::lock_guard lock(mutex_);
    faults_ = faults;
    calls_ = 0;
  }

 private:
  void handle(const httplib::Request& request, httplib::Response& response) {
    std::lock_guard lock(mutex_);
    const auto call = ++calls_;
    emulator::Reply reply{503, R"({"error":{"code":"Unavailable","message":"try later"}})"};
    if (request.get_header_value("Authorization") != "Bearer " + token_)
      reply = {401, R"({"error":{"code":"Unauthorized","message":"no such token"}})"};
    else if (!faults_.unavailable.holds(call))
      reply = route(request.path, std::stoul("0" + request.get_param_value("after")));
    emulator::send_reply(std::move(reply), emulator::body_fault_of(faults_, call), response);
  }

  emulator::Reply route(const std::string& path, std::size_t after) const {
    rapidjson::StringBuffer buffer;
    rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
    w.StartObject();
    if (path == "/v1/objects") {
      w.Key("objects");
      w.StartArray();
      for (const auto& [name, rows] : objects_) {
        w.StartObject();
        w.Key("name");
        w.String(name.c_str());
        w.Key("fields");
        w.StartArray();
        for (const auto& field : rows.front()) w.String(field.c_str());
        w.EndArray();
        w.EndObject();
      }
      w.EndArray();
    } else {
      const bool listed = path.starts_with("/v1/objects/") && path.ends_with("/records");
      const auto found = listed ? objects_.find(path.substr(12, path.size() - 20)) : objects_.end();
      if (found == objects_.end())
        return {404, R"({"error":{"code":"NotFound","message":"no such object"}})"};
      const auto& rows = found->second;
      const auto end = std::min(rows.size() - 1, after + page_size_);
      w.Key("records");
      w.StartArray();
      for (auto i = after + 1; i <= end; ++i) {
        w.StartObject();
        for (std::size_t f = 0; f < rows.front().size(); ++f) {
          w.Key(rows.front()[f].c_str());
          w.String(f < rows[i].size() ? rows[i][f].c_str() : "");
        }
        w.EndObject();
      }
      w.EndArray();
      w.Key("next");
      end < rows.size() - 1 ? w.String(std::to_string(end).c_str()) : w.Null();
    }
    w.EndObject();
    return {200, buffer.GetString()};
  }

  std::string token_;
  std::size_t page_size_;
  std::map<std::string, std::vector<std::vector<std::string>>> objects_;
  std::mutex mutex_;
  Faults faults_;
  std::size_t calls_ = 0;
  emulator::Server server_;
};

}  // namespace crmscan::templemu
