// `crmscan scan`: the subjects, the source, the scan and its reports.
#pragma once

#include <string>
#include <vector>

namespace crmscan {

/// crmscan scan [subjects] [source] [content] [output]
int run_scan_command(const std::vector<std::string>& args);

}  // namespace crmscan
