// How registry and repository report what they refuse (ITI TF-3 4.2.4): a RegistryError of
// severity Error with a code of the table (xds-schemas/error_codes.tsv), and a Failure
// RegistryResponse carrying the errors.
#ifndef XDS_REGISTRY_SHARED_MODEL_ERRORS_H_
#define XDS_REGISTRY_SHARED_MODEL_ERRORS_H_

#include <string>
#include <vector>

#include "proto/xds_metadata.pb.h"
#include "xds-schemas/error_codes.h"

namespace xds {

RegistryError MakeError(ErrorCode code, std::string context, std::string location = "");
RegistryResponse FailureResponse(std::vector<RegistryError> errors);
RegistryResponse SuccessResponse();

inline bool HasCode(const RegistryError& error, ErrorCode code) { return error.code() == code.name; }

}  // namespace xds

#endif  // XDS_REGISTRY_SHARED_MODEL_ERRORS_H_
