// ATNA Record Audit Event (ITI-20): an AuditEvent of the trail as a DICOM PS3.15 A.5
// AuditMessage, with the event codes, active participants and participant objects the IHE
// ITI TF-2 audit tables give for each transaction (ITI-18 3.18.5.1, ITI-41 3.41.5.1,
// ITI-42 3.42.5.1, ITI-43 3.43.5.1), and its RFC 5424 syslog framing (RFC 5425 over TLS,
// RFC 5426 over UDP).
//
// Every string of an event is untrusted (user ids from assertions, patient ids, query
// values): pugixml escapes it in the XML, and the syslog header carries none of it.
#ifndef XDS_REGISTRY_SHARED_AUDIT_ATNA_MESSAGE_H_
#define XDS_REGISTRY_SHARED_AUDIT_ATNA_MESSAGE_H_

#include <string>
#include <string_view>

#include "proto/audit.pb.h"

namespace xds::audit {

// The node that reports: the same for every message of one service.
struct AuditSource {
  // AuditSourceIdentification/@AuditSourceID; empty: the event's `service`.
  std::string source_id;
  // AuditSourceIdentification/@AuditEnterpriseSiteID (e.g. the affinity domain's OID).
  std::string enterprise_site_id;
  // The service's SOAP endpoint URI: the UserID of its own active participant when the
  // event does not name the endpoint the request reached.
  std::string endpoint;
  // The service's host name or IP address: its NetworkAccessPointID, and the syslog HOSTNAME.
  std::string host;
  // AlternativeUserID of the service's participant (the TF asks for its process id) and the
  // syslog PROCID; empty: this process's id.
  std::string process_id;
  // Syslog APP-NAME; empty: the event's `service`.
  std::string app_name;
  // Writes the XUA purpose of use as EventIdentification/PurposeOfUse (IHE XUA,
  // ITI TF-2 3.40.4.2). Off by default: the edition of the DICOM schema in
  // xds-schemas/dicom has no such element, and a receiver that validates against it would
  // reject the message (see that directory's README).
  bool purpose_of_use_element = false;
};

// The AuditMessage document (UTF-8, with an XML declaration, no indentation).
std::string ToAuditMessage(const AuditEvent& event, const AuditSource& source);

// The RFC 5424 message around `xml`: "<85>1 TIMESTAMP HOSTNAME APP-NAME PROCID IHE+RFC-3881
// - " followed by the XML (no BOM, as ITI-20 asks). PRI 85 is facility authpriv (10),
// severity notice (5). Header fields are reduced to printable US-ASCII and cut to RFC 5424's
// lengths, so no event content can break the framing; the XML is framed by its length (TLS)
// or by its datagram (UDP), so nothing inside it can split a message either.
std::string SyslogMessage(const AuditEvent& event, const AuditSource& source, std::string_view xml);

// RFC 5425 octet counting for a TLS stream: "LEN SP MSG".
std::string OctetCounted(std::string_view message);

}  // namespace xds::audit

#endif  // XDS_REGISTRY_SHARED_AUDIT_ATNA_MESSAGE_H_
