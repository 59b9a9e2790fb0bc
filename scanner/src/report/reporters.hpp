// The reporters the registry (report_formats.cpp) lists, one file each.
#pragma once

#include <memory>

#include "crmscan/reporter.hpp"

namespace crmscan {

std::unique_ptr<Reporter> make_json_reporter();
std::unique_ptr<Reporter> make_ndjson_reporter();
std::unique_ptr<Reporter> make_csv_reporter();
std::unique_ptr<Reporter> make_summary_reporter();
std::unique_ptr<Reporter> make_html_reporter();

}  // namespace crmscan
