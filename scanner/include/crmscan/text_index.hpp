#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace crmscan {

/// A map from text (an email, a number, a folded name, an id) to what it stands for, for the
/// lookups a scan makes of every record: nearly all of them are of text the map does not hold.
/// With thousands of requests a miss in the map costs a trip to memory (its buckets and nodes
/// are evicted by the export streaming through the cache), so past a few keys a bit per key's
/// hash (64 KB) stands in front of it: a clear bit is a sure miss; a set bit, even one another
/// key set, is looked up in the map as before — a false alarm costs a lookup, never an answer.
/// While the map is small its keys are compared one by one, as the standard library does for
/// small maps, without hashing the text.
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
    if (!has_bit(Hash{}(key))) return nullptr;
    const auto found = map_.find(key);
    return found == map_.end() ? nullptr : &found->second;
  }
  bool contains(std::string_view key) const { return find(key) != nullptr; }

  /// The value of `key`, added empty if it is not held yet.
  Value& operator[](const std::string& key) {
    const auto [at, added] = map_.try_emplace(key);
    if (added) {
      if (!bits_.empty()) {
        set_bit(Hash{}(key));
      } else if (map_.size() > kComparedOneByOne) {
        bits_.assign(kBits / 64, 0);
        for (const auto& [held, value] : map_) set_bit(Hash{}(held));
      }
    }
    return at->second;
  }

  std::size_t size() const { return map_.size(); }
  bool empty() const { return map_.empty(); }
  const_iterator begin() const { return map_.begin(); }
  const_iterator end() const { return map_.end(); }

 private:
  static constexpr std::size_t kComparedOneByOne = 16;
  static constexpr std::size_t kBits = std::size_t{1} << 19;

  bool has_bit(std::size_t hash) const {
    const auto bit = hash & (kBits - 1);
    return (bits_[bit / 64] >> (bit % 64) & 1) != 0;
  }
  void set_bit(std::size_t hash) {
    const auto bit = hash & (kBits - 1);
    bits_[bit / 64] |= std::uint64_t{1} << (bit % 64);
  }

  Map map_;
  std::vector<std::uint64_t> bits_;  // empty while the keys are compared one by one
};

}  // namespace crmscan
