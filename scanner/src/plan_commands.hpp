// The commands that carry a report on: `crmscan plan` and `crmscan verify`.
#pragma once

#include <string>
#include <vector>

namespace crmscan {

/// crmscan plan REPORT --out DIR [--blank-text] [--rules PATH…] [--values FILE]
int run_plan_command(const std::vector<std::string>& args);

/// crmscan verify REPORT + the scan's source options.
int run_verify_command(const std::vector<std::string>& args);

}  // namespace crmscan
