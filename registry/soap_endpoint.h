// The registry's SOAP 1.2 endpoint (/xds/registry): ITI-42 and ITI-18 by wsa:Action.
#ifndef XDS_REGISTRY_SOAP_ENDPOINT_H_
#define XDS_REGISTRY_SOAP_ENDPOINT_H_

#include "registry/registry.h"
#include "registry/shared/net/http_server.h"
#include "registry/shared/soap/soap_envelope.h"
#include "registry/shared/xua/assertion.h"

namespace xds {

struct EndpointLimits {
  soap::Limits xml;
  size_t max_registry_objects = 10'000;  // objects in one SubmitObjectsRequest
  // LeafClass stored queries answered at once; further ones wait in arrival order
  // (fifo_gate.h). ObjectRef queries are not held: their answers are short, and the extra
  // sleep and wake-up cost them 7-20 % of their throughput when they were.
  int leaf_class_slots = 4;
  const xua::Verifier* xua = nullptr;  // XUA assertions (service::LoadXua); required
};

http::Handler MakeRegistrySoapHandler(Registry* registry, EndpointLimits limits);

}  // namespace xds

#endif  // XDS_REGISTRY_SOAP_ENDPOINT_H_
