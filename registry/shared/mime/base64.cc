#include "registry/shared/mime/base64.h"

#include <openssl/evp.h>

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace xds {
namespace {

bool IsBase64Space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v'; }

// EVP_*Block take int lengths; work in chunks well below INT_MAX. The decode chunk is a
// multiple of 4 characters and the encode chunk a multiple of 3 bytes so chunk borders
// fall on quantum borders.
constexpr size_t kDecodeChunk = 4 * 256 * 1024;
constexpr size_t kEncodeChunk = 3 * 256 * 1024;

}  // namespace

absl::StatusOr<std::string> DecodeBase64(std::string_view encoded) {
  std::string compact;
  compact.reserve(encoded.size());
  for (char c : encoded) {
    if (!IsBase64Space(c)) compact.push_back(c);
  }
  if (compact.size() % 4 != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("base64: length ", compact.size(), " (without whitespace) is not a multiple of 4"));
  }
  // EVP_DecodeBlock decodes '=' as zero bits wherever it appears, so padding is checked here.
  size_t padding = 0;
  if (!compact.empty() && compact.back() == '=') {
    padding = (compact[compact.size() - 2] == '=') ? 2 : 1;
  }
  size_t first_equals = compact.find('=');
  if (first_equals != std::string::npos && first_equals != compact.size() - padding) {
    return absl::InvalidArgumentError(absl::StrCat("base64: misplaced '=' at character ", first_equals));
  }

  std::string out;
  out.resize(compact.size() / 4 * 3);
  size_t written = 0;
  for (size_t pos = 0; pos < compact.size(); pos += kDecodeChunk) {
    size_t n = std::min(kDecodeChunk, compact.size() - pos);
    int got = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(&out[written]),
                              reinterpret_cast<const unsigned char*>(compact.data() + pos), static_cast<int>(n));
    if (got < 0) {
      return absl::InvalidArgumentError(absl::StrCat("base64: invalid character in characters ", pos, "..", pos + n));
    }
    written += static_cast<size_t>(got);
  }
  out.resize(written - padding);
  return out;
}

std::string EncodeBase64(std::string_view data) {
  std::string out;
  // +1: EVP_EncodeBlock writes a terminating NUL after each chunk.
  out.resize((data.size() + 2) / 3 * 4 + 1);
  size_t written = 0;
  for (size_t pos = 0; pos < data.size(); pos += kEncodeChunk) {
    size_t n = std::min(kEncodeChunk, data.size() - pos);
    written += static_cast<size_t>(EVP_EncodeBlock(reinterpret_cast<unsigned char*>(&out[written]),
                                                   reinterpret_cast<const unsigned char*>(data.data() + pos),
                                                   static_cast<int>(n)));
  }
  out.resize(written);
  return out;
}

}  // namespace xds
