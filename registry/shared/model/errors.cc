#include "registry/shared/model/errors.h"

namespace xds {

RegistryError MakeError(ErrorCode code, std::string context, std::string location) {
  RegistryError error;
  error.set_code(code.name);
  error.set_context(std::move(context));
  error.set_location(std::move(location));
  error.set_severity(ERROR);
  return error;
}

RegistryResponse FailureResponse(std::vector<RegistryError> errors) {
  RegistryResponse response;
  response.set_status(FAILURE);
  for (auto& e : errors) *response.add_errors() = std::move(e);
  return response;
}

RegistryResponse SuccessResponse() {
  RegistryResponse response;
  response.set_status(SUCCESS);
  return response;
}

}  // namespace xds
