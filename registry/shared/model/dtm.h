// HL7 DTM, the XDS time type (ITI TF-3 Table 4.2.3.1.7-2): YYYY[MM[DD[hh[mm[ss]]]]] in UTC.
// One normaliser for the validator, the stored-query parameters and the store's columns.
#ifndef XDS_REGISTRY_SHARED_MODEL_DTM_H_
#define XDS_REGISTRY_SHARED_MODEL_DTM_H_

#include <string>
#include <string_view>

namespace xds {

// Digits only, an even length of 4 to 14, each field in its range (leap years included).
bool IsDtm(std::string_view v);

// Right-pads a DTM to 14 digits (month/day "01", time "00") so that string comparison is
// chronological; "" when `v` is not a DTM (including "").
std::string NormalizeDtm(std::string_view v);

}  // namespace xds

#endif  // XDS_REGISTRY_SHARED_MODEL_DTM_H_
