#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "crmscan/hash_bits.hpp"

namespace crmscan {

/// A map from text (an email, a number, a folded name, an id) to what it stands for, for the
/// lookups a scan makes of every record: nearly all of them are of text the map does not hold.
/// With thousands of requests a miss in the map costs a trip to memory (its buckets and nodes
/// are evicted by the export streaming through the cache), so past a few keys a bit per key's
/// hash (64 KB) stands in front of it: a clear bit is a sure miss; a set bit, even one another
/// key set, is looked up in the map as before — a false alarm costs a lookup, never an answer.
/// While the map holds a few keys they are compared one by one, without hashing the text: one
/// request's email or number. Past four, hashing costs less than comparing (a scan's reached
/// records are looked up by every id of every record, and ids of one length differ at the end).
template <typename Value>
class TextIndex {
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view key) const {
      return std::hash<std::string_view>{}(key);
    }
  };
  using Map = std::unordered_map<std::string, Value, Hash, std::equal_to<>>;

 public:
  using const_iterator = typename Map::const_iterator;

  const Value* find(std::string_view key) const {
    if (bits_.empty()) {
      for (const auto& [held, value] : map_) {
        if (held == key) return &value;
      }
      return nullptr;
    }
    if (!bits_.may_hold(Hash{}(key))) return nullptr;
    const auto found = map_.find(key);
    return found == map_.end() ? nullptr : &found->second;
  }
  bool contains(std::string_view key) const { return find(key) != nullptr; }

  /// The value of `key`, added empty if it is not held yet.
  Value& operator[](const std::string& key) {
    const auto [at, added] = map_.try_emplace(key);
    if (added) {
      if (!bits_.empty()) {
        bits_.add(Hash{}(key));
      } else if (map_.size() > kComparedOneByOne) {
        bits_ = HashBits(kBits);
        for (const auto& [held, value] : map_) bits_.add(Hash{}(held));
      }
    }
    return at->second;
  }

  std::size_t size() const { return map_.size(); }
  bool empty() const { return map_.empty(); }
  const_iterator begin() const { return map_.begin(); }
  const_iterator end() const { return map_.end(); }

 private:
  static constexpr std::size_t kComparedOneByOne = 4;
  static constexpr std::size_t kBits = std::size_t{1} << 19;

  Map map_;
  HashBits bits_;  // empty while the keys are compared one by one
};

}  // namespace crmscan
