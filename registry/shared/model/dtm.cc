#include "registry/shared/model/dtm.h"

#include "absl/strings/ascii.h"

namespace xds {
namespace {

// -1 unless `digits` are all decimal digits.
int Number(std::string_view digits) {
  int n = 0;
  for (char c : digits) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return -1;
    n = n * 10 + (c - '0');
  }
  return n;
}

int DaysInMonth(int year, int month) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month == 2 && ((year % 4 == 0 && year % 100 != 0) || year % 400 == 0)) return 29;
  return kDays[month - 1];
}

}  // namespace

bool IsDtm(std::string_view v) {
  const size_t n = v.size();
  if (n < 4 || n > 14 || n % 2 != 0) return false;
  for (size_t i = 0; i < n; i += 2) {
    if (Number(v.substr(i, 2)) < 0) return false;
  }
  const int year = Number(v.substr(0, 4));
  int month = 1;
  if (n >= 6) {
    month = Number(v.substr(4, 2));
    if (month < 1 || month > 12) return false;
  }
  if (n >= 8) {
    const int day = Number(v.substr(6, 2));
    if (day < 1 || day > DaysInMonth(year, month)) return false;
  }
  if (n >= 10 && Number(v.substr(8, 2)) > 23) return false;
  if (n >= 12 && Number(v.substr(10, 2)) > 59) return false;
  if (n >= 14 && Number(v.substr(12, 2)) > 59) return false;
  return true;
}

std::string NormalizeDtm(std::string_view v) {
  if (!IsDtm(v)) return "";
  static constexpr char kPad[] = "00000101000000";  // YYYY MM DD hh mm ss
  std::string out(v);
  out.append(kPad + out.size());
  return out;
}

}  // namespace xds
