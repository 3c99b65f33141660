// Fuzz target: the ITI-41 request path from raw HTTP content to the parsed request
// (Content-Type + body -> SOAP/MTOM -> ProvideAndRegisterDocumentSetRequest). The first
// line of the input is the Content-Type header, the rest the body.
#include <cstddef>
#include <cstdint>
#include <string>

#include "registry/shared/ebrim/document_set_codec.h"
#include "registry/shared/soap/soap_envelope.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string input(reinterpret_cast<const char*>(data), size);
  size_t newline = input.find('\n');
  xds::http::Request http_request;
  http_request.method = "POST";
  http_request.target = "/xds/repository";
  http_request.content_type = input.substr(0, newline == std::string::npos ? input.size() : newline);
  http_request.body = newline == std::string::npos ? "" : input.substr(newline + 1);
  xds::soap::Request request;
  xds::soap::Fault fault;
  if (!xds::soap::ParseRequest(http_request, {}, &request, &fault)) return 0;
  xds::ProvideAndRegisterRequest parsed =
      xds::ebrim::ParseProvideAndRegisterRequest(request.body_element, request.multipart);
  size_t total = 0;
  for (const auto& [id, content] : parsed.documents) total += id.size() + content.size();
  return total == SIZE_MAX ? 1 : 0;
}
