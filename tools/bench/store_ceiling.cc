// Ceilings for the repository benchmark, measured on this machine in the same run:
//   write SIZE SECONDS DIR - the same bytes written as the document store does it (temp file,
//                            write, fsync, rename, directory fsync), one document after another;
//   sha1 SIZE SECONDS      - SHA-1 over a SIZE-byte buffer (OpenSSL EVP), MiB/s.
#include <fcntl.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace {

double Now() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: store_ceiling write SIZE SECONDS DIR | sha1 SIZE SECONDS\n");
    return 2;
  }
  std::string mode = argv[1];
  size_t size = std::strtoull(argv[2], nullptr, 10);
  double seconds = std::atof(argv[3]);
  std::string data(size, 'x');
  long n = 0;
  double start = Now();
  if (mode == "write") {
    std::string dir = argv[4];
    int dirfd = open(dir.c_str(), O_RDONLY | O_DIRECTORY);
    while (Now() - start < seconds) {
      std::snprintf(data.data(), data.size() < 32 ? data.size() : 32, "%031ld", n);
      std::string tmp = dir + "/tmp." + std::to_string(n), final = dir + "/doc." + std::to_string(n);
      int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      for (size_t off = 0; off < size;) {
        ssize_t w = write(fd, data.data() + off, size - off);
        if (w <= 0) return 1;
        off += static_cast<size_t>(w);
      }
      fsync(fd);
      close(fd);
      rename(tmp.c_str(), final.c_str());
      fsync(dirfd);
      ++n;
    }
    close(dirfd);
  } else {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len;
    while (Now() - start < seconds) {
      EVP_Digest(data.data(), data.size(), md, &len, EVP_sha1(), nullptr);
      ++n;
    }
  }
  double elapsed = Now() - start;
  std::printf("RESULT docs_per_s=%.0f mib_per_s=%.0f\n", n / elapsed, n * (size / 1048576.0) / elapsed);
  return 0;
}
