// ITI-8 Patient Identity Feed (HL7 v2): one ADT message in, its ACK out. A01, A04, A05
// (admit, register, pre-admit) and A08 (update) admit the PID-3 identifier of the affinity
// domain's assigning authority; A40 merges MRG-1 into PID-3. Every message is one call of
// Registry::PatientFeed (authorisation and audit as for any transaction), or, when it
// cannot be read as such, an edge refusal recorded as ITI-8. Acknowledgements (original
// mode, MSA-2 = MSH-10):
//   AA  processed (also a repeated admit, and a merge whose ids are the same domain id);
//   AE  content the registry cannot act on: no identifier of the domain in PID-3 (ERR 204,
//       PID-3) or in MRG-1 (204, MRG-1), an id merged away (204), a missing PID or MRG
//       segment (101), the store unavailable (207);
//   AR  the message itself refused: not parsable (102), not ADT (200), another trigger
//       event (201), not HL7 v2.3.1–2.5.x (203), the node lacks the feed right (207).
#ifndef XDS_REGISTRY_ITI8_ITI8_FEED_H_
#define XDS_REGISTRY_ITI8_ITI8_FEED_H_

#include <string>
#include <string_view>

#include "registry/registry.h"
#include "registry/shared/hl7v2/hl7v2.h"
#include "registry/shared/service/call_context.h"

namespace xds::iti8 {

// The registry's name as MSH-3 of its ACKs.
inline constexpr char kReceivingApplication[] = "XDS_REGISTRY";

std::string HandleMessage(Registry& registry, CallContext context, std::string_view message,
                          const hl7v2::Limits& limits = hl7v2::Limits());

}  // namespace xds::iti8

#endif  // XDS_REGISTRY_ITI8_ITI8_FEED_H_
