# Writes crmscan's man page from its own --help texts, so that the two never disagree.
#   cmake -DCRMSCAN=path/to/crmscan -DVERSION=x.y.z -DOUT=crmscan.1 -P ManPage.cmake
foreach(variable CRMSCAN VERSION OUT)
  if(NOT DEFINED ${variable})
    message(FATAL_ERROR "ManPage.cmake: ${variable} is not set")
  endif()
endforeach()

# One command's help, as a preformatted roff block: backslashes doubled, and a line that starts
# with a dot or a quote kept from being read as a request.
function(help_block out)
  execute_process(COMMAND ${CRMSCAN} ${ARGN} OUTPUT_VARIABLE text RESULT_VARIABLE status)
  if(NOT status EQUAL 0)
    message(FATAL_ERROR "ManPage.cmake: '${CRMSCAN} ${ARGN}' exited ${status}")
  endif()
  string(REPLACE "\\" "\\e" text "${text}")
  string(REGEX REPLACE "(^|\n)([.'])" "\\1\\\\&\\2" text "${text}")
  set(${out} ".nf\n${text}.fi\n" PARENT_SCOPE)
endfunction()

help_block(usage --help)
help_block(scan scan --help)
help_block(rules rules --help)
help_block(connectors connectors)

file(WRITE ${OUT} ".TH CRMSCAN 1 \"\" \"crmscan ${VERSION}\" \"User Commands\"
.SH NAME
crmscan \\- find the personal data a right-to-be-forgotten request must erase in a CRM
.SH SYNOPSIS
.B crmscan scan
[\\fIoptions\\fR]
.br
.B crmscan rules
validate|test|list [\\fIPATH\\fR...]
.br
.B crmscan connectors
.SH DESCRIPTION
${usage}.SH SCAN
${scan}.SH RULES
${rules}.SH CONNECTORS
${connectors}.SH ENVIRONMENT
.TP
.B CRMSCAN_RULES
The folder of the shipped rule packs (one folder per CRM in it). By default crmscan uses
share/crmscan/rules of the prefix it is installed in.
.TP
.BR SF_* \", \" D365_* \", \" HUBSPOT_* \", \" VCC_*
The live connectors' credentials; any variable X may be given as X_FILE, a file that holds it.
.SH FILES
.TP
.I /usr/share/crmscan/rules/
the rule packs (with the packs' tests)
.TP
.I /usr/share/doc/crmscan/README.md
how to scan each CRM, the rule pack format, the reports
.SH EXIT STATUS
0 complete, 1 findings with --fail-on-findings, 2 incomplete, 64 usage, 65 bad data, 66 missing
input, 78 bad configuration.
")
