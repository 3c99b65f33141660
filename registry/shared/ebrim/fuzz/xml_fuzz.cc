// Fuzz target for the ebRIM/ebRS codec behind ITI-41/42/18: arbitrary bytes go to pugixml
// with the options the SOAP layer uses; whatever parses is handed to the request parsers
// (on the document element and on its element children, since ITI-41 wraps the
// SubmitObjectsRequest), and parsed submissions/queries are emitted again so the
// emitters see fuzzed model values too.
#include <cstdint>
#include <string>

#include <pugixml.hpp>

#include "registry/shared/ebrim/codec.h"

namespace {

void Exercise(const pugi::xml_node& element) {
  xds::ebrim::ParsedSubmission submission = xds::ebrim::ParseSubmitObjectsRequest(element);
  xds::ebrim::ParsedQuery query = xds::ebrim::ParseAdhocQueryRequest(element);

  pugi::xml_document out;
  xds::ebrim::AppendSubmitObjectsRequest(out, submission.submission);
  xds::ebrim::AppendRegistryErrorList(out, submission.errors);
  xds::ebrim::AppendAdhocQueryRequest(out, query.request);
  xds::ebrim::AppendRegistryErrorList(out, query.errors);
  struct Sink : pugi::xml_writer {
    size_t bytes = 0;
    void write(const void*, size_t size) override { bytes += size; }
  } sink;
  out.save(sink, "", pugi::format_raw);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 256 * 1024) return 0;  // the SOAP layer's limits, not the codec, bound big inputs
  std::string input(reinterpret_cast<const char*>(data), size);
  pugi::xml_document document;
  pugi::xml_parse_result result =
      document.load_buffer(input.data(), input.size(), pugi::parse_default | pugi::parse_ws_pcdata_single);
  if (!result) return 0;
  pugi::xml_node root = document.document_element();
  if (!root) return 0;
  Exercise(root);
  int children = 0;
  for (pugi::xml_node child = root.first_child(); child && children < 4; child = child.next_sibling()) {
    if (child.type() != pugi::node_element) continue;
    Exercise(child);
    ++children;
  }
  return 0;
}
