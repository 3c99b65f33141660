// ITI-44 Patient Identity Feed HL7 v3 on the registry's SOAP endpoint (the SOAP action
// decides): PRPA_IN201301UV02 (add), PRPA_IN201302UV02 (revise) and PRPA_IN201304UV02
// (merge), each answered with MCCI_IN000002UV01 (schemas under HL7V3/NE2008, WSDL
// XDS.b_DocumentRegistry.wsdl). The message's identifiers go to Registry::PatientFeed like
// ITI-8's (registry/feed/README.md): patient/id (II root = the assigning authority's OID,
// extension = the id) and, for a merge, replacementOf/priorRegistration/subject1/
// priorRegisteredRole/id. Acknowledgement typeCode AA when processed; AE with an
// acknowledgementDetail (code 204 of HL7 table 0357, "unknown key identifier") when no
// identifier of the domain's authority is given or the id was merged away; AR for a body
// that is not the interaction its action names. A node without the feed right gets the
// SOAP Fault every refused transaction gets.
#ifndef XDS_REGISTRY_ITI44_ITI44_FEED_H_
#define XDS_REGISTRY_ITI44_ITI44_FEED_H_

#include <string_view>

#include "registry/registry.h"
#include "registry/shared/net/http_server.h"
#include "registry/shared/soap/soap_envelope.h"

namespace xds::iti44 {

inline constexpr char kActionAdd[] = "urn:hl7-org:v3:PRPA_IN201301UV02";
inline constexpr char kActionRevise[] = "urn:hl7-org:v3:PRPA_IN201302UV02";
inline constexpr char kActionMerge[] = "urn:hl7-org:v3:PRPA_IN201304UV02";
inline constexpr char kActionAcknowledgement[] = "urn:hl7-org:v3:MCCI_IN000002UV01";

bool IsFeedAction(std::string_view action);

http::Response HandleFeed(Registry& registry, const CallContext& context, const soap::Request& request);

}  // namespace xds::iti44

#endif  // XDS_REGISTRY_ITI44_ITI44_FEED_H_
