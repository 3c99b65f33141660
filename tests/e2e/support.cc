#include "tests/e2e/support.h"

#include <fcntl.h>
#include <unistd.h>

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "absl/strings/str_cat.h"

extern char** environ;

namespace xds::testing {

Process::Process(const std::string& binary, std::vector<std::string> args, const std::string& port_file,
                 const std::string& log_file) {
  std::filesystem::remove(port_file);
  args.insert(args.begin(), binary);
  args.push_back("--port_file=" + port_file);
  // Plain transport on loopback unless the test sets mutual TLS up itself.
  if (std::none_of(args.begin(), args.end(), [](const std::string& a) { return a.rfind("--tls_", 0) == 0; })) {
    args.push_back("--insecure");
  }
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  if (!log_file.empty()) {
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, log_file.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  }
  int spawned = posix_spawn(&pid_, binary.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (spawned != 0) {
    pid_ = -1;
    return;
  }
  for (int i = 0; i < 300; ++i) {
    std::ifstream in(port_file);
    if (in >> http_port_ >> grpc_port_) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

Process::~Process() { Kill(); }

bool Process::Stop(std::chrono::milliseconds grace) {
  if (pid_ <= 0) return true;
  kill(pid_, SIGTERM);
  const auto deadline = std::chrono::steady_clock::now() + grace;
  while (std::chrono::steady_clock::now() < deadline) {
    if (waitpid(pid_, nullptr, WNOHANG) == pid_) {
      pid_ = -1;
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  Kill();
  return false;
}

void Process::Kill() {
  if (pid_ <= 0) return;
  kill(pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

bool Process::Running() { return pid_ > 0 && waitpid(pid_, nullptr, WNOHANG) == 0; }

std::string TempDir() {
  static std::atomic<int> counter{0};
  const char* base = std::getenv("TEST_TMPDIR");
  std::string dir = absl::StrCat(base ? base : "/tmp", "/t", getpid(), "_", counter++);
  std::filesystem::create_directories(dir);
  return dir;
}

std::string SharedDir() {
  const char* env = std::getenv("XDS_SHARED");
  std::string dir = env ? env : "";
  if (dir.empty() || !std::filesystem::exists(dir + "/conformance")) return "";
  return dir;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string FreshOid() {
  static std::atomic<int> counter{0};
  auto now = std::chrono::system_clock::now().time_since_epoch().count();
  return absl::StrCat("2.25.", static_cast<unsigned long long>(now) % 1000000000000ull, getpid(), ".", ++counter);
}

std::string ReplaceAll(std::string s, const std::string& from, const std::string& to) {
  for (size_t pos = s.find(from); pos != std::string::npos; pos = s.find(from, pos + to.size())) {
    s.replace(pos, from.size(), to);
  }
  return s;
}

std::string SchemaErrors(const std::string& xml, const std::string& xsd) {
  std::string shared = SharedDir();
  if (shared.empty()) return "";
  std::string dir = TempDir();
  std::string file = dir + "/message.xml";
  std::ofstream(file, std::ios::binary) << xml;
  std::string out = dir + "/xmllint.out";
  std::string cmd =
      absl::StrCat("XML_CATALOG_FILES=", shared, "/conformance/schemas/catalog.xml xmllint --noout --nonet --schema ",
                   shared, "/conformance/schemas/ihe-iti-info/schema/", xsd, " ", file, " >", out, " 2>&1");
  int rc = std::system(cmd.c_str());
  return rc == 0 ? "" : ReadFile(out);
}

std::string BodyElement(const std::string& envelope, pugi::xml_document* doc) {
  pugi::xml_document local;
  pugi::xml_document& d = doc ? *doc : local;
  if (!d.load_string(envelope.c_str())) return "";
  pugi::xml_node body;
  for (pugi::xml_node n : d.document_element().children()) {
    std::string name = n.name();
    if (name.size() >= 4 && name.substr(name.size() - 4) == "Body") body = n;
  }
  for (pugi::xml_node n : body.children()) {
    if (n.type() != pugi::node_element) continue;
    // Carry the namespace declarations in scope so the element stands alone.
    pugi::xml_document alone;
    pugi::xml_node copy = alone.append_copy(n);
    for (pugi::xml_node p = n.parent(); p; p = p.parent()) {
      for (pugi::xml_attribute a : p.attributes()) {
        std::string an = a.name();
        if (an.rfind("xmlns", 0) == 0 && !copy.attribute(an.c_str())) copy.append_attribute(an.c_str()) = a.value();
      }
    }
    std::ostringstream out;
    alone.save(out, "", pugi::format_raw | pugi::format_no_declaration);
    return out.str();
  }
  return "";
}

RegistryResult ParseRegistryResult(const std::string& envelope) {
  RegistryResult result;
  result.body = BodyElement(envelope);
  pugi::xml_document doc;
  if (!doc.load_string(result.body.c_str())) return result;
  std::string status = doc.document_element().attribute("status").value();
  result.status = status.substr(status.rfind(':') + 1);
  for (pugi::xpath_node n : doc.select_nodes("//*[local-name()='RegistryError']")) {
    result.codes.push_back(n.node().attribute("errorCode").value());
  }
  return result;
}

}  // namespace xds::testing
