// xdsctl: the administrators' tool. See `xdsctl --help` (tools/xdsctl/commands.cc) and the
// "Administrators' walk-through" in README.md.
#include <iostream>
#include <string>
#include <vector>

#include "tools/xdsctl/commands.h"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  return xds::ctl::Run(args, std::cout, std::cerr);
}
