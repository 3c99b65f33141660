// xdsctl's verbs. Run() is main() minus the process: argv in, exit code out, so that the
// whole tool is testable in-process.
#ifndef XDS_TOOLS_XDSCTL_COMMANDS_H_
#define XDS_TOOLS_XDSCTL_COMMANDS_H_

#include <iosfwd>
#include <string>
#include <vector>

namespace xds::ctl {

// Exit codes scripts can rely on.
inline constexpr int kExitOk = 0;
inline constexpr int kExitRefused = 1;      // the registry/repository refused (XDS error code printed)
inline constexpr int kExitUsage = 2;        // bad command line, or not possible over this transport
inline constexpr int kExitUnreachable = 3;  // registry/repository could not be reached
inline constexpr int kExitNotFound = 4;     // no such patient / object / document
inline constexpr int kExitBroken = 5;       // audit verify: the audit trail's hash chain is broken

// `args` excludes the program name. Output goes to `out`, diagnostics to `err`.
int Run(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

// The --help text (overall, or of one verb; "" for an unknown verb).
std::string HelpText();
std::string VerbHelp(const std::string& verb);

}  // namespace xds::ctl

#endif  // XDS_TOOLS_XDSCTL_COMMANDS_H_
