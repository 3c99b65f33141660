#include "registry/shared/ebrim/document_set_codec.h"

#include <gtest/gtest.h>

#include <pugixml.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "registry/shared/ebrim/vocabulary.h"
#include "registry/shared/model/errors.h"

namespace xds::ebrim {
namespace {

const std::string kNamespaces = std::string(" xmlns:xds=\"") + vocab::kXdsNs + "\" xmlns:lcm=\"" + vocab::kLcmNs +
                                "\" xmlns:rim=\"" + vocab::kRimNs + "\" xmlns:xop=\"" + vocab::kXopNs + "\"";

std::string ExtrinsicObject(const std::string& id, const std::string& inner = "") {
  return "<rim:ExtrinsicObject id=\"" + id + "\" mimeType=\"text/plain\" objectType=\"" + vocab::kDocumentEntryStable +
         "\">" + inner + "<rim:ExternalIdentifier id=\"ei-" + id + "\" registryObject=\"" + id +
         "\" identificationScheme=\"" + vocab::kDeUniqueId + "\" value=\"1.2.3." + id.substr(3) +
         "\"/></rim:ExtrinsicObject>";
}

// An ITI-41 body: the SubmitObjectsRequest with `objects`, then `documents` (xds:Document elements).
std::string ProvideAndRegister(const std::string& objects, const std::string& documents) {
  return "<xds:ProvideAndRegisterDocumentSetRequest" + kNamespaces +
         "><lcm:SubmitObjectsRequest><rim:RegistryObjectList>" + objects +
         "</rim:RegistryObjectList></lcm:SubmitObjectsRequest>" + documents +
         "</xds:ProvideAndRegisterDocumentSetRequest>";
}

struct Parsed {
  pugi::xml_document doc;
  ProvideAndRegisterRequest request;
};

void Parse(const std::string& xml, const mime::Multipart& multipart, Parsed* out) {
  ASSERT_TRUE(out->doc.load_string(xml.c_str())) << xml;
  out->request = ParseProvideAndRegisterRequest(out->doc.document_element(), multipart);
}

std::vector<std::string> Codes(const std::vector<RegistryError>& errors) {
  std::vector<std::string> codes;
  for (const RegistryError& e : errors) codes.push_back(e.code() + "@" + e.location());
  return codes;
}

mime::Multipart TwoParts() {
  mime::Multipart multipart;
  multipart.parts.resize(3);
  multipart.parts[0].content_id = "root@example.org";
  multipart.parts[0].body = "<soap/>";
  multipart.parts[1].content_id = "doc 1@example.org";
  multipart.parts[1].body = "first document";
  multipart.parts[2].content_id = "doc2@example.org";
  multipart.parts[2].body = "second document";
  multipart.root_index = 0;
  return multipart;
}

TEST(ProvideAndRegisterDecodeTest, ResolvesIncludesToPartViewsAndDecodesInlineBase64) {
  mime::Multipart multipart = TwoParts();
  Parsed p;
  Parse(ProvideAndRegister(ExtrinsicObject("Doc1") + ExtrinsicObject("Doc2") + ExtrinsicObject("Doc3"),
                           "<xds:Document id=\" Doc1 \"><xop:Include href=\"cid:doc%201@example.org\"/></xds:Document>"
                           "<xds:Document id=\"Doc2\"><xop:Include href=\"CID:doc2@example.org\"/></xds:Document>"
                           "<xds:Document id=\"Doc3\">aW5s\naW5l</xds:Document>"),
        multipart, &p);
  EXPECT_EQ(Codes(p.request.errors), std::vector<std::string>{});
  ASSERT_EQ(p.request.submission.document_entries_size(), 3);
  EXPECT_EQ(p.request.submission.document_entries(0).unique_id(), "1.2.3.1");
  ASSERT_EQ(p.request.documents.size(), 3u);
  // Attachments are not copied: the views point into the MIME parts.
  EXPECT_EQ(p.request.documents.at("Doc1").data(), multipart.parts[1].body.data());
  EXPECT_EQ(p.request.documents.at("Doc2"), "second document");
  EXPECT_EQ(p.request.documents.at("Doc3"), "inline");
  EXPECT_TRUE(p.request.unusable_documents.empty());
}

TEST(ProvideAndRegisterDecodeTest, AnyPrefixOrDefaultNamespace) {
  std::string xml = std::string("<P:ProvideAndRegisterDocumentSetRequest xmlns:P=\"") + vocab::kXdsNs +
                    "\"><SubmitObjectsRequest xmlns=\"" + vocab::kLcmNs + "\"><RegistryObjectList xmlns=\"" +
                    vocab::kRimNs + "\"/></SubmitObjectsRequest><Document xmlns=\"" + vocab::kXdsNs +
                    "\" id=\"D\">eA==</Document></P:ProvideAndRegisterDocumentSetRequest>";
  Parsed p;
  Parse(xml, {}, &p);
  EXPECT_EQ(Codes(p.request.errors), std::vector<std::string>{});
  EXPECT_EQ(p.request.documents.at("D"), "x");
}

TEST(ProvideAndRegisterDecodeTest, SubmitObjectsRequestWithoutObjectListIsAMetadataError) {
  Parsed p;
  Parse("<xds:ProvideAndRegisterDocumentSetRequest" + kNamespaces +
            "><lcm:SubmitObjectsRequest/></xds:ProvideAndRegisterDocumentSetRequest>",
        {}, &p);
  EXPECT_EQ(Codes(p.request.errors), std::vector<std::string>{"XDSRepositoryMetadataError@"});
}

TEST(ProvideAndRegisterDecodeTest, WrongBodyIsARepositoryMetadataError) {
  Parsed p;
  Parse(std::string("<lcm:SubmitObjectsRequest xmlns:lcm=\"") + vocab::kLcmNs + "\"/>", {}, &p);
  EXPECT_EQ(Codes(p.request.errors), std::vector<std::string>{"XDSRepositoryMetadataError@"});
  EXPECT_TRUE(p.request.documents.empty());
}

TEST(ProvideAndRegisterDecodeTest, MissingSubmitObjectsRequestStillReadsTheDocuments) {
  Parsed p;
  Parse("<xds:ProvideAndRegisterDocumentSetRequest" + kNamespaces +
            "><xds:Document id=\"D\">eA==</xds:Document></xds:ProvideAndRegisterDocumentSetRequest>",
        {}, &p);
  EXPECT_EQ(Codes(p.request.errors), std::vector<std::string>{"XDSRepositoryMetadataError@"});
  EXPECT_EQ(p.request.documents.at("D"), "x");
}

TEST(ProvideAndRegisterDecodeTest, MetadataErrorsCarryTheRepositorysCode) {
  Parsed p;
  Parse(ProvideAndRegister(ExtrinsicObject("Doc1", "<rim:Slot><rim:ValueList/></rim:Slot>"), ""), {}, &p);
  ASSERT_EQ(p.request.errors.size(), 1u);
  EXPECT_TRUE(HasCode(p.request.errors[0], err::kRepositoryMetadataError)) << p.request.errors[0].code();
}

TEST(ProvideAndRegisterDecodeTest, EveryDocumentProblemIsReported) {
  mime::Multipart multipart = TwoParts();
  Parsed p;
  Parse(ProvideAndRegister("",
                           "<xds:Document>eA==</xds:Document>"                      // no id
                           "<xds:Document id=\"Twice\">eA==</xds:Document>"         // duplicate id...
                           "<xds:Document id=\"Twice\">eQ==</xds:Document>"         // ...both unusable
                           "<xds:Document id=\"Bad64\">not base64!</xds:Document>"  // invalid base64
                           "<xds:Document id=\"Gone\"><xop:Include href=\"cid:nope@example.org\"/></xds:Document>"
                           "<xds:Document id=\"Ok\"><xop:Include href=\"cid:doc2@example.org\"/></xds:Document>"),
        multipart, &p);
  EXPECT_EQ(Codes(p.request.errors), (std::vector<std::string>{
                                         "XDSRepositoryMetadataError@",
                                         "XDSRepositoryMetadataError@",
                                         "XDSRepositoryMetadataError@Bad64",
                                         "XDSMissingDocument@Gone",
                                         // doc 1@example.org is referenced by no xds:Document.
                                         "XDSMissingDocumentMetadata@",
                                     }));
  EXPECT_EQ(p.request.documents.size(), 1u);
  EXPECT_EQ(p.request.documents.at("Ok"), "second document");
  EXPECT_EQ(p.request.unusable_documents, (std::set<std::string>{"Bad64", "Gone", "Twice"}));
}

TEST(ProvideAndRegisterDecodeTest, IncludeWithoutMimePackageIsAMissingDocument) {
  Parsed p;
  Parse(ProvideAndRegister("", "<xds:Document id=\"D\"><xop:Include href=\"cid:a@b\"/></xds:Document>"), {}, &p);
  EXPECT_EQ(Codes(p.request.errors), std::vector<std::string>{"XDSMissingDocument@D"});
}

ParsedRetrieveRequest ParseRetrieve(const std::string& xml) {
  pugi::xml_document doc;
  EXPECT_TRUE(doc.load_string(xml.c_str())) << xml;
  return ParseRetrieveDocumentSetRequest(doc.document_element());
}

TEST(RetrieveDecodeTest, DocumentRequestsInOrderTrimmedAndAsSent) {
  ParsedRetrieveRequest parsed =
      ParseRetrieve(std::string("<r:RetrieveDocumentSetRequest xmlns:r=\"") + vocab::kXdsNs +
                    "\"><r:DocumentRequest><r:HomeCommunityId> urn:oid:1.2.3 </r:HomeCommunityId>"
                    "<r:RepositoryUniqueId>1.2.3.4</r:RepositoryUniqueId><r:DocumentUniqueId>\n 1.2.3.4.1\n"
                    "</r:DocumentUniqueId></r:DocumentRequest>"
                    "<other xmlns=\"urn:x\"><DocumentUniqueId>ignored</DocumentUniqueId></other>"
                    "<DocumentRequest xmlns=\"" +
                    vocab::kXdsNs +
                    "\"><DocumentUniqueId>1.2.3.4.2</DocumentUniqueId></DocumentRequest>"
                    "<r:DocumentRequest><r:RepositoryUniqueId>1.2.3.4</r:RepositoryUniqueId></r:DocumentRequest>"
                    "</r:RetrieveDocumentSetRequest>");
  EXPECT_TRUE(parsed.errors.empty());
  ASSERT_EQ(parsed.request.document_requests_size(), 3);
  const DocumentRequest& first = parsed.request.document_requests(0);
  EXPECT_EQ(first.home_community_id(), "urn:oid:1.2.3");
  EXPECT_EQ(first.repository_unique_id(), "1.2.3.4");
  EXPECT_EQ(first.document_unique_id(), "1.2.3.4.1");
  EXPECT_EQ(parsed.request.document_requests(1).home_community_id(), "");
  EXPECT_EQ(parsed.request.document_requests(1).repository_unique_id(), "");
  EXPECT_EQ(parsed.request.document_requests(1).document_unique_id(), "1.2.3.4.2");
  // A DocumentRequest without DocumentUniqueId is kept: the transaction answers it.
  EXPECT_EQ(parsed.request.document_requests(2).document_unique_id(), "");
}

TEST(RetrieveDecodeTest, NoDocumentRequestIsNotADecodeError) {
  ParsedRetrieveRequest parsed =
      ParseRetrieve(std::string("<xds:RetrieveDocumentSetRequest xmlns:xds=\"") + vocab::kXdsNs + "\"/>");
  EXPECT_TRUE(parsed.errors.empty());
  EXPECT_EQ(parsed.request.document_requests_size(), 0);
}

TEST(RetrieveDecodeTest, WrongBodyIsARepositoryError) {
  for (const std::string& xml : {
           std::string("<xds:RetrieveDocumentSetRequest xmlns:xds=\"urn:wrong\"/>"),
           std::string("<xds:ProvideAndRegisterDocumentSetRequest xmlns:xds=\"") + vocab::kXdsNs + "\"/>",
       }) {
    ParsedRetrieveRequest parsed = ParseRetrieve(xml);
    EXPECT_EQ(Codes(parsed.errors), std::vector<std::string>{"XDSRepositoryError@"}) << xml;
    EXPECT_EQ(parsed.request.document_requests_size(), 0);
  }
}

TEST(RetrieveEncodeTest, ResponseInSchemaOrderWithOneIncludePerDocument) {
  RetrieveDocumentSetResponse response;
  response.mutable_response()->set_status(PARTIAL_SUCCESS);
  *response.mutable_response()->add_errors() = MakeError(err::kDocumentUniqueIdError, "gone", "1.2.3.9");
  DocumentResponse* with_home = response.add_document_responses();
  with_home->set_home_community_id("urn:oid:1.2.3");
  with_home->set_repository_unique_id("1.2.3.4");
  with_home->set_document_unique_id("1.2.3.4.1");
  with_home->set_mime_type("text/plain");
  DocumentResponse* without_home = response.add_document_responses();
  without_home->set_repository_unique_id("1.2.3.4");
  without_home->set_document_unique_id("1.2.3.4.2");
  without_home->set_mime_type("application/pdf");

  pugi::xml_document doc;
  AppendRetrieveDocumentSetResponse(doc, response, {"document1@xds.repository", "document 2@xds.repository"});
  pugi::xml_node root = doc.document_element();
  EXPECT_STREQ(root.name(), "xds:RetrieveDocumentSetResponse");
  EXPECT_STREQ(root.attribute("xmlns:xds").value(), vocab::kXdsNs);
  pugi::xml_node registry_response = root.first_child();
  EXPECT_STREQ(registry_response.attribute("status").value(), vocab::kResponsePartialSuccess);
  std::vector<std::string> names;
  std::vector<std::string> hrefs;
  for (pugi::xml_node d = registry_response.next_sibling(); d; d = d.next_sibling()) {
    EXPECT_STREQ(d.name(), "xds:DocumentResponse");
    for (pugi::xml_node child : d.children()) names.push_back(child.name());
    names.push_back("|");
    hrefs.push_back(d.child("xds:Document").child("xop:Include").attribute("href").value());
  }
  EXPECT_EQ(names, (std::vector<std::string>{"xds:HomeCommunityId", "xds:RepositoryUniqueId", "xds:DocumentUniqueId",
                                             "xds:mimeType", "xds:Document", "|", "xds:RepositoryUniqueId",
                                             "xds:DocumentUniqueId", "xds:mimeType", "xds:Document", "|"}));
  EXPECT_EQ(hrefs, (std::vector<std::string>{"cid:document1@xds.repository", "cid:document%202@xds.repository"}));
  EXPECT_STREQ(root.child("xds:DocumentResponse").child_value("xds:mimeType"), "text/plain");
}

}  // namespace
}  // namespace xds::ebrim
