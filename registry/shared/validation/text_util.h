// Small string helpers on std::string_view. Debian's Abseil is built with its own
// absl::string_view (ABSL_OPTION_USE_STD_STRING_VIEW 0), so absl::StrCat/StrSplit do not
// accept std::string_view; these keep the validator on the standard type.
#ifndef XDS_REGISTRY_SHARED_VALIDATION_TEXT_UTIL_H_
#define XDS_REGISTRY_SHARED_VALIDATION_TEXT_UTIL_H_

#include <cstddef>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace xds::validation {

inline void AppendPiece(std::string* out, std::string_view piece) { out->append(piece); }

template <typename T, std::enable_if_t<std::is_integral_v<T> && !std::is_same_v<T, char>, int> = 0>
void AppendPiece(std::string* out, T number) {
  out->append(std::to_string(number));
}

// Concatenates strings and integers.
template <typename... Args>
std::string Cat(const Args&... args) {
  std::string out;
  (AppendPiece(&out, args), ...);
  return out;
}

// Splits on every occurrence of `delimiter`; empty pieces are kept ("a..b" -> a, "", b).
inline std::vector<std::string_view> Split(std::string_view text, std::string_view delimiter) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (true) {
    const size_t at = delimiter.empty() ? std::string_view::npos : text.find(delimiter, start);
    if (at == std::string_view::npos) {
      out.push_back(text.substr(start));
      return out;
    }
    out.push_back(text.substr(start, at - start));
    start = at + delimiter.size();
  }
}

inline bool StartsWith(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

template <typename Container>
std::string Join(const Container& pieces, std::string_view separator) {
  std::string out;
  bool first = true;
  for (const auto& piece : pieces) {
    if (!first) out.append(separator);
    out.append(std::string_view(piece));
    first = false;
  }
  return out;
}

// Non-negative decimal integer without sign or spaces; false on anything else or overflow.
template <typename T>
bool ParseUnsigned(std::string_view text, T* out) {
  if (text.empty() || text.size() > 9) return false;
  T value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + static_cast<T>(c - '0');
  }
  *out = value;
  return true;
}

}  // namespace xds::validation

#endif  // XDS_REGISTRY_SHARED_VALIDATION_TEXT_UTIL_H_
