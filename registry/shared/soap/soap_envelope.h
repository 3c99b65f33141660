// SOAP 1.2 + WS-Addressing at the edge of both services: turns an HTTP request (plain
// application/soap+xml or MTOM multipart/related) into the body element and its action,
// answers SOAP/WS-A level problems with SOAP 1.2 Faults, and wraps response bodies.
#ifndef XDS_REGISTRY_SHARED_SOAP_SOAP_ENVELOPE_H_
#define XDS_REGISTRY_SHARED_SOAP_SOAP_ENVELOPE_H_

#include <string>
#include <string_view>
#include <vector>

#include <pugixml.hpp>

#include "absl/status/status.h"
#include "registry/shared/mime/mime_multipart.h"
#include "registry/shared/net/http_server.h"

namespace xds::soap {

struct Limits {
  size_t max_xml_depth = 64;        // element nesting; ebRIM needs about 10
  size_t max_elements = 2'000'000;  // all elements of the envelope
};

// A SOAP 1.2 Fault (SOAP 1.2 Part 1 §5.4). `code` is Sender, Receiver, VersionMismatch or
// MustUnderstand; `subcode` an optional qualified name such as a:ActionNotSupported (prefix a = WS-Addressing).
struct Fault {
  std::string code;
  std::string subcode;
  std::string reason;
  // The namespace of the subcode's prefix when it is not a: (declared on the Fault), e.g.
  // the WS-Security namespace for wsse:FailedCheck.
  std::string subcode_namespace;
};

// WS-Security 1.0 (OASIS 200401), the namespace of wsse:Security and its fault codes.
inline constexpr char kWsseNs[] = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd";
inline constexpr char kSaml2Ns[] = "urn:oasis:names:tc:SAML:2.0:assertion";

// The wsse:Security header block of a request (XUA, ITI-40), as found by ParseRequest. Its
// verification is xua::Check's (registry/shared/xua/check.h).
struct SecurityHeader {
  bool present = false;
  bool must_understand = false;
  // Each saml2:Assertion directly under wsse:Security, as its exact bytes from the request
  // (signatures are over them) with the namespace declarations in scope at the Assertion
  // added to its start tag, so that it parses on its own. One entry per Assertion: more than
  // one is refused by xua::Check.
  std::vector<std::string> assertions;
  // Set when an Assertion could not be cut out of the request text (e.g. the envelope was
  // not UTF-8): xua::Check refuses it.
  bool unreadable = false;
};

struct Request {
  pugi::xml_document document;
  pugi::xml_node body_element;  // first element child of soap:Body
  std::string action;           // wsa:Action, trimmed
  std::string message_id;       // wsa:MessageID (may be empty)
  SecurityHeader security;      // wsse:Security, understood here even when mustUnderstand
  bool mtom = false;
  mime::Multipart multipart;  // MTOM parts; views into the HTTP body, which must outlive this
};

// Parses and checks an envelope. Returns false and fills `fault` when the message is not a
// well-formed SOAP 1.2 envelope, exceeds `limits`, lacks wsa:Action, or carries a
// mustUnderstand header block this service does not understand (wsse:Security is understood:
// its Assertions go to `request->security` for xua::Check).
bool ParseRequest(const http::Request& http_request, const Limits& limits, Request* request, Fault* fault);

// A response envelope under construction: append the body element under body().
class ResponseEnvelope {
 public:
  ResponseEnvelope(std::string_view action, std::string_view relates_to);
  pugi::xml_node body() { return body_; }
  // The Body's content as XML text instead of elements under body() (which must then stay
  // empty): large answers are written as text, never built as a tree.
  void SetBodyXml(std::string xml) { body_xml_ = std::move(xml); }
  std::string Serialize() const;

 private:
  pugi::xml_document document_;
  pugi::xml_node body_;
  std::string body_xml_;
  std::string action_;
};

// HTTP response for an envelope: plain SOAP, or MTOM (root part only) when `mtom`.
http::Response MakeResponse(const ResponseEnvelope& envelope, std::string_view action, bool mtom);
http::Response MakeFaultResponse(const Fault& fault, std::string_view relates_to);
// A service's refusal of the caller (its node lacks the right): a Sender Fault whose
// reason is the status message, which the gate wrote for the caller.
http::Response RefusalFault(const absl::Status& refusal, std::string_view relates_to);

}  // namespace xds::soap

#endif  // XDS_REGISTRY_SHARED_SOAP_SOAP_ENVELOPE_H_
