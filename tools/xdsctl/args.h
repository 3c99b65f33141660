// Command-line parsing for xdsctl: verbs with their own flags, repeatable flags
// (--class A --class B), --name=value and --name value, -o for --output. Flag names may be
// written with '_' or '-' (--registry_grpc = --registry-grpc).
#ifndef XDS_TOOLS_XDSCTL_ARGS_H_
#define XDS_TOOLS_XDSCTL_ARGS_H_

#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace xds::ctl {

struct Args {
  std::vector<std::string> positional;
  std::map<std::string, std::vector<std::string>> flags;  // canonical name (with '-') -> values in order

  bool Has(const std::string& name) const { return flags.count(name) > 0; }
  // The last value given (later flags override earlier ones, e.g. those ./xds ctl adds).
  std::string Get(const std::string& name, const std::string& fallback = "") const;
  const std::vector<std::string>& All(const std::string& name) const;
};

// `known` and `boolean` hold canonical names ('-'). Boolean flags take no value (--flag or
// --flag=true/false). InvalidArgument for an unknown flag or a missing value.
absl::StatusOr<Args> ParseArgs(const std::vector<std::string>& argv, const std::set<std::string>& known,
                               const std::set<std::string>& boolean);

std::string CanonicalFlag(std::string name);

}  // namespace xds::ctl

#endif  // XDS_TOOLS_XDSCTL_ARGS_H_
