#include "registry/shared/xua/assertion.h"

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/valid.h>
#include <openssl/rand.h>
#include <xmlsec/crypto.h>
#include <xmlsec/errors.h>
#include <xmlsec/keys.h>
#include <xmlsec/templates.h>
#include <xmlsec/xmldsig.h>
#include <xmlsec/xmlsec.h>
#include <xmlsec/xmltree.h>

#include <cstdio>
#include <mutex>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace xds::xua {
namespace {

constexpr char kSamlNs[] = "urn:oasis:names:tc:SAML:2.0:assertion";
constexpr char kDsigNs[] = "http://www.w3.org/2000/09/xmldsig#";
constexpr size_t kMaxAssertionBytes = 256 * 1024;

// Status codes carry the Refusal (see RefusalOf).
absl::Status Malformed(std::string_view why) { return absl::InvalidArgumentError(std::string(why)); }
absl::Status BadSignature(std::string_view why) { return absl::UnauthenticatedError(std::string(why)); }
absl::Status Untrusted(std::string_view why) { return absl::PermissionDeniedError(std::string(why)); }
absl::Status Conditions(std::string_view why) { return absl::FailedPreconditionError(std::string(why)); }

// xmlsec reports every failed check on stderr by default: a client sending bad assertions
// must not be able to fill the services' logs.
void QuietXmlsecErrors(const char*, int, const char*, const char*, const char*, int, const char*) {}
void QuietXmlErrors(void*, const char*, ...) {}

absl::Status Initialise() {
  static const absl::Status* status = [] {
    xmlInitParser();
    // libxml2's error function is per thread: also the default of threads made later.
    xmlSetGenericErrorFunc(nullptr, QuietXmlErrors);
    xmlThrDefSetGenericErrorFunc(nullptr, QuietXmlErrors);
    if (xmlSecInit() < 0) return new absl::Status(absl::InternalError("xmlsec initialisation failed"));
    if (xmlSecCheckVersion() != 1) return new absl::Status(absl::InternalError("xmlsec library version mismatch"));
    if (xmlSecCryptoAppInit(nullptr) < 0 || xmlSecCryptoInit() < 0) {
      return new absl::Status(absl::InternalError("xmlsec-openssl initialisation failed"));
    }
    // After the initialisation, which installs xmlsec's default (stderr) callback.
    xmlSecErrorsSetCallback(QuietXmlsecErrors);
    return new absl::Status();
  }();
  return *status;
}

struct DocFree {
  void operator()(xmlDoc* doc) const { xmlFreeDoc(doc); }
};
using DocPtr = std::unique_ptr<xmlDoc, DocFree>;
struct KeyFree {
  void operator()(xmlSecKey* key) const { xmlSecKeyDestroy(key); }
};
using KeyPtr = std::unique_ptr<xmlSecKey, KeyFree>;
struct DSigCtxFree {
  void operator()(xmlSecDSigCtx* ctx) const { xmlSecDSigCtxDestroy(ctx); }
};
using DSigCtxPtr = std::unique_ptr<xmlSecDSigCtx, DSigCtxFree>;

const xmlChar* X(const char* s) { return reinterpret_cast<const xmlChar*>(s); }

bool Is(const xmlNode* node, const char* ns, const char* local) {
  return node != nullptr && node->type == XML_ELEMENT_NODE && node->ns != nullptr &&
         xmlStrEqual(node->ns->href, X(ns)) && xmlStrEqual(node->name, X(local));
}

std::vector<xmlNode*> Children(xmlNode* parent, const char* ns, const char* local) {
  std::vector<xmlNode*> out;
  for (xmlNode* c = parent ? parent->children : nullptr; c != nullptr; c = c->next) {
    if (Is(c, ns, local)) out.push_back(c);
  }
  return out;
}

xmlNode* FirstChild(xmlNode* parent, const char* ns, const char* local) {
  auto all = Children(parent, ns, local);
  return all.empty() ? nullptr : all.front();
}

xmlNode* FirstElement(xmlNode* parent) {
  for (xmlNode* c = parent ? parent->children : nullptr; c != nullptr; c = c->next) {
    if (c->type == XML_ELEMENT_NODE) return c;
  }
  return nullptr;
}

std::string Owned(xmlChar* s) {
  if (s == nullptr) return "";
  std::string out(reinterpret_cast<const char*>(s));
  xmlFree(s);
  return out;
}

std::string Attr(const xmlNode* node, const char* name) {
  return node ? Owned(xmlGetNoNsProp(node, X(name))) : std::string();
}

std::string Text(const xmlNode* node) {
  return node ? std::string(absl::StripAsciiWhitespace(Owned(xmlNodeGetContent(node)))) : std::string();
}

absl::StatusOr<absl::Time> ParseDateTime(const std::string& value, const char* what) {
  absl::Time t;
  std::string err;
  if (!absl::ParseTime(absl::RFC3339_full, value, &t, &err)) {
    return Malformed(absl::StrCat("Conditions ", what, " is not an xs:dateTime: ", value));
  }
  return t;
}

std::string FormatDateTime(absl::Time t) { return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", t, absl::UTCTimeZone()); }

// The signature and digest algorithms accepted: SHA-2 only.
bool AllowedSignatureMethod(const std::string& uri) {
  return uri == "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256" ||
         uri == "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384" ||
         uri == "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512" ||
         uri == "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256" ||
         uri == "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384" ||
         uri == "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha512";
}

// Everything a SAML 2.0 signature may use (SAML core §5.4) and nothing else: no XPath, no
// XSLT, no external URIs.
void RestrictAlgorithms(xmlSecDSigCtx* ctx) {
  for (xmlSecTransformId id :
       {xmlSecTransformExclC14NId, xmlSecTransformExclC14NWithCommentsId, xmlSecTransformInclC14NId,
        xmlSecTransformEnvelopedId, xmlSecTransformSha256Id, xmlSecTransformSha384Id, xmlSecTransformSha512Id}) {
    xmlSecDSigCtxEnableReferenceTransform(ctx, id);
  }
  for (xmlSecTransformId id : {xmlSecTransformExclC14NId, xmlSecTransformInclC14NId, xmlSecTransformRsaSha256Id,
                               xmlSecTransformRsaSha384Id, xmlSecTransformRsaSha512Id, xmlSecTransformEcdsaSha256Id,
                               xmlSecTransformEcdsaSha384Id, xmlSecTransformEcdsaSha512Id}) {
    xmlSecDSigCtxEnableSignatureTransform(ctx, id);
  }
  ctx->enabledReferenceUris = xmlSecTransformUriTypeSameDocument;
  ctx->flags |= XMLSEC_DSIG_FLAGS_IGNORE_MANIFESTS;
}

DocPtr ParseXml(std::string_view xml) {
  if (xml.size() > kMaxAssertionBytes) return nullptr;
  // No network, no entity substitution, no error output; blanks are kept (they are signed).
  DocPtr doc(xmlReadMemory(xml.data(), static_cast<int>(xml.size()), "assertion.xml", nullptr,
                           XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING));
  // A DTD could declare other ID attributes or entities: an assertion has none.
  if (doc != nullptr && (doc->intSubset != nullptr || doc->extSubset != nullptr)) return nullptr;
  return doc;
}

// An attribute value: the text of a plain value, or the code of a coded element (hl7:Role,
// hl7:PurposeOfUse), or root/extension of an hl7:InstanceIdentifier as a CX.
struct Value {
  std::string text;
  std::string code;
  std::string code_system;
};

Value ReadValue(xmlNode* attribute_value) {
  Value v;
  if (xmlNode* element = FirstElement(attribute_value)) {
    v.code = Attr(element, "code");
    v.code_system = Attr(element, "codeSystem");
    std::string root = Attr(element, "root"), extension = Attr(element, "extension");
    if (!extension.empty()) v.text = absl::StrCat(extension, "^^^&", root, "&ISO");
    if (v.text.empty()) v.text = v.code;
  } else {
    v.text = Text(attribute_value);
  }
  return v;
}

void ReadClaims(xmlNode* assertion, RequesterClaims* claims) {
  claims->assertion_id = Attr(assertion, "ID");
  claims->issuer = Text(FirstChild(assertion, kSamlNs, "Issuer"));
  claims->subject_name_id = Text(FirstChild(FirstChild(assertion, kSamlNs, "Subject"), kSamlNs, "NameID"));
  claims->subject_id = claims->subject_name_id;
  for (xmlNode* statement : Children(assertion, kSamlNs, "AttributeStatement")) {
    for (xmlNode* attribute : Children(statement, kSamlNs, "Attribute")) {
      xmlNode* first_value = FirstChild(attribute, kSamlNs, "AttributeValue");
      if (first_value == nullptr) continue;
      const std::string name = Attr(attribute, "Name");
      const Value v = ReadValue(first_value);
      if (name == kAttrSubjectId) {
        claims->subject_id = v.text;
      } else if (name == kAttrOrganization) {
        claims->subject_organization = v.text;
      } else if (name == kAttrOrganizationId) {
        claims->organization_id = v.text;
      } else if (name == kAttrRole) {
        claims->subject_role = v.code.empty() ? v.text : v.code;
        claims->subject_role_code_system = v.code_system;
      } else if (name == kAttrPurposeOfUse) {
        claims->purpose_of_use = v.code.empty() ? v.text : v.code;
        claims->purpose_of_use_code_system = v.code_system;
      } else if (name == kAttrResourceId) {
        claims->resource_id = v.text;
      } else if (name == kAttrHomeCommunityId) {
        claims->home_community_id = v.text;
      }
    }
  }
}

absl::Status CheckConditions(xmlNode* assertion, const XuaConfig& config, absl::Time now) {
  xmlNode* conditions = FirstChild(assertion, kSamlNs, "Conditions");
  if (conditions == nullptr) return Malformed("the assertion has no Conditions");
  const std::string not_before = Attr(conditions, "NotBefore");
  const std::string not_on_or_after = Attr(conditions, "NotOnOrAfter");
  if (not_on_or_after.empty()) return Malformed("the assertion's Conditions have no NotOnOrAfter");
  if (!not_before.empty()) {
    auto t = ParseDateTime(not_before, "NotBefore");
    if (!t.ok()) return t.status();
    if (now + config.clock_skew < *t) return Conditions(absl::StrCat("the assertion is not valid before ", not_before));
  }
  auto t = ParseDateTime(not_on_or_after, "NotOnOrAfter");
  if (!t.ok()) return t.status();
  if (now - config.clock_skew >= *t) return Conditions(absl::StrCat("the assertion expired at ", not_on_or_after));
  if (config.audience.empty()) return absl::OkStatus();
  // Several AudienceRestrictions all have to be met (SAML core §2.5.1.4).
  auto restrictions = Children(conditions, kSamlNs, "AudienceRestriction");
  if (restrictions.empty()) return Conditions("the assertion has no AudienceRestriction");
  for (xmlNode* restriction : restrictions) {
    bool found = false;
    for (xmlNode* audience : Children(restriction, kSamlNs, "Audience")) found |= Text(audience) == config.audience;
    if (!found) return Conditions(absl::StrCat("the assertion is not meant for audience ", config.audience));
  }
  return absl::OkStatus();
}

}  // namespace

Refusal RefusalOf(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kUnauthenticated:
      return Refusal::kBadSignature;
    case absl::StatusCode::kPermissionDenied:
      return Refusal::kUntrusted;
    case absl::StatusCode::kFailedPrecondition:
      return Refusal::kConditions;
    default:
      return Refusal::kMalformed;
  }
}

struct Verifier::Keys {
  std::vector<KeyPtr> keys;  // one public key per configured IdP certificate
};

Verifier::Verifier(XuaConfig config, std::unique_ptr<Keys> keys) : config_(std::move(config)), keys_(std::move(keys)) {}
Verifier::~Verifier() = default;

absl::StatusOr<std::unique_ptr<Verifier>> Verifier::Create(const XuaConfig& config) {
  if (absl::Status s = Initialise(); !s.ok()) return s;
  auto keys = std::make_unique<Keys>();
  for (const std::string& path : config.idp_certificates) {
    KeyPtr key(xmlSecCryptoAppKeyLoad(path.c_str(), xmlSecKeyDataFormatCertPem, nullptr, nullptr, nullptr));
    if (key == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat("cannot load an identity provider certificate from ", path));
    }
    keys->keys.push_back(std::move(key));
  }
  return std::unique_ptr<Verifier>(new Verifier(config, std::move(keys)));
}

absl::StatusOr<RequesterClaims> Verifier::Verify(std::string_view assertion_xml, absl::Time now) const {
  DocPtr doc = ParseXml(assertion_xml);
  if (doc == nullptr) return Malformed("the assertion is not well-formed XML (or carries a DTD)");
  xmlNode* assertion = xmlDocGetRootElement(doc.get());
  if (!Is(assertion, kSamlNs, "Assertion")) return Malformed("the token is not a SAML 2.0 Assertion");
  if (Attr(assertion, "Version") != "2.0") return Malformed("the assertion's Version is not 2.0");
  const std::string id = Attr(assertion, "ID");
  if (id.empty()) return Malformed("the assertion has no ID");
  if (Text(FirstChild(assertion, kSamlNs, "Issuer")).empty()) return Malformed("the assertion has no Issuer");

  // The one signature is the Assertion's own child, and its one Reference is to the
  // Assertion's ID: anything else is how signature wrapping starts.
  auto signatures = Children(assertion, kDsigNs, "Signature");
  if (signatures.size() != 1) return Malformed("the assertion must carry exactly one enveloped ds:Signature");
  xmlNode* signature = signatures.front();
  xmlNode* signed_info = FirstChild(signature, kDsigNs, "SignedInfo");
  auto references = Children(signed_info, kDsigNs, "Reference");
  if (references.size() != 1) return Malformed("the assertion's signature must have exactly one Reference");
  const std::string expected_uri = "#" + id;
  if (Attr(references.front(), "URI") != expected_uri) {
    return BadSignature("the assertion's signature does not reference the assertion itself");
  }
  if (!AllowedSignatureMethod(Attr(FirstChild(signed_info, kDsigNs, "SignatureMethod"), "Algorithm"))) {
    return Malformed("the assertion's SignatureMethod is not an accepted RSA/ECDSA SHA-2 algorithm");
  }
  // Only the Assertion's ID is an ID: the Reference can resolve to no other element. A
  // duplicate (an xml:id elsewhere with the same value) makes xmlAddID fail.
  xmlAttr* id_attr = xmlHasProp(assertion, X("ID"));
  if (xmlAddID(nullptr, doc.get(), X(id.c_str()), id_attr) == nullptr)
    return Malformed("the assertion's ID is not unique");
  if (keys_->keys.empty()) return Untrusted("no identity provider is configured");

  // Each configured key in turn is the signing key, preset so that xmlsec never looks at
  // KeyInfo: a certificate carried by the assertion itself is not a reason to trust it.
  bool digest_failed = false;
  for (const KeyPtr& key : keys_->keys) {
    DSigCtxPtr ctx(xmlSecDSigCtxCreate(nullptr));
    if (ctx == nullptr) return absl::InternalError("xmlsec context creation failed");
    RestrictAlgorithms(ctx.get());
    ctx->signKey = xmlSecKeyDuplicate(key.get());
    if (ctx->signKey == nullptr) return absl::InternalError("xmlsec key duplication failed");
    if (xmlSecDSigCtxVerify(ctx.get(), signature) < 0) continue;  // e.g. an RSA key for an ECDSA signature
    const xmlSecSize count = xmlSecPtrListGetSize(&ctx->signedInfoReferences);
    bool references_ok = count == 1;
    for (xmlSecSize i = 0; i < count; ++i) {
      auto* ref = static_cast<xmlSecDSigReferenceCtx*>(xmlSecPtrListGetItem(&ctx->signedInfoReferences, i));
      if (ref == nullptr || ref->status != xmlSecDSigStatusSucceeded) {
        references_ok = false;
        digest_failed |= ref != nullptr && ref->status == xmlSecDSigStatusInvalid;
      } else if (ref->uri == nullptr || expected_uri != reinterpret_cast<const char*>(ref->uri)) {
        references_ok = false;
      }
    }
    if (ctx->status == xmlSecDSigStatusSucceeded && references_ok) {
      if (absl::Status s = CheckConditions(assertion, config_, now); !s.ok()) return s;
      RequesterClaims claims;
      ReadClaims(assertion, &claims);
      return claims;
    }
  }
  if (digest_failed) return BadSignature("the assertion's content does not match its signature");
  return Untrusted("the assertion is not signed by a trusted identity provider");
}

absl::StatusOr<RequesterClaims> VerifyAssertion(std::string_view assertion_xml, const XuaConfig& config,
                                                absl::Time now) {
  auto verifier = Verifier::Create(config);
  if (!verifier.ok()) return verifier.status();
  return (*verifier)->Verify(assertion_xml, now);
}

// ---- minting -------------------------------------------------------------------------

namespace {

std::string Escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string NewId() {
  unsigned char bytes[16];
  if (RAND_bytes(bytes, sizeof bytes) != 1) std::abort();
  return "_" + absl::BytesToHexString(std::string(reinterpret_cast<const char*>(bytes), sizeof bytes));
}

std::string StringAttribute(const char* name, std::string_view value) {
  if (value.empty()) return "";
  return absl::StrCat("<saml2:Attribute Name=\"", name, "\"><saml2:AttributeValue xsi:type=\"xs:string\">",
                      Escape(value), "</saml2:AttributeValue></saml2:Attribute>");
}

std::string CodedAttribute(const char* name, const char* element, std::string_view code, std::string_view code_system) {
  if (code.empty()) return "";
  return absl::StrCat("<saml2:Attribute Name=\"", name, "\"><saml2:AttributeValue><", element,
                      " xmlns=\"urn:hl7-org:v3\" xsi:type=\"CE\" code=\"", Escape(code), "\" codeSystem=\"",
                      Escape(code_system), "\"/></saml2:AttributeValue></saml2:Attribute>");
}

std::string UnsignedAssertion(const MintRequest& r, const std::string& id) {
  const std::string issue_instant = FormatDateTime(r.not_before);
  return absl::StrCat(
      "<saml2:Assertion xmlns:saml2=\"", kSamlNs,
      "\" xmlns:xs=\"http://www.w3.org/2001/XMLSchema\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" ID=\"",
      id, "\" IssueInstant=\"", issue_instant, "\" Version=\"2.0\">", "<saml2:Issuer>", Escape(r.issuer),
      "</saml2:Issuer><saml2:Subject><saml2:NameID Format=\"urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified\">",
      Escape(r.subject_id),
      "</saml2:NameID><saml2:SubjectConfirmation Method=\"urn:oasis:names:tc:SAML:2.0:cm:bearer\"/></saml2:Subject>",
      "<saml2:Conditions NotBefore=\"", issue_instant, "\" NotOnOrAfter=\"", FormatDateTime(r.not_before + r.validity),
      "\"><saml2:AudienceRestriction><saml2:Audience>", Escape(r.audience),
      "</saml2:Audience></saml2:AudienceRestriction></saml2:Conditions><saml2:AuthnStatement AuthnInstant=\"",
      issue_instant,
      "\"><saml2:AuthnContext><saml2:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:"
      "PasswordProtectedTransport</saml2:AuthnContextClassRef></saml2:AuthnContext></saml2:AuthnStatement>",
      "<saml2:AttributeStatement>", StringAttribute(kAttrSubjectId, r.subject_id),
      StringAttribute(kAttrOrganization, r.organization), StringAttribute(kAttrOrganizationId, r.organization_id),
      StringAttribute(kAttrHomeCommunityId, r.home_community_id),
      CodedAttribute(kAttrRole, "Role", r.role_code, r.role_code_system),
      CodedAttribute(kAttrPurposeOfUse, "PurposeOfUse", r.purpose_of_use, kActReasonCodeSystem),
      StringAttribute(kAttrResourceId, r.patient_id), "</saml2:AttributeStatement></saml2:Assertion>");
}

}  // namespace

absl::StatusOr<std::string> MintAssertion(const MintRequest& request, const std::string& key_pem_path,
                                          const std::string& cert_pem_path) {
  if (absl::Status s = Initialise(); !s.ok()) return s;
  KeyPtr key(xmlSecCryptoAppKeyLoad(key_pem_path.c_str(), xmlSecKeyDataFormatPem, nullptr, nullptr, nullptr));
  if (key == nullptr) return absl::InvalidArgumentError(absl::StrCat("cannot load a private key from ", key_pem_path));
  if (xmlSecCryptoAppKeyCertLoad(key.get(), cert_pem_path.c_str(), xmlSecKeyDataFormatPem) < 0) {
    return absl::InvalidArgumentError(absl::StrCat("cannot load a certificate from ", cert_pem_path));
  }
  xmlSecTransformId method;
  if (xmlSecKeyCheckId(key.get(), xmlSecKeyDataRsaId)) {
    method = xmlSecTransformRsaSha256Id;
  } else if (xmlSecKeyCheckId(key.get(), xmlSecKeyDataEcdsaId)) {
    method = xmlSecTransformEcdsaSha256Id;
  } else {
    return absl::InvalidArgumentError("the signing key is neither RSA nor EC");
  }

  const std::string id = NewId();
  const std::string xml = UnsignedAssertion(request, id);
  DocPtr doc = ParseXml(xml);
  if (doc == nullptr) return absl::InternalError("the assertion built is not well-formed");
  xmlNode* assertion = xmlDocGetRootElement(doc.get());
  xmlAddID(nullptr, doc.get(), X(id.c_str()), xmlHasProp(assertion, X("ID")));

  // SAML core §5.4: an enveloped signature right after Issuer, over the Assertion's ID,
  // exclusive c14n (xs kept: xsi:type values use it).
  xmlNode* signature = xmlSecTmplSignatureCreateNsPref(doc.get(), xmlSecTransformExclC14NId, method, nullptr, X("ds"));
  xmlNode* reference = signature ? xmlSecTmplSignatureAddReference(signature, xmlSecTransformSha256Id, nullptr,
                                                                   X(("#" + id).c_str()), nullptr)
                                 : nullptr;
  xmlNode* c14n = nullptr;
  if (reference != nullptr && xmlSecTmplReferenceAddTransform(reference, xmlSecTransformEnvelopedId) != nullptr) {
    c14n = xmlSecTmplReferenceAddTransform(reference, xmlSecTransformExclC14NId);
  }
  xmlNode* key_info = signature ? xmlSecTmplSignatureEnsureKeyInfo(signature, nullptr) : nullptr;
  xmlNode* x509 = key_info ? xmlSecTmplKeyInfoAddX509Data(key_info) : nullptr;
  if (c14n == nullptr || xmlSecTmplTransformAddC14NInclNamespaces(c14n, X("xs")) < 0 || x509 == nullptr ||
      xmlSecTmplX509DataAddCertificate(x509) == nullptr) {
    if (signature != nullptr) xmlFreeNode(signature);
    return absl::InternalError("cannot build the signature template");
  }
  xmlAddNextSibling(FirstChild(assertion, kSamlNs, "Issuer"), signature);

  DSigCtxPtr ctx(xmlSecDSigCtxCreate(nullptr));
  if (ctx == nullptr) return absl::InternalError("xmlsec context creation failed");
  ctx->signKey = key.release();
  if (xmlSecDSigCtxSign(ctx.get(), signature) < 0) return absl::InternalError("signing the assertion failed");

  xmlBuffer* buffer = xmlBufferCreate();
  xmlNodeDump(buffer, doc.get(), assertion, 0, 0);
  std::string out(reinterpret_cast<const char*>(xmlBufferContent(buffer)), xmlBufferLength(buffer));
  xmlBufferFree(buffer);
  return out;
}

}  // namespace xds::xua
