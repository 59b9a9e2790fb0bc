// Helpers shared by the fuzz targets.
#pragma once

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>

namespace crmscan::fuzz {

/// A file of this process under the temporary directory, rewritten with each input: the readers
/// under test take paths, and their format follows the file name's extension.
inline std::string write_input(const std::string& name, const std::uint8_t* data,
                               std::size_t size) {
  static const auto folder = [] {
    auto path =
        std::filesystem::temp_directory_path() / ("crmscan-fuzz-" + std::to_string(::getpid()));
    std::filesystem::create_directories(path);
    return path;
  }();
  const auto path = (folder / name).string();
  std::ofstream(path, std::ios::binary | std::ios::trunc)
      .write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  return path;
}

}  // namespace crmscan::fuzz
