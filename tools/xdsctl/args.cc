#include "tools/xdsctl/args.h"

namespace xds::ctl {

std::string CanonicalFlag(std::string name) {
  for (char& c : name)
    if (c == '_') c = '-';
  return name;
}

std::string Args::Get(const std::string& name, const std::string& fallback) const {
  auto it = flags.find(name);
  return it == flags.end() || it->second.empty() ? fallback : it->second.back();
}

const std::vector<std::string>& Args::All(const std::string& name) const {
  static const std::vector<std::string> kNone;
  auto it = flags.find(name);
  return it == flags.end() ? kNone : it->second;
}

absl::StatusOr<Args> ParseArgs(const std::vector<std::string>& argv, const std::set<std::string>& known,
                               const std::set<std::string>& boolean) {
  Args out;
  bool flags_done = false;
  for (size_t i = 0; i < argv.size(); ++i) {
    const std::string& a = argv[i];
    if (flags_done || a.size() < 2 || a[0] != '-' || a == "-") {
      out.positional.push_back(a);
      continue;
    }
    if (a == "--") {
      flags_done = true;
      continue;
    }
    std::string name, value;
    bool has_value = false;
    if (a == "-o") {
      name = "output";
    } else if (a == "-h") {
      name = "help";
    } else if (a.rfind("--", 0) == 0) {
      std::string body = a.substr(2);
      size_t eq = body.find('=');
      if (eq != std::string::npos) {
        value = body.substr(eq + 1);
        body = body.substr(0, eq);
        has_value = true;
      }
      name = CanonicalFlag(body);
    } else {
      return absl::InvalidArgumentError("unknown option '" + a + "'");
    }
    if (!known.count(name)) return absl::InvalidArgumentError("unknown option '--" + name + "'");
    if (boolean.count(name)) {
      if (!has_value) value = "true";
      if (value != "true" && value != "false") {
        return absl::InvalidArgumentError("--" + name + " takes no value (or true/false)");
      }
    } else if (!has_value) {
      if (i + 1 >= argv.size()) return absl::InvalidArgumentError("--" + name + " needs a value");
      value = argv[++i];
    }
    out.flags[name].push_back(value);
  }
  return out;
}

}  // namespace xds::ctl
