#include "crmscan/scrub.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <vector>

#include "crmscan/report.hpp"
#include "crmscan/text.hpp"

namespace crmscan {
namespace {

constexpr std::size_t kMinBytes = 4;   // shorter values are not looked for
constexpr std::size_t kKeyBytes = 64;  // values are found by their first bytes, up to this many
constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD
constexpr std::string_view kEllipsis = "\xE2\x80\xA6";

char lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

// FNV-1a, one folded byte at a time: the keys of all prefix lengths of a text position come out
// of one pass.
constexpr std::uint64_t kHashStart = 14695981039346656037ULL;
std::uint64_t hash_step(std::uint64_t hash, char c) {
  return (hash ^ static_cast<unsigned char>(lower(c))) * 1099511628211ULL;
}

// The form a value takes in a URL query or a form body (RFC 3986 unreserved kept), with spaces as
// %20 or '+'.
std::string percent_encoded(std::string_view value, bool plus_for_space) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string encoded;
  for (const char c : value) {
    const auto byte = static_cast<unsigned char>(c);
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '.' || c == '_' || c == '~') {
      encoded.push_back(c);
    } else if (c == ' ' && plus_for_space) {
      encoded.push_back('+');
    } else {
      encoded += {'%', kHex[byte >> 4], kHex[byte & 0xF]};
    }
  }
  return encoded;
}

// Every value to look for, bucketed by its length and a hash of its bytes (lower-cased; the first
// 64 of a longer one): at each position of a text, one lookup per length present, however many
// values there are, and few candidates in a bucket even when thousands of values share their
// beginning (the record ids of one org). Ten thousand requests register hundreds of thousands of
// forms: they are kept in a few flat arrays (bytes, entries, an open-addressed table of buckets),
// not one allocation each.
class Registry {
 public:
  static Registry& instance() {
    static Registry registry;
    return registry;
  }

  void add(std::string_view value, bool secret) {
    const std::lock_guard<std::mutex> lock(mutex_);
    const auto original = trim(value);
    // One replacement for the value's forms (its index), kept once.
    const auto replacement = static_cast<std::uint32_t>(replacements_.size());
    replacements_.push_back(add_bytes(secret ? "[secret]" : redact(original)));
    bool used = false;
    for (const auto& form : {std::string(original), percent_encoded(original, false),
                             percent_encoded(original, true)}) {
      if (form.size() < kMinBytes) continue;
      const auto key_bytes = std::min(form.size(), kKeyBytes);
      std::uint64_t hash = kHashStart;
      for (std::size_t i = 0; i < key_bytes; ++i) hash = hash_step(hash, form[i]);
      auto& head = bucket(key_bytes, hash);
      has_length_[key_bytes] = true;
      longest_key_ = std::max(longest_key_, key_bytes);
      auto same = head;
      while (same != kNone && !folded_equal(entries_[same], form)) same = entries_[same].next;
      if (same != kNone) {
        // A value both secret and requested is treated as a secret.
        entries_[same].secret = entries_[same].secret || secret;
        if (secret) entries_[same].replacement = replacement;
        used = used || secret;
        continue;
      }
      std::string folded(form.size(), '\0');
      std::transform(form.begin(), form.end(), folded.begin(), lower);
      entries_.push_back({add_bytes(folded), replacement, secret, head});
      head = static_cast<std::uint32_t>(entries_.size() - 1);
      used = true;
    }
    if (!used) {
      bytes_.resize(replacements_.back().offset);
      replacements_.pop_back();
    }
  }

  // Megabytes with ten thousand requests.
  void release_spare() {
    const std::lock_guard<std::mutex> lock(mutex_);
    bytes_.shrink_to_fit();
    entries_.shrink_to_fit();
    replacements_.shrink_to_fit();
  }

  void show_requests(bool shown) {
    const std::lock_guard<std::mutex> lock(mutex_);
    requests_shown_ = shown;
  }

  std::string replace(std::string_view text) {
    const std::lock_guard<std::mutex> lock(mutex_);
    if (entries_.empty() || text.size() < kMinBytes) return std::string(text);
    std::string result;
    result.reserve(text.size());
    std::size_t i = 0;
    while (i < text.size()) {
      const Entry* best = nullptr;
      std::uint64_t hash = kHashStart;
      for (std::size_t length = 1; length <= longest_key_ && i + length <= text.size(); ++length) {
        hash = hash_step(hash, text[i + length - 1]);
        if (length < kMinBytes || !has_length_[length]) continue;
        for (auto index = find_bucket(length, hash); index != kNone; index = entries_[index].next) {
          const auto& entry = entries_[index];
          if (!entry.secret && requests_shown_) continue;
          if (best != nullptr && best->folded.length >= entry.folded.length) continue;
          if (entry.folded.length > text.size() - i) continue;
          const auto* folded = bytes_.data() + entry.folded.offset;
          bool equal = true;
          for (std::size_t k = 0; k < entry.folded.length && equal; ++k)
            equal = lower(text[i + k]) == folded[k];
          if (equal) best = &entry;
        }
      }
      if (best != nullptr) {
        const auto& replacement = replacements_[best->replacement];
        result.append(bytes_, replacement.offset, replacement.length);
        i += best->folded.length;
      } else {
        result.push_back(text[i++]);
      }
    }
    return result;
  }

 private:
  static constexpr std::uint32_t kNone = UINT32_MAX - 1;  // no entry (a bucket's chain ends)
  static constexpr std::uint32_t kFree = UINT32_MAX;      // a slot of the table no bucket uses
  struct Bytes {
    std::uint32_t offset;  // in bytes_
    std::uint32_t length;
  };
  struct Entry {
    Bytes folded;               // ASCII lower case
    std::uint32_t replacement;  // in replacements_
    bool secret = false;
    std::uint32_t next = kNone;  // the next entry of its bucket
  };

  Bytes add_bytes(std::string_view text) {
    const Bytes added{static_cast<std::uint32_t>(bytes_.size()),
                      static_cast<std::uint32_t>(text.size())};
    bytes_.append(text);
    return added;
  }

  bool folded_equal(const Entry& entry, std::string_view form) const {
    if (entry.folded.length != form.size()) return false;
    const auto* folded = bytes_.data() + entry.folded.offset;
    for (std::size_t k = 0; k < form.size(); ++k) {
      if (folded[k] != lower(form[k])) return false;
    }
    return true;
  }

  // A bucket's key: its length keyed and the hash of that many bytes. Two buckets whose keys
  // collide only share candidates, each still compared in full.
  static std::uint64_t bucket_key(std::size_t length, std::uint64_t hash) {
    return hash ^ (static_cast<std::uint64_t>(length) * 0x9E3779B97F4A7C15ULL);
  }

  std::uint32_t find_bucket(std::size_t length, std::uint64_t hash) const {
    const auto key = bucket_key(length, hash);
    const auto mask = bucket_keys_.size() - 1;
    for (auto slot = static_cast<std::size_t>(key) & mask;; slot = (slot + 1) & mask) {
      if (bucket_heads_[slot] == kFree) return kNone;
      if (bucket_keys_[slot] == key) return bucket_heads_[slot];
    }
  }

  // The head of the bucket (kNone when new: the caller links its entry in).
  std::uint32_t& bucket(std::size_t length, std::uint64_t hash) {
    // At most three quarters full: a lookup that finds nothing stops after a few slots.
    if (4 * (buckets_ + 1) > 3 * bucket_keys_.size()) grow();
    const auto key = bucket_key(length, hash);
    const auto mask = bucket_keys_.size() - 1;
    auto slot = static_cast<std::size_t>(key) & mask;
    for (; bucket_heads_[slot] != kFree; slot = (slot + 1) & mask) {
      if (bucket_keys_[slot] == key) return bucket_heads_[slot];
    }
    ++buckets_;
    bucket_keys_[slot] = key;
    bucket_heads_[slot] = kNone;
    return bucket_heads_[slot];
  }

  void grow() {
    std::vector<std::uint64_t> keys(std::max<std::size_t>(64, 2 * bucket_keys_.size()));
    std::vector<std::uint32_t> heads(keys.size(), kFree);
    const auto mask = keys.size() - 1;
    for (std::size_t old = 0; old < bucket_keys_.size(); ++old) {
      if (bucket_heads_[old] == kFree) continue;
      auto slot = static_cast<std::size_t>(bucket_keys_[old]) & mask;
      while (heads[slot] != kFree) slot = (slot + 1) & mask;
      keys[slot] = bucket_keys_[old];
      heads[slot] = bucket_heads_[old];
    }
    bucket_keys_.swap(keys);
    bucket_heads_.swap(heads);
  }

  std::mutex mutex_;
  std::string bytes_;  // every folded form and replacement, one after another
  std::vector<Entry> entries_;
  std::vector<Bytes> replacements_;
  std::vector<std::uint64_t> bucket_keys_;   // bucket_key() of each slot in use
  std::vector<std::uint32_t> bucket_heads_;  // its first entry, or kFree
  std::size_t buckets_ = 0;
  bool has_length_[kKeyBytes + 1] = {};
  std::size_t longest_key_ = 0;
  bool requests_shown_ = false;
};

// The code point of the UTF-8 sequence at `at` and its length, or length 0 when the bytes there
// are not valid UTF-8 (overlong forms and surrogates included).
std::pair<std::uint32_t, std::size_t> decode(std::string_view text, std::size_t at) {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[at + i]); };
  const auto lead = byte(0);
  if (lead < 0x80) return {lead, 1};
  std::size_t length = 0;
  std::uint32_t code = 0, minimum = 0;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2, code = lead & 0x1F, minimum = 0x80;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3, code = lead & 0x0F, minimum = 0x800;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4, code = lead & 0x07, minimum = 0x10000;
  } else {
    return {0, 0};
  }
  if (at + length > text.size()) return {0, 0};
  for (std::size_t i = 1; i < length; ++i) {
    if ((byte(i) & 0xC0) != 0x80) return {0, 0};
    code = code << 6 | (byte(i) & 0x3F);
  }
  if (code < minimum || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) return {0, 0};
  return {code, length};
}

bool is_control(std::uint32_t code) {
  return code < 0x20 || (code >= 0x7F && code <= 0x9F) || code == 0x061C ||
         (code >= 0x200E && code <= 0x200F) || (code >= 0x202A && code <= 0x202E) ||
         (code >= 0x2066 && code <= 0x2069);
}

std::string clean(std::string_view text, bool controls_too) {
  const bool plain = std::all_of(text.begin(), text.end(), [](char c) {
    return static_cast<unsigned char>(c) >= 0x20 && static_cast<unsigned char>(c) < 0x7F;
  });
  if (plain) return std::string(text);
  std::string result;
  result.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    const auto [code, length] = decode(text, i);
    if (length == 0) {
      result += kReplacement;
      ++i;
      continue;
    }
    if (controls_too && is_control(code)) {
      result.push_back(code == '\t' || code == '\n' || code == '\r' ? ' ' : '?');
    } else {
      result.append(text.substr(i, length));
    }
    i += length;
  }
  return result;
}

}  // namespace

void register_secret(std::string_view value) {
  Registry::instance().add(value, true);
}

void register_request_value(std::string_view value) {
  Registry::instance().add(value, false);
}

void release_registry_spare() {
  Registry::instance().release_spare();
}

void set_request_values_shown(bool shown) {
  Registry::instance().show_requests(shown);
}

std::string scrub(std::string_view text, std::size_t max_bytes) {
  // Values are replaced before the text is cut: a secret across the cut would leave its start.
  auto result = clean(Registry::instance().replace(text), true);
  if (result.size() <= max_bytes) return result;
  return utf8_prefix(result, max_bytes) + std::string(kEllipsis);
}

std::string printable(std::string_view text) {
  return clean(text, true);
}

std::string valid_utf8(std::string_view text) {
  return clean(text, false);
}

}  // namespace crmscan
