// End-to-end test support: start the real service binaries on 127.0.0.1 with their data
// in TEST_TMPDIR, talk SOAP to them, validate what they answer against the official schemas.
#ifndef XDS_TESTS_E2E_SUPPORT_H_
#define XDS_TESTS_E2E_SUPPORT_H_

#include <sys/types.h>

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include <pugixml.hpp>

#include "registry/shared/net/http_client.h"

namespace xds::testing {

// A service process. Killed (SIGKILL) on destruction unless stopped before.
class Process {
 public:
  // Starts `binary` with `args` plus --port_file, and waits until the ports are written.
  // With `log_file`, the process's stderr (its log) goes there instead of the test log.
  Process(const std::string& binary, std::vector<std::string> args, const std::string& port_file,
          const std::string& log_file = "");
  ~Process();
  // SIGTERM, then waits up to `grace`; false (and SIGKILL) if it had not exited by then.
  bool Stop(std::chrono::milliseconds grace = std::chrono::seconds(60));
  void Kill();  // SIGKILL and wait
  bool Running();
  int http_port() const { return http_port_; }
  int grpc_port() const { return grpc_port_; }
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
  int http_port_ = 0;
  int grpc_port_ = 0;
};

std::string TempDir();    // a fresh directory under TEST_TMPDIR
std::string SharedDir();  // $XDS_SHARED or "" when the reference material is absent
std::string ReadFile(const std::string& path);
std::string FreshOid();  // a unique OID under 2.25 for uniqueIds
std::string ReplaceAll(std::string s, const std::string& from, const std::string& to);

// Validates `xml` (an element serialised alone) against an official XSD under
// $XDS_SHARED/conformance/schemas/ihe-iti-info/schema/, e.g. "ebRS/rs.xsd". Returns
// xmllint's complaint, or "" when valid (and when XDS_SHARED is absent: callers skip).
std::string SchemaErrors(const std::string& xml, const std::string& xsd);

// The first element of the SOAP Body of `envelope`, serialised; "" when there is none.
std::string BodyElement(const std::string& envelope, pugi::xml_document* doc = nullptr);

struct RegistryResult {
  std::string status;              // ResponseStatusType URN's last segment: Success, Failure, ...
  std::vector<std::string> codes;  // errorCode of each RegistryError
  std::string body;                // the response body element
};
RegistryResult ParseRegistryResult(const std::string& envelope);

}  // namespace xds::testing

#endif  // XDS_TESTS_E2E_SUPPORT_H_
