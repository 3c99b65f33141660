// A small stand-in for libFuzzer so fuzz targets also run under g++ with
// -fsanitize=address,undefined (no clang needed). It is not coverage-guided: it runs the
// seed corpus, then mutates corpus entries (bit flips, byte edits, insertions, deletions,
// chunk copies, dictionary tokens, splices) for a time budget, deterministically for a
// given -seed. Flags follow libFuzzer's spelling so scripts can drive either engine:
//
//   standalone_main [-max_total_time=S] [-seed=N] [-max_len=N] [-timeout=S]
//                   [-dict=FILE] [-artifact_prefix=DIR/] [-runs=N] CORPUS_DIR_OR_FILE...
//
// With only files given (no directory) it just runs them once (reproducing a crash).
// The crashing input is written to <artifact_prefix>crash-<hash> when a sanitizer
// reports, the target aborts, a signal kills it or an input runs longer than -timeout.
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);
// Present only when linked with a sanitizer runtime.
extern "C" void __sanitizer_set_death_callback(void (*callback)(void)) __attribute__((weak));

// g++ links UBSan as its own runtime with its own death callbacks, so UBSan reports reach
// the driver through abort() and the SIGABRT handler below instead. UBSAN_OPTIONS given
// in the environment still override this.
extern "C" const char* __ubsan_default_options() { return "abort_on_error=1:print_stacktrace=1"; }

namespace {

// The input under test, kept where the crash handlers can reach it without allocating.
std::string g_current;
std::string g_artifact_prefix = "./";
volatile sig_atomic_t g_saved = 0;

void SaveCurrentInput(const char* kind) {
  if (g_saved) return;
  g_saved = 1;
  uint64_t hash = 1469598103934665603ull;  // FNV-1a: names the file after the content
  for (unsigned char c : g_current) hash = (hash ^ c) * 1099511628211ull;
  char name[4096];
  static const char kHex[] = "0123456789abcdef";
  size_t n = 0;
  for (char c : g_artifact_prefix) {
    if (n < sizeof(name) - 64) name[n++] = c;
  }
  for (const char* k = kind; *k; ++k) name[n++] = *k;
  name[n++] = '-';
  for (int shift = 60; shift >= 0; shift -= 4) name[n++] = kHex[(hash >> shift) & 15];
  name[n] = '\0';
  int fd = open(name, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd >= 0) {
    size_t off = 0;
    while (off < g_current.size()) {
      ssize_t w = write(fd, g_current.data() + off, g_current.size() - off);
      if (w <= 0) break;
      off += static_cast<size_t>(w);
    }
    close(fd);
  }
  const char msg[] = "\n==standalone fuzz driver== input saved to ";
  (void)!write(2, msg, sizeof(msg) - 1);
  (void)!write(2, name, n);
  (void)!write(2, "\n", 1);
}

void OnDeath() { SaveCurrentInput("crash"); }

void OnSignal(int sig) {
  SaveCurrentInput(sig == SIGALRM ? "timeout" : "crash");
  if (sig == SIGALRM) {
    const char msg[] = "==standalone fuzz driver== an input exceeded -timeout\n";
    (void)!write(2, msg, sizeof(msg) - 1);
    _exit(70);
  }
  signal(sig, SIG_DFL);
  raise(sig);
}

struct Options {
  double max_total_time = 10;
  uint64_t seed = 1;
  size_t max_len = 4096;
  unsigned timeout = 10;
  long runs = -1;
  std::string dict;
  std::vector<std::string> paths;
};

bool ReadFile(const std::string& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream buffer;
  buffer << in.rdbuf();
  *out = buffer.str();
  return true;
}

bool IsDirectory(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

void ListFiles(const std::string& dir, std::vector<std::string>* files) {
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return;
  std::vector<std::string> names;
  while (dirent* e = readdir(d)) {
    std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    std::string path = dir + "/" + name;
    if (IsDirectory(path)) continue;
    names.push_back(path);
  }
  closedir(d);
  std::sort(names.begin(), names.end());  // deterministic order for a given seed
  files->insert(files->end(), names.begin(), names.end());
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// libFuzzer/AFL dictionary format: [name=]"token" with \\, \" and \xNN escapes; # comments.
std::vector<std::string> ReadDictionary(const std::string& path) {
  std::vector<std::string> tokens;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    size_t open = line.find('"');
    size_t close = line.rfind('"');
    if (line.empty() || line[0] == '#' || open == std::string::npos || close <= open) continue;
    std::string token;
    for (size_t i = open + 1; i < close; ++i) {
      if (line[i] == '\\' && i + 1 < close) {
        char e = line[i + 1];
        if (e == 'x' && i + 3 < close && HexDigit(line[i + 2]) >= 0 && HexDigit(line[i + 3]) >= 0) {
          token.push_back(static_cast<char>(HexDigit(line[i + 2]) * 16 + HexDigit(line[i + 3])));
          i += 3;
        } else {
          token.push_back(e);
          i += 1;
        }
      } else {
        token.push_back(line[i]);
      }
    }
    if (!token.empty()) tokens.push_back(token);
  }
  return tokens;
}

class Mutator {
 public:
  Mutator(uint64_t seed, size_t max_len, std::vector<std::string> dict)
      : rng_(seed), max_len_(max_len), dict_(std::move(dict)) {}

  size_t Below(size_t n) { return n == 0 ? 0 : std::uniform_int_distribution<size_t>(0, n - 1)(rng_); }

  void Mutate(std::string* s, const std::vector<std::string>& corpus) {
    size_t count = 1 + Below(size_t{1} << Below(4));  // mostly few edits, sometimes up to 8
    for (size_t i = 0; i < count; ++i) MutateOnce(s, corpus);
    if (s->size() > max_len_) s->resize(max_len_);
  }

 private:
  void MutateOnce(std::string* s, const std::vector<std::string>& corpus) {
    static const char kInteresting[] = {'\0', '\xff', '\r', '\n', '-', '"', '<',  '>',    '%', ';',
                                        '=',  ' ',    '\t', '/',  ':', '&', '\\', '\x80', 'A', '0'};
    switch (Below(10)) {
      case 0:  // flip a bit
        if (!s->empty()) (*s)[Below(s->size())] ^= static_cast<char>(1 << Below(8));
        break;
      case 1:  // random byte
        if (!s->empty()) (*s)[Below(s->size())] = static_cast<char>(Below(256));
        break;
      case 2:  // interesting byte
        if (!s->empty()) (*s)[Below(s->size())] = kInteresting[Below(sizeof(kInteresting))];
        break;
      case 3: {  // insert bytes
        std::string bytes(1 + Below(4), '\0');
        for (char& c : bytes) c = Below(2) ? static_cast<char>(Below(256)) : kInteresting[Below(sizeof(kInteresting))];
        s->insert(Below(s->size() + 1), bytes);
        break;
      }
      case 4:  // delete a range
        if (!s->empty()) {
          size_t pos = Below(s->size());
          s->erase(pos, 1 + Below(std::min<size_t>(s->size() - pos, 64)));
        }
        break;
      case 5:  // copy a chunk elsewhere (repeats structure: more parts, deeper nesting)
        if (!s->empty()) {
          size_t pos = Below(s->size());
          size_t len = 1 + Below(std::min<size_t>(s->size() - pos, 256));
          std::string chunk = s->substr(pos, len);
          s->insert(Below(s->size() + 1), chunk);
        }
        break;
      case 6:  // insert a dictionary token
      case 7:  // overwrite with a dictionary token
        if (!dict_.empty()) {
          const std::string& token = dict_[Below(dict_.size())];
          size_t pos = Below(s->size() + 1);
          if (Below(2) == 0 || pos + token.size() > s->size()) {
            s->insert(pos, token);
          } else {
            s->replace(pos, token.size(), token);
          }
        }
        break;
      case 8:  // splice with another corpus entry
        if (!corpus.empty()) {
          const std::string& other = corpus[Below(corpus.size())];
          size_t cut = Below(s->size() + 1);
          size_t from = Below(other.size() + 1);
          *s = s->substr(0, cut) + other.substr(from);
        }
        break;
      case 9:  // truncate
        if (!s->empty()) s->resize(Below(s->size()));
        break;
    }
  }

  std::mt19937_64 rng_;
  size_t max_len_;
  std::vector<std::string> dict_;
};

void RunOne(const std::string& input, unsigned timeout) {
  g_current = input;
  if (timeout > 0) alarm(timeout);
  LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(g_current.data()), g_current.size());
  if (timeout > 0) alarm(0);
}

bool ParseFlag(const std::string& arg, const char* name, std::string* value) {
  std::string prefix = std::string("-") + name + "=";
  if (arg.compare(0, prefix.size(), prefix) != 0) return false;
  *value = arg.substr(prefix.size());
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  // Under `bazel test`, crash inputs land in the test's undeclared outputs.
  if (const char* outputs = std::getenv("TEST_UNDECLARED_OUTPUTS_DIR")) g_artifact_prefix = std::string(outputs) + "/";
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i], value;
    if (ParseFlag(arg, "max_total_time", &value)) {
      options.max_total_time = std::atof(value.c_str());
    } else if (ParseFlag(arg, "seed", &value)) {
      options.seed = std::strtoull(value.c_str(), nullptr, 10);
    } else if (ParseFlag(arg, "max_len", &value)) {
      options.max_len = std::strtoull(value.c_str(), nullptr, 10);
    } else if (ParseFlag(arg, "timeout", &value)) {
      options.timeout = static_cast<unsigned>(std::atoi(value.c_str()));
    } else if (ParseFlag(arg, "runs", &value)) {
      options.runs = std::atol(value.c_str());
    } else if (ParseFlag(arg, "dict", &value)) {
      options.dict = value;
    } else if (ParseFlag(arg, "artifact_prefix", &value)) {
      g_artifact_prefix = value;
    } else if (!arg.empty() && arg[0] == '-') {
      std::cerr << "standalone fuzz driver: ignoring unknown flag " << arg << "\n";
    } else {
      options.paths.push_back(arg);
    }
  }

  if (__sanitizer_set_death_callback != nullptr) __sanitizer_set_death_callback(OnDeath);
  signal(SIGABRT, OnSignal);
  signal(SIGALRM, OnSignal);
  signal(SIGFPE, OnSignal);
  signal(SIGILL, OnSignal);
  signal(SIGBUS, OnSignal);

  std::vector<std::string> files;
  bool any_directory = false;
  for (const std::string& path : options.paths) {
    if (IsDirectory(path)) {
      any_directory = true;
      ListFiles(path, &files);
    } else {
      files.push_back(path);
    }
  }

  std::vector<std::string> corpus;
  for (const std::string& file : files) {
    std::string content;
    if (!ReadFile(file, &content)) {
      std::cerr << "standalone fuzz driver: cannot read " << file << "\n";
      return 2;
    }
    RunOne(content, options.timeout);
    corpus.push_back(std::move(content));
  }
  std::cerr << "standalone fuzz driver: ran " << corpus.size() << " seed inputs\n";
  if (!any_directory && !options.paths.empty()) return 0;  // reproduce mode
  if (corpus.empty()) corpus.push_back("");

  std::vector<std::string> dict;
  if (!options.dict.empty()) {
    dict = ReadDictionary(options.dict);
    std::cerr << "standalone fuzz driver: " << dict.size() << " dictionary tokens\n";
  }
  Mutator mutator(options.seed, options.max_len, dict);
  const size_t seeds = corpus.size();
  auto start = std::chrono::steady_clock::now();
  auto last_report = start;
  long executions = 0;
  while (options.runs < 0 || executions < options.runs) {
    if ((executions & 63) == 0) {
      auto now = std::chrono::steady_clock::now();
      double elapsed = std::chrono::duration<double>(now - start).count();
      if (options.runs < 0 && elapsed >= options.max_total_time) break;
      if (std::chrono::duration<double>(now - last_report).count() >= 5) {
        std::cerr << "#" << executions << " pool: " << corpus.size()
                  << " exec/s: " << static_cast<long>(executions / (elapsed > 0 ? elapsed : 1)) << "\n";
        last_report = now;
      }
    }
    std::string input = corpus[mutator.Below(corpus.size())];
    mutator.Mutate(&input, corpus);
    RunOne(input, options.timeout);
    ++executions;
    // Without coverage feedback, keep a bounded random sample of mutants so that
    // mutations can stack up over time; the seeds always stay in the pool.
    if (mutator.Below(32) == 0) {
      if (corpus.size() < seeds + 1024) {
        corpus.push_back(std::move(input));
      } else {
        corpus[seeds + mutator.Below(1024)] = std::move(input);
      }
    }
  }
  double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::cerr << "standalone fuzz driver: done, " << executions << " executions in " << elapsed << " s, no crash\n";
  return 0;
}
