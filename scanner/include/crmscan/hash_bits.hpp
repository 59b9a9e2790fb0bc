#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace crmscan {

/// A bit per hash of a set of keys, in front of the map that holds them: a clear bit is a sure
/// "none of them"; a set bit may be another key's, and the map decides. With thousands of keys
/// the map's nodes are rarely in the cache, and most lookups are of keys it does not hold.
class HashBits {
 public:
  HashBits() = default;
  /// `bits`: a power of two.
  explicit HashBits(std::size_t bits) : words_(bits / 64), mask_(bits - 1) {}

  bool empty() const { return words_.empty(); }
  void add(std::uint64_t hash) {
    const auto bit = bit_of(hash);
    words_[bit / 64] |= std::uint64_t{1} << (bit % 64);
  }
  bool may_hold(std::uint64_t hash) const {
    const auto bit = bit_of(hash);
    return (words_[bit / 64] >> (bit % 64) & 1) != 0;
  }

 private:
  // Mixed, so that hashes whose low bits say little (a value plus a kind) spread too.
  std::size_t bit_of(std::uint64_t hash) const {
    return static_cast<std::size_t>((hash * 0x9E3779B97F4A7C15ULL) >> 32) & mask_;
  }

  std::vector<std::uint64_t> words_;
  std::size_t mask_ = 0;
};

}  // namespace crmscan
