// Every kind of event as an AuditMessage: valid against the DICOM schema of xds-schemas/dicom
// (libxml2's RELAX NG validator) and carrying the codes ITI TF-2 and DICOM PS3.15 give it,
// checked by XPath; hostile strings neither break the XML nor the syslog framing.
#include "registry/shared/audit/atna_message.h"

#include <libxml/parser.h>
#include <libxml/relaxng.h>

#include <string>
#include <vector>

#include <pugixml.hpp>

#include "gtest/gtest.h"
#include "registry/shared/mime/base64.h"

namespace xds::audit {
namespace {

constexpr char kSchema[] = "xds-schemas/dicom/audit-message.rng";

// The schema, compiled once (tests run from the runfiles root).
class Schema {
 public:
  Schema() {
    xmlRelaxNGParserCtxtPtr parser = xmlRelaxNGNewParserCtxt(kSchema);
    schema_ = xmlRelaxNGParse(parser);
    xmlRelaxNGFreeParserCtxt(parser);
  }
  bool loaded() const { return schema_ != nullptr; }
  // True when `xml` is valid; libxml2 prints the reasons otherwise.
  bool Valid(const std::string& xml) const {
    xmlDocPtr doc = xmlReadMemory(xml.data(), static_cast<int>(xml.size()), "message.xml", nullptr, XML_PARSE_NONET);
    if (doc == nullptr) return false;
    xmlRelaxNGValidCtxtPtr context = xmlRelaxNGNewValidCtxt(schema_);
    const int result = xmlRelaxNGValidateDoc(context, doc);
    xmlRelaxNGFreeValidCtxt(context);
    xmlFreeDoc(doc);
    return result == 0;
  }

 private:
  xmlRelaxNGPtr schema_ = nullptr;
};

const Schema& TheSchema() {
  static const Schema* schema = new Schema;
  return *schema;
}

AuditSource Source() {
  AuditSource source;
  source.source_id = "xds-registry@region";
  source.enterprise_site_id = "2.999.1";
  source.endpoint = "https://registry.example:8443/xds/registry";
  source.host = "10.0.0.5";
  source.process_id = "4242";
  return source;
}

AuditEvent Base(const std::string& transaction) {
  AuditEvent e;
  e.set_seq(7);
  e.set_time_ms(1700000000123);  // 2023-11-14T22:13:20.123Z
  e.set_transaction(transaction);
  e.set_service("xds-registry");
  e.set_peer("192.0.2.10:50123");
  e.set_node_subject("CN=Midwives North,O=Midwives North");
  e.set_organization_id("2.999.1.7");
  e.set_user_id("jdoe");
  e.set_user_name("Jane Doe");
  e.set_user_organization("Midwives North");
  e.set_user_organization_id("2.999.1.7");
  e.set_role("224535009^^2.16.840.1.113883.6.96");
  e.set_endpoint("https://registry.example:8443/xds/registry");
  return e;
}

// Parses, validates and returns the message; fails the test on either.
pugi::xml_document Message(const AuditEvent& e, const AuditSource& source = Source()) {
  const std::string xml = ToAuditMessage(e, source);
  EXPECT_TRUE(TheSchema().loaded()) << "schema " << kSchema;
  EXPECT_TRUE(TheSchema().Valid(xml)) << xml;
  pugi::xml_document doc;
  EXPECT_TRUE(doc.load_string(xml.c_str())) << xml;
  return doc;
}

std::string At(const pugi::xml_document& doc, const char* xpath) { return doc.select_node(xpath).attribute().value(); }
size_t Count(const pugi::xml_document& doc, const char* xpath) { return doc.select_nodes(xpath).size(); }

std::string Decoded(const std::string& base64) {
  auto decoded = DecodeBase64(base64);
  EXPECT_TRUE(decoded.ok()) << base64;
  return decoded.ok() ? *decoded : "";
}

TEST(AtnaMessage, Iti18RegistryStoredQuery) {
  AuditEvent e = Base("ITI-18");
  e.set_action("E");
  e.add_patient_ids("123^^^&2.999.1.2&ISO");
  e.set_home_community_id("urn:oid:2.999.9");
  StoredQueryRequest* q = e.mutable_query();
  q->set_query_id("urn:uuid:14d4debf-8f97-4251-9a74-a90016b0af0d");
  q->set_return_type(OBJECT_REF);
  QueryParameter* p = q->add_parameters();
  p->set_name("$XDSDocumentEntryPatientId");
  p->add_values("'123^^^&2.999.1.2&ISO'");
  p = q->add_parameters();
  p->set_name("$XDSDocumentEntryStatus");
  p->add_values("('urn:oasis:names:tc:ebxml-regrep:StatusType:Approved')");
  pugi::xml_document doc = Message(e);

  EXPECT_EQ(At(doc, "/AuditMessage/EventIdentification/EventID/@csd-code"), "110112");
  EXPECT_EQ(At(doc, "/AuditMessage/EventIdentification/EventID/@codeSystemName"), "DCM");
  EXPECT_EQ(At(doc, "/AuditMessage/EventIdentification/@EventActionCode"), "E");
  EXPECT_EQ(At(doc, "/AuditMessage/EventIdentification/@EventOutcomeIndicator"), "0");
  EXPECT_EQ(At(doc, "/AuditMessage/EventIdentification/@EventDateTime"), "2023-11-14T22:13:20.123Z");
  EXPECT_EQ(At(doc, "/AuditMessage/EventIdentification/EventTypeCode/@csd-code"), "ITI-18");
  EXPECT_EQ(At(doc, "/AuditMessage/EventIdentification/EventTypeCode/@codeSystemName"), "IHE Transactions");
  EXPECT_EQ(At(doc, "/AuditMessage/EventIdentification/EventTypeCode/@originalText"), "Registry Stored Query");
  EXPECT_EQ(Count(doc, "/AuditMessage/EventIdentification/EventOutcomeDescription"), 0u);

  // Source: the requesting node, by certificate subject and IP address.
  const char* source = "/AuditMessage/ActiveParticipant[RoleIDCode/@csd-code='110153']";
  EXPECT_EQ(At(doc, (std::string(source) + "/@UserID").c_str()), "CN=Midwives North,O=Midwives North");
  EXPECT_EQ(At(doc, (std::string(source) + "/@NetworkAccessPointID").c_str()), "192.0.2.10");
  EXPECT_EQ(At(doc, (std::string(source) + "/@NetworkAccessPointTypeCode").c_str()), "2");
  EXPECT_EQ(At(doc, (std::string(source) + "/@UserIsRequestor").c_str()), "false");  // the person is
  // Human requestor.
  EXPECT_EQ(At(doc, "/AuditMessage/ActiveParticipant[@UserID='jdoe']/@UserName"), "Jane Doe");
  EXPECT_EQ(At(doc, "/AuditMessage/ActiveParticipant[@UserID='jdoe']/@UserIsRequestor"), "true");
  EXPECT_EQ(At(doc, "/AuditMessage/ActiveParticipant[@UserID='jdoe']/RoleIDCode/@csd-code"), "224535009");
  EXPECT_EQ(At(doc, "/AuditMessage/ActiveParticipant[@UserID='jdoe']/RoleIDCode/@codeSystemName"),
            "2.16.840.1.113883.6.96");
  // Destination: this registry.
  const char* destination = "/AuditMessage/ActiveParticipant[RoleIDCode/@csd-code='110152']";
  EXPECT_EQ(At(doc, (std::string(destination) + "/@UserID").c_str()), "https://registry.example:8443/xds/registry");
  EXPECT_EQ(At(doc, (std::string(destination) + "/@AlternativeUserID").c_str()), "4242");
  EXPECT_EQ(At(doc, (std::string(destination) + "/@UserIsRequestor").c_str()), "false");
  EXPECT_EQ(At(doc, (std::string(destination) + "/@NetworkAccessPointID").c_str()), "10.0.0.5");
  EXPECT_EQ(Count(doc, "/AuditMessage/ActiveParticipant[@UserIsRequestor='true']"), 1u);

  EXPECT_EQ(At(doc, "/AuditMessage/AuditSourceIdentification/@AuditSourceID"), "xds-registry@region");
  EXPECT_EQ(At(doc, "/AuditMessage/AuditSourceIdentification/@AuditEnterpriseSiteID"), "2.999.1");

  const char* patient = "/AuditMessage/ParticipantObjectIdentification[@ParticipantObjectTypeCodeRole='1']";
  EXPECT_EQ(At(doc, (std::string(patient) + "/@ParticipantObjectTypeCode").c_str()), "1");
  EXPECT_EQ(At(doc, (std::string(patient) + "/@ParticipantObjectID").c_str()), "123^^^&2.999.1.2&ISO");
  EXPECT_EQ(At(doc, (std::string(patient) + "/ParticipantObjectIDTypeCode/@csd-code").c_str()), "2");
  EXPECT_EQ(At(doc, (std::string(patient) + "/ParticipantObjectIDTypeCode/@codeSystemName").c_str()), "RFC-3881");

  const char* query = "/AuditMessage/ParticipantObjectIdentification[@ParticipantObjectTypeCodeRole='24']";
  EXPECT_EQ(At(doc, (std::string(query) + "/@ParticipantObjectTypeCode").c_str()), "2");
  EXPECT_EQ(At(doc, (std::string(query) + "/@ParticipantObjectID").c_str()),
            "urn:uuid:14d4debf-8f97-4251-9a74-a90016b0af0d");
  EXPECT_EQ(At(doc, (std::string(query) + "/ParticipantObjectIDTypeCode/@csd-code").c_str()), "ITI-18");
  EXPECT_EQ(Decoded(At(doc, (std::string(query) + "/ParticipantObjectDetail[@type='QueryEncoding']/@value").c_str())),
            "UTF-8");
  EXPECT_EQ(Decoded(At(doc, (std::string(query) +
                             "/ParticipantObjectDetail[@type='urn:ihe:iti:xca:2010:homeCommunityId']/@value")
                                .c_str())),
            "urn:oid:2.999.9");
  // The query as asked: an AdhocQueryRequest with the stored query, its slots and returnType.
  pugi::xml_document adhoc;
  ASSERT_TRUE(adhoc.load_string(
      Decoded(doc.select_node((std::string(query) + "/ParticipantObjectQuery").c_str()).node().text().get()).c_str()));
  EXPECT_EQ(std::string(adhoc.select_node("//*[local-name()='AdhocQuery']/@id").attribute().value()),
            "urn:uuid:14d4debf-8f97-4251-9a74-a90016b0af0d");
  EXPECT_EQ(std::string(adhoc.select_node("//*[local-name()='ResponseOption']/@returnType").attribute().value()),
            "ObjectRef");
  EXPECT_EQ(std::string(adhoc
                            .select_node("//*[local-name()='Slot'][@name='$XDSDocumentEntryPatientId']//"
                                         "*[local-name()='Value']")
                            .node()
                            .text()
                            .get()),
            "'123^^^&2.999.1.2&ISO'");
  EXPECT_EQ(adhoc.select_nodes("//*[local-name()='Slot']").size(), 2u);

  // The organisation on whose behalf.
  EXPECT_EQ(At(doc,
               "/AuditMessage/ParticipantObjectIdentification[@ParticipantObjectTypeCode='3']/"
               "@ParticipantObjectID"),
            "2.999.1.7");
}

TEST(AtnaMessage, Iti42AndIti41ImportTheSubmissionSet) {
  for (const char* transaction : {"ITI-42", "ITI-41"}) {
    SCOPED_TRACE(transaction);
    AuditEvent e = Base(transaction);
    e.add_patient_ids("123^^^&2.999.1.2&ISO");
    e.set_submission_set_unique_id("2.999.5.1.1");
    pugi::xml_document doc = Message(e);
    EXPECT_EQ(At(doc, "/AuditMessage/EventIdentification/EventID/@csd-code"), "110107");
    EXPECT_EQ(At(doc, "/AuditMessage/EventIdentification/@EventActionCode"), "C");
    EXPECT_EQ(At(doc, "/AuditMessage/EventIdentification/EventTypeCode/@csd-code"), transaction);
    EXPECT_EQ(Count(doc, "/AuditMessage/ActiveParticipant/RoleIDCode[@csd-code='110153']"), 1u);
    EXPECT_EQ(Count(doc, "/AuditMessage/ActiveParticipant/RoleIDCode[@csd-code='110152']"), 1u);
    const char* set = "/AuditMessage/ParticipantObjectIdentification[@ParticipantObjectTypeCodeRole='20']";
    EXPECT_EQ(At(doc, (std::string(set) + "/@ParticipantObjectTypeCode").c_str()), "2");
    EXPECT_EQ(At(doc, (std::string(set) + "/@ParticipantObjectID").c_str()), "2.999.5.1.1");
    EXPECT_EQ(At(doc, (std::string(set) + "/ParticipantObjectIDTypeCode/@csd-code").c_str()),
              "urn:uuid:a54d6aa5-d40d-43f9-88c5-b4633d873bdd");
    EXPECT_EQ(Count(doc, "/AuditMessage/ParticipantObjectIdentification[@ParticipantObjectTypeCodeRole='1']"), 1u);
  }
  EXPECT_EQ(At(Message(Base("ITI-41")), "/AuditMessage/EventIdentification/EventTypeCode/@originalText"),
            "Provide and Register Document Set-b");
}

TEST(AtnaMessage, Iti43ExportsEachDocumentFromTheRepository) {
  AuditEvent e = Base("ITI-43");
  e.set_service("xds-repository");
  e.set_endpoint("https://repository.example:8443/xds/repository");
  e.add_patient_ids("123^^^&2.999.1.2&ISO");
  e.add_document_unique_ids("2.999.5.1.2");
  e.add_document_unique_ids("2.999.5.1.3");
  e.add_repository_unique_ids("2.999.6");
  e.set_home_community_id("urn:oid:2.999.9");
  pugi::xml_document doc = Message(e);
  EXPECT_EQ(At(doc, "/AuditMessage/EventIdentification/EventID/@csd-code"), "110106");
  EXPECT_EQ(At(doc, "/AuditMessage/EventIdentification/@EventActionCode"), "R");
  EXPECT_EQ(At(doc, "/AuditMessage/EventIdentification/EventTypeCode/@csd-code"), "ITI-43");
  // The repository is the source, the requester the destination.
  EXPECT_EQ(At(doc, "/AuditMessage/ActiveParticipant[RoleIDCode/@csd-code='110153']/@UserID"),
            "https://repository.example:8443/xds/repository");
  EXPECT_EQ(At(doc, "/AuditMessage/ActiveParticipant[RoleIDCode/@csd-code='110152']/@NetworkAccessPointID"),
            "192.0.2.10");
  const char* documents = "/AuditMessage/ParticipantObjectIdentification[@ParticipantObjectTypeCodeRole='3']";
  ASSERT_EQ(Count(doc, documents), 2u);
  for (const char* id : {"2.999.5.1.2", "2.999.5.1.3"}) {
    const std::string document = std::string(documents) + "[@ParticipantObjectID='" + id + "']";
    EXPECT_EQ(At(doc, (document + "/@ParticipantObjectTypeCode").c_str()), "2");
    EXPECT_EQ(At(doc, (document + "/ParticipantObjectIDTypeCode/@csd-code").c_str()), "9");
    EXPECT_EQ(At(doc, (document + "/ParticipantObjectIDTypeCode/@codeSystemName").c_str()), "RFC-3881");
    EXPECT_EQ(Decoded(At(doc, (document + "/ParticipantObjectDetail[@type='Repository Unique Id']/@value").c_str())),
              "2.999.6");
    EXPECT_EQ(Decoded(At(doc, (document + "/ParticipantObjectDetail[@type='ihe:homeCommunityID']/@value").c_str())),
              "urn:oid:2.999.9");
  }
}

TEST(AtnaMessage, AdministrationVerbsAndUnknownTransactions) {
  struct Case {
    const char* transaction;
    const char* event_id;
    const char* action;
  };
  for (const Case& c :
       {Case{"AddPatient", "110110", "C"}, Case{"ListPatients", "110112", "E"}, Case{"Stats", "110112", "E"},
        Case{"Backup", "110106", "R"}, Case{"AuditLog", "110101", "R"}, Case{"AuditVerify", "110101", "R"},
        Case{"ConsentGrant", "110110", "U"}, Case{"ConsentList", "110110", "R"}, Case{"SomethingNew", "110100", "E"}}) {
    SCOPED_TRACE(c.transaction);
    AuditEvent e = Base(c.transaction);
    e.clear_user_id();
    e.clear_user_name();
    if (std::string(c.transaction) == "AddPatient") e.add_patient_ids("9^^^&2.999.1.2&ISO");
    pugi::xml_document doc = Message(e);
    EXPECT_EQ(At(doc, "/AuditMessage/EventIdentification/EventID/@csd-code"), c.event_id);
    EXPECT_EQ(At(doc, "/AuditMessage/EventIdentification/@EventActionCode"), c.action);
    EXPECT_EQ(At(doc, "/AuditMessage/EventIdentification/EventTypeCode/@csd-code"), c.transaction);
    EXPECT_EQ(At(doc, "/AuditMessage/EventIdentification/EventTypeCode/@codeSystemName"), "99XDS");
    // Without a person, the requesting node is the requestor.
    EXPECT_EQ(At(doc, "/AuditMessage/ActiveParticipant[@UserIsRequestor='true']/@NetworkAccessPointID"), "192.0.2.10");
  }
}

TEST(AtnaMessage, RefusedTlsHandshakeIsANodeAuthenticationSecurityAlert) {
  AuditEvent e;
  e.set_time_ms(1700000000000);
  e.set_transaction("TLS");
  e.set_service("xds-registry");
  e.set_outcome(8);
  e.set_error_code("certificate revoked");
  e.set_peer("[2001:db8::7]:40000");
  e.set_detail("client certificate revoked");
  pugi::xml_document doc = Message(e);
  EXPECT_EQ(At(doc, "/AuditMessage/EventIdentification/EventID/@csd-code"), "110113");
  EXPECT_EQ(At(doc, "/AuditMessage/EventIdentification/EventTypeCode/@csd-code"), "110126");
  EXPECT_EQ(At(doc, "/AuditMessage/EventIdentification/@EventOutcomeIndicator"), "8");
  EXPECT_EQ(
      std::string(doc.select_node("/AuditMessage/EventIdentification/EventOutcomeDescription").node().text().get()),
      "certificate revoked: client certificate revoked");
  EXPECT_EQ(At(doc, "/AuditMessage/ActiveParticipant[@UserIsRequestor='true']/@NetworkAccessPointID"), "2001:db8::7");
  EXPECT_EQ(Decoded(At(doc,
                       "/AuditMessage/ParticipantObjectIdentification/ParticipantObjectDetail"
                       "[@type='Alert Description']/@value")),
            "client certificate revoked");
}

TEST(AtnaMessage, RefusedAssertionIsAFailedUserAuthentication) {
  AuditEvent e = Base("ITI-18");
  e.set_outcome(8);
  e.set_error_code("wsse:FailedAuthentication");
  pugi::xml_document doc = Message(e);
  EXPECT_EQ(At(doc, "/AuditMessage/EventIdentification/EventID/@csd-code"), "110114");
  EXPECT_EQ(Count(doc, "/AuditMessage/EventIdentification/EventTypeCode[@csd-code='110122']"), 1u);
  EXPECT_EQ(Count(doc, "/AuditMessage/EventIdentification/EventTypeCode[@csd-code='ITI-18']"), 1u);
  EXPECT_EQ(At(doc, "/AuditMessage/EventIdentification/@EventOutcomeIndicator"), "8");

  AuditEvent by_detail = Base("ITI-43");
  by_detail.set_outcome(8);
  by_detail.set_error_code("XDSRepositoryError");
  by_detail.set_detail("the Assertion has expired");
  EXPECT_EQ(At(Message(by_detail), "/AuditMessage/EventIdentification/EventID/@csd-code"), "110114");
}

// A gate's refusal (e.g. no consent) keeps the transaction's own event, as a serious failure.
TEST(AtnaMessage, GateRefusalKeepsTheTransactionsEvent) {
  AuditEvent e = Base("ITI-18");
  e.set_outcome(8);
  e.set_error_code("XDSRegistryError");
  e.set_detail("no consent for this organisation");
  e.mutable_query()->set_query_id("urn:uuid:14d4debf-8f97-4251-9a74-a90016b0af0d");
  pugi::xml_document doc = Message(e);
  EXPECT_EQ(At(doc, "/AuditMessage/EventIdentification/EventID/@csd-code"), "110112");
  EXPECT_EQ(At(doc, "/AuditMessage/EventIdentification/@EventOutcomeIndicator"), "8");
  EXPECT_EQ(
      std::string(doc.select_node("/AuditMessage/EventIdentification/EventOutcomeDescription").node().text().get()),
      "XDSRegistryError: no consent for this organisation");

  e.set_outcome(3);  // not a DICOM value: a failure
  EXPECT_EQ(At(Message(e), "/AuditMessage/EventIdentification/@EventOutcomeIndicator"), "8");
}

TEST(AtnaMessage, PurposeOfUseOnlyWhenAsked) {
  AuditEvent e = Base("ITI-43");
  e.set_purpose_of_use("TREATMENT");
  e.set_emergency(true);
  EXPECT_EQ(Count(Message(e), "//PurposeOfUse"), 0u);  // the validated edition has no such element
  AuditSource source = Source();
  source.purpose_of_use_element = true;
  pugi::xml_document doc;
  ASSERT_TRUE(doc.load_string(ToAuditMessage(e, source).c_str()));
  EXPECT_EQ(Count(doc, "/AuditMessage/EventIdentification/PurposeOfUse[@csd-code='TREATMENT']"), 1u);
  EXPECT_EQ(Count(doc, "/AuditMessage/EventIdentification/PurposeOfUse[@csd-code='EMERGENCY']"), 1u);
}

TEST(AtnaMessage, HostileStringsStayInsideTheirValues) {
  AuditEvent e = Base("ITI-18");
  const std::string user = "x\"/><ActiveParticipant UserID=\"evil\" UserIsRequestor=\"true\"/><a b=\"&amp;";
  e.set_user_id(user);
  e.set_user_name("bad\x01\x7f utf8 \xff\xfe and ok \xc3\xa9");
  e.add_patient_ids("]]><!-- \n -->&lt;123");
  e.set_error_code("oops");
  e.set_outcome(8);
  e.set_detail("line one\r\nline two\x1b[0m");
  e.mutable_query()->set_query_id("urn:uuid:1");
  QueryParameter* p = e.mutable_query()->add_parameters();
  p->set_name("$XDSDocumentEntryPatientId");
  p->add_values("</rim:Value><evil/>");
  pugi::xml_document doc = Message(e);
  EXPECT_EQ(Count(doc, "/AuditMessage/ActiveParticipant[@UserID='evil']"), 0u);
  EXPECT_EQ(At(doc, "/AuditMessage/ActiveParticipant[RoleIDCode/@csd-code='224535009']/@UserID"), user);
  EXPECT_EQ(At(doc,
               "/AuditMessage/ParticipantObjectIdentification[@ParticipantObjectTypeCodeRole='1']/"
               "@ParticipantObjectID"),
            "]]><!-- \n -->&lt;123");
  // Bytes XML cannot carry became U+FFFD; the valid UTF-8 stays.
  const std::string name = At(doc, "/AuditMessage/ActiveParticipant[RoleIDCode/@csd-code='224535009']/@UserName");
  EXPECT_NE(name.find("\xc3\xa9"), std::string::npos);
  EXPECT_NE(name.find("\xEF\xBF\xBD"), std::string::npos);
  EXPECT_EQ(name.find('\x01'), std::string::npos);

  // The syslog header takes nothing but printable ASCII from its configuration.
  AuditSource source = Source();
  source.host = "evil host\n<13>1 fake";
  source.app_name = "";
  const std::string xml = ToAuditMessage(e, source);
  const std::string syslog = SyslogMessage(e, source, xml);
  EXPECT_EQ(syslog.rfind("<85>1 2023-11-14T22:13:20.123Z evilhost<13>1fake xds-registry 4242 IHE+RFC-3881 - <?xml", 0),
            0u)
      << syslog.substr(0, 120);
  EXPECT_EQ(syslog.substr(syslog.size() - xml.size()), xml);
}

TEST(AtnaMessage, SyslogFraming) {
  AuditEvent e = Base("ITI-18");
  AuditSource source = Source();
  source.host = "";
  source.app_name = "xds";
  EXPECT_EQ(SyslogMessage(e, source, "<AuditMessage/>"),
            "<85>1 2023-11-14T22:13:20.123Z - xds 4242 IHE+RFC-3881 - <AuditMessage/>");
  EXPECT_EQ(OctetCounted("abc"), "3 abc");
  EXPECT_EQ(OctetCounted("\xc3\xa9"), "2 \xc3\xa9");  // octets, not characters
}

}  // namespace
}  // namespace xds::audit
