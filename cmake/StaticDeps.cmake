# The C++ libraries crmscan uses, as targets: crmscan::re2, crmscan::yaml_cpp,
# crmscan::phonenumber, crmscan::utf8proc, crmscan::program_options.
#
# With CRMSCAN_STATIC_DEPS (the default) each is linked from its Debian archive (lib*.a) when every
# archive it needs is installed, and from its shared library otherwise. Linked shared, these
# libraries and what they pull in (protobuf, ICU, abseil) are 40 of crmscan's 53 shared libraries,
# and resolving their ~14,000 symbols at start-up costs more than a small scan itself. libcurl and
# its TLS libraries stay shared: they drag in much more, and they get security updates.

option(CRMSCAN_STATIC_DEPS
  "Link libphonenumber, protobuf, ICU, abseil, RE2, yaml-cpp, utf8proc, Boost.Program_options statically"
  ON)
find_package(Threads REQUIRED)

# Sets ${out} to the archives of the pkg-config modules ${ARGN} with what they need, in an order a
# static link resolves, or to "" when one is missing. pkg-config --static lists each library
# before the libraries it uses (protobuf-lite; ICU i18n → uc → data; abseil's hash and strings →
# their internals → base, log_severity last); a linker reads archives left to right once, so
# that order is kept. The C and C++ runtime's own libraries (pthread, m, rt, dl, atomic) stay shared.
function(crmscan_static_archives out prefix)
  set(${out} "" PARENT_SCOPE)
  pkg_check_modules(${prefix} QUIET ${ARGN})
  if(NOT ${prefix}_FOUND)
    message(STATUS "crmscan: pkg-config modules ${ARGN} not all found: linking shared")
    return()
  endif()
  set(archives "")
  foreach(name IN LISTS ${prefix}_STATIC_LIBRARIES)
    if(name MATCHES "^(pthread|m|rt|dl|atomic)$")
      list(APPEND archives ${name})
      continue()
    endif()
    find_library(CRMSCAN_ARCHIVE_${name} NAMES lib${name}.a HINTS ${${prefix}_STATIC_LIBRARY_DIRS})
    if(NOT CRMSCAN_ARCHIVE_${name})
      message(STATUS "crmscan: lib${name}.a not found: linking ${ARGN} shared")
      return()
    endif()
    list(APPEND archives ${CRMSCAN_ARCHIVE_${name}})
  endforeach()
  set(${out} ${archives} PARENT_SCOPE)
endfunction()

foreach(dep re2 yaml_cpp phonenumber utf8proc program_options)
  add_library(crmscan_dep_${dep} INTERFACE)
  add_library(crmscan::${dep} ALIAS crmscan_dep_${dep})
endforeach()
target_include_directories(crmscan_dep_phonenumber INTERFACE ${PHONENUMBER_INCLUDE_DIR})

set(static_re2 "")
set(static_utf8proc "")
set(static_phonenumber "")
set(static_yaml_cpp "")
set(static_program_options "")
if(CRMSCAN_STATIC_DEPS)
  crmscan_static_archives(static_re2 CRMSCAN_STATIC_RE2 re2)
  crmscan_static_archives(static_utf8proc CRMSCAN_STATIC_UTF8PROC libutf8proc)
  # libphonenumber has no pkg-config module: it comes first, then what it uses (protobuf's lite
  # runtime is enough for its metadata).
  find_library(CRMSCAN_ARCHIVE_phonenumber NAMES libphonenumber.a)
  crmscan_static_archives(phonenumber_uses CRMSCAN_STATIC_PHONENUMBER
    protobuf-lite icu-i18n absl_hash absl_raw_hash_set absl_strings absl_throw_delegate)
  if(CRMSCAN_ARCHIVE_phonenumber AND phonenumber_uses)
    set(static_phonenumber ${CRMSCAN_ARCHIVE_phonenumber} ${phonenumber_uses})
  endif()
  find_library(CRMSCAN_ARCHIVE_yaml_cpp NAMES libyaml-cpp.a)
  if(CRMSCAN_ARCHIVE_yaml_cpp)
    set(static_yaml_cpp ${CRMSCAN_ARCHIVE_yaml_cpp})
  endif()
  find_library(CRMSCAN_ARCHIVE_program_options NAMES libboost_program_options.a
    HINTS ${Boost_LIBRARY_DIRS})
  if(CRMSCAN_ARCHIVE_program_options)
    set(static_program_options ${CRMSCAN_ARCHIVE_program_options})
  endif()
endif()

if(static_re2)
  target_include_directories(crmscan_dep_re2 INTERFACE ${CRMSCAN_STATIC_RE2_INCLUDE_DIRS})
  target_link_libraries(crmscan_dep_re2 INTERFACE ${static_re2} Threads::Threads)
else()
  target_link_libraries(crmscan_dep_re2 INTERFACE PkgConfig::RE2)
endif()
if(static_utf8proc)
  target_include_directories(crmscan_dep_utf8proc INTERFACE ${CRMSCAN_STATIC_UTF8PROC_INCLUDE_DIRS})
  target_link_libraries(crmscan_dep_utf8proc INTERFACE ${static_utf8proc})
else()
  target_link_libraries(crmscan_dep_utf8proc INTERFACE PkgConfig::UTF8PROC)
endif()
if(static_phonenumber)
  target_link_libraries(crmscan_dep_phonenumber INTERFACE ${static_phonenumber} Threads::Threads
    ${CMAKE_DL_LIBS})
else()
  # crmscan's own code uses libphonenumber's protobuf messages (PhoneNumber), so it links the
  # protobuf that libphonenumber was built against, not only through libphonenumber.so.
  pkg_check_modules(PROTOBUF REQUIRED IMPORTED_TARGET protobuf)
  target_link_libraries(crmscan_dep_phonenumber INTERFACE ${PHONENUMBER_LIBRARY} PkgConfig::PROTOBUF)
endif()
if(static_yaml_cpp)
  target_include_directories(crmscan_dep_yaml_cpp
    INTERFACE $<TARGET_PROPERTY:yaml-cpp,INTERFACE_INCLUDE_DIRECTORIES>)
  target_link_libraries(crmscan_dep_yaml_cpp INTERFACE ${static_yaml_cpp})
else()
  target_link_libraries(crmscan_dep_yaml_cpp INTERFACE yaml-cpp)
endif()
if(static_program_options)
  target_link_libraries(crmscan_dep_program_options INTERFACE Boost::headers ${static_program_options})
else()
  target_link_libraries(crmscan_dep_program_options INTERFACE Boost::program_options)
endif()

set(linked_static "")
foreach(dep re2 yaml_cpp phonenumber utf8proc program_options)
  if(static_${dep})
    list(APPEND linked_static ${dep})
  endif()
endforeach()
if(NOT linked_static)
  set(linked_static "none")
endif()
message(STATUS "crmscan: linked statically: ${linked_static}")
