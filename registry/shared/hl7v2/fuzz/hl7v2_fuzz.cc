// Fuzz target for the MLLP framer and the HL7 v2 parser of the patient identity feed
// (ITI-8). The input is a connection's byte stream, cut into reads at the positions the
// first byte chooses. Besides "no crash, no sanitizer report" it checks properties:
//  * the framer never holds more than its limit;
//  * a frame handed out, re-framed and fed again, comes back the same;
//  * every parsed message's ACK parses and echoes its control id in MSA-2;
//  * Unescape(Escape(v)) == v for every value read.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "registry/shared/hl7v2/hl7v2.h"
#include "registry/shared/hl7v2/mllp.h"

namespace {

void Check(bool condition, const char* what) {
  if (!condition) {
    std::fprintf(stderr, "hl7v2_fuzz: property violated: %s\n", what);
    std::abort();
  }
}

void CheckMessage(const std::string& frame) {
  xds::hl7v2::Limits limits;
  limits.max_message_bytes = 16384;
  limits.max_segments = 64;
  limits.max_fields_per_segment = 64;
  auto message = xds::hl7v2::Parse(frame, limits);
  if (!message.ok()) return;
  Check(!message->segments().empty() && message->segments()[0].id() == "MSH", "MSH first");
  for (const auto& segment : message->segments()) {
    Check(segment.fields.size() <= limits.max_fields_per_segment, "field limit");
    for (size_t f = 1; f < segment.fields.size() && f < 8; ++f) {
      std::string value = message->Value(segment.Field(f), 0, 1, 1);
      std::string plain;
      for (char c : value) {
        if (c != '\r' && c != '\n') plain += c;
      }
      Check(message->Unescape(message->Escape(plain)) == plain, "escape round trip");
    }
  }
  std::string ack = xds::hl7v2::MakeAck(&*message, xds::hl7v2::kError, {xds::hl7v2::kErrUnknownKey, frame, "PID", 3},
                                        "FUZZ", "20260101000000");
  auto parsed = xds::hl7v2::Parse(ack);
  Check(parsed.ok(), "the ACK parses");
  const xds::hl7v2::Segment* msa = parsed->Find("MSA");
  Check(msa != nullptr, "the ACK has MSA");
  std::string echoed = parsed->Value(msa->Field(2));
  std::string expected;
  for (char c : message->ControlId()) {
    if (c != '\r' && c != '\n') expected += c;
  }
  Check(echoed == expected, "MSA-2 echoes MSH-10");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const size_t step = 1 + data[0] % 64;
  std::string input(reinterpret_cast<const char*>(data) + 1, size - 1);
  constexpr size_t kMax = 4096;
  xds::hl7v2::MllpFramer framer(kMax);
  std::vector<std::string> frames;
  for (size_t at = 0; at < input.size(); at += step) {
    if (!framer.Feed(std::string_view(input).substr(at, step), &frames)) break;
    Check(framer.buffered() <= kMax, "framer limit");
  }
  for (const std::string& frame : frames) {
    Check(frame.size() <= kMax, "frame limit");
    xds::hl7v2::MllpFramer again(kMax);
    std::vector<std::string> back;
    Check(again.Feed(xds::hl7v2::Frame(frame), &back) && back.size() == 1 && back[0] == frame, "frame round trip");
    CheckMessage(frame);
  }
  // The parser on its own too: most inputs are not framed.
  CheckMessage(input.substr(0, 16384));
  return 0;
}
