# ctest migctl_man_page: the page help2man generated from `migctl --help` at
# build time (src/CMakeLists.txt, target migctl_man) has its NAME and
# SYNOPSIS, and lists the subcommands. Run as cmake -DMAN_PAGE=… -P.
if(NOT EXISTS "${MAN_PAGE}")
  message(FATAL_ERROR "${MAN_PAGE} is missing: build the migctl_man target")
endif()
file(READ "${MAN_PAGE}" page)
foreach(expected
    ".SH NAME\nmigctl \\- partition NVIDIA GPUs with MIG and run it from Kubernetes\n"
    ".SH SYNOPSIS\n.B migctl\n[\\fI\\,OPTIONS\\/\\fR] \\fI\\,SUBCOMMAND\\/\\fR\n"
    ".TH MIGCTL \"1\""
    "\napply\n"
    "\ncompletion\n"
    ".SH EXAMPLES\n")
  string(FIND "${page}" "${expected}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "${MAN_PAGE} lacks:\n${expected}")
  endif()
endforeach()
