#include "registry/shared/mime/mime_multipart.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace xds::mime {
namespace {

ContentType Related(std::string boundary, std::string start = "") {
  ContentType ct;
  ct.type = "multipart/related";
  ct.params["boundary"] = std::move(boundary);
  ct.params["type"] = "application/xop+xml";
  if (!start.empty()) ct.params["start"] = std::move(start);
  return ct;
}

// The ITI-41 wire layout of the spec digest (§1.4), header folded over lines as sent.
constexpr char kSpecContentType[] =
    "multipart/related; boundary=MIMEBoundary_abc;\r\n"
    "    type=\"application/xop+xml\"; start=\"<root.0@example.org>\";\r\n"
    "    start-info=\"application/soap+xml\"; action=\"urn:ihe:iti:2007:ProvideAndRegisterDocumentSet-b\"";
constexpr char kSpecEnvelope[] =
    "<soap12:Envelope>...<xds:Document id=\"Doc1\"><xop:Include href=\"cid:doc1.1@example.org\"/>"
    "</xds:Document>...</soap12:Envelope>";
std::string SpecBody() {
  return std::string(
             "--MIMEBoundary_abc\r\n"
             "Content-Type: application/xop+xml; charset=UTF-8; type=\"application/soap+xml\"\r\n"
             "Content-Transfer-Encoding: binary\r\n"
             "Content-ID: <root.0@example.org>\r\n"
             "\r\n") +
         kSpecEnvelope +
         "\r\n--MIMEBoundary_abc\r\n"
         "Content-Type: text/plain\r\n"
         "Content-Transfer-Encoding: binary\r\n"
         "Content-ID: <doc1.1@example.org>\r\n"
         "\r\n"
         "<raw document octets>\r\n"
         "--MIMEBoundary_abc--\r\n";
}

TEST(ContentTypeTest, ParsesSpecHeaderWithFoldingAndQuotedParams) {
  auto ct = ParseContentType(kSpecContentType);
  ASSERT_TRUE(ct.ok()) << ct.status();
  EXPECT_EQ(ct->type, "multipart/related");
  EXPECT_EQ(ct->params.at("boundary"), "MIMEBoundary_abc");
  EXPECT_EQ(ct->params.at("type"), "application/xop+xml");
  EXPECT_EQ(ct->params.at("start"), "<root.0@example.org>");
  EXPECT_EQ(ct->params.at("start-info"), "application/soap+xml");
  EXPECT_EQ(ct->params.at("action"), "urn:ihe:iti:2007:ProvideAndRegisterDocumentSet-b");
  EXPECT_EQ(ct->params.size(), 5u);
}

TEST(ContentTypeTest, LowerCasesTypeAndNamesKeepsValuesAndUnescapes) {
  auto ct = ParseContentType(
      "Multipart/Related;BOUNDARY=\"uuid:A+b=c\";Start=<root@x>; start-info=\"application/soap+xml; "
      "action=\\\"urn:a\\\"\";");
  ASSERT_TRUE(ct.ok()) << ct.status();
  EXPECT_EQ(ct->type, "multipart/related");
  EXPECT_EQ(ct->params.at("boundary"), "uuid:A+b=c");
  EXPECT_EQ(ct->params.at("start"), "<root@x>");
  EXPECT_EQ(ct->params.at("start-info"), "application/soap+xml; action=\"urn:a\"");

  auto simple = ParseContentType("application/soap+xml");
  ASSERT_TRUE(simple.ok());
  EXPECT_EQ(simple->type, "application/soap+xml");
  EXPECT_TRUE(simple->params.empty());
}

TEST(ContentTypeTest, RejectsMalformedValues) {
  for (const char* bad :
       {"", "   ", "multipart", "multipart/", "/related", "text/xml charset=x", "a/b; x", "a/b; x=", "a/b; =y",
        "a/b; x=\"open", "a/b; x=\"esc\\", "a/b; x=1; X=2", "a/b; x=a\"b", "a/b; x=\"c\x01\"", "a/b; x=c\x7f"}) {
    EXPECT_FALSE(ParseContentType(bad).ok()) << "accepted: " << bad;
  }
}

TEST(MultipartTest, ParsesSpecWireLayout) {
  auto ct = ParseContentType(kSpecContentType);
  ASSERT_TRUE(ct.ok());
  std::string body = SpecBody();
  auto m = ParseMultipart(body, *ct);
  ASSERT_TRUE(m.ok()) << m.status();
  ASSERT_EQ(m->parts.size(), 2u);
  EXPECT_EQ(m->root_index, 0u);
  const Part& root = m->parts[0];
  EXPECT_EQ(root.content_id, "root.0@example.org");
  EXPECT_EQ(root.body, kSpecEnvelope);
  EXPECT_EQ(root.headers.at("content-type"), "application/xop+xml; charset=UTF-8; type=\"application/soap+xml\"");
  EXPECT_EQ(root.headers.at("content-transfer-encoding"), "binary");
  const Part* doc = FindByCid(*m, "cid:doc1.1@example.org");
  ASSERT_NE(doc, nullptr);
  EXPECT_EQ(doc, &m->parts[1]);
  EXPECT_EQ(doc->body, "<raw document octets>");
  EXPECT_EQ(doc->headers.at("content-type"), "text/plain");
  // Views into the input, not copies.
  EXPECT_GE(doc->body.data(), body.data());
  EXPECT_LE(doc->body.data() + doc->body.size(), body.data() + body.size());
}

TEST(MultipartTest, RootChosenByStartWithOrWithoutBrackets) {
  std::string body =
      "--b\r\nContent-ID: <att@x>\r\n\r\nATT\r\n"
      "--b\r\nContent-ID: <root@x>\r\n\r\n<Envelope/>\r\n--b--";
  for (const char* start : {"<root@x>", "root@x"}) {
    auto m = ParseMultipart(body, Related("b", start));
    ASSERT_TRUE(m.ok()) << m.status();
    EXPECT_EQ(m->root_index, 1u);
    EXPECT_EQ(m->parts[m->root_index].body, "<Envelope/>");
  }
  auto first = ParseMultipart(body, Related("b"));
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->root_index, 0u);  // RFC 2387: no start, the first part is the root
  EXPECT_FALSE(ParseMultipart(body, Related("b", "<missing@x>")).ok());
}

TEST(MultipartTest, HeaderNamesAnyCaseAndFoldedValues) {
  std::string body =
      "--b\r\nCONTENT-TYPE: text/xml\r\ncontent-id: <r@x>\r\nContent-Transfer-Encoding: BINARY\r\n\r\nR\r\n"
      "--b\r\nContent-Id: <a@x>\r\nX-Long: one\r\n two\r\n\tthree\r\n\r\nA\r\n--b--\r\n";
  auto m = ParseMultipart(body, Related("b", "<r@x>"));
  ASSERT_TRUE(m.ok()) << m.status();
  ASSERT_EQ(m->parts.size(), 2u);
  EXPECT_EQ(m->parts[0].headers.at("content-type"), "text/xml");
  EXPECT_EQ(m->parts[0].content_id, "r@x");
  EXPECT_EQ(m->parts[1].content_id, "a@x");
  EXPECT_EQ(m->parts[1].headers.at("x-long"), "one two three");
  EXPECT_EQ(FindByCid(*m, "CID:a@x"), &m->parts[1]);
}

TEST(MultipartTest, PercentEncodedCidReferences) {
  std::string body =
      "--b\r\nContent-ID: <root@x>\r\n\r\nR\r\n"
      "--b\r\nContent-ID: <doc 1/%ü@example.org>\r\n\r\nDOC\r\n--b--";
  auto m = ParseMultipart(body, Related("b"));
  ASSERT_TRUE(m.ok()) << m.status();
  const Part* doc = &m->parts[1];
  EXPECT_EQ(FindByCid(*m, "cid:doc%201%2F%25%C3%BC@example.org"), doc);
  EXPECT_EQ(FindByCid(*m, "cid:doc%201/%25%c3%bc@example.org"), doc);  // lower-case hex, '/' as is
  EXPECT_EQ(FindByCid(*m, CidHref("doc 1/%ü@example.org")), doc);
  EXPECT_EQ(CidHref("doc 1/%ü@example.org"), "cid:doc%201/%25%C3%BC@example.org");
  EXPECT_EQ(FindByCid(*m, "cid:<root@x>"), &m->parts[0]);
  EXPECT_EQ(FindByCid(*m, "cid:root%4"), nullptr);   // truncated escape
  EXPECT_EQ(FindByCid(*m, "cid:root%zz"), nullptr);  // not hex
  EXPECT_EQ(FindByCid(*m, "cid:"), nullptr);
  EXPECT_EQ(FindByCid(*m, "root@x"), nullptr);  // not a cid: URL
  EXPECT_EQ(FindByCid(*m, "cid:other@x"), nullptr);
}

TEST(MultipartTest, PartsWithoutContentIdAreNeverMatchedByAnEmptyCid) {
  std::string body = "--b\r\n\r\nno headers at all\r\n--b--";
  auto m = ParseMultipart(body, Related("b"));
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->parts[0].body, "no headers at all");
  EXPECT_TRUE(m->parts[0].headers.empty());
  EXPECT_EQ(FindByCid(*m, "cid:"), nullptr);
  EXPECT_EQ(FindByCid(*m, "cid:%3C%3E"), nullptr);
}

TEST(MultipartTest, Base64PartIsDecodedIntoOwnedStorageThatSurvivesMoves) {
  std::string body =
      "--b\r\nContent-ID: <r@x>\r\n\r\n<Envelope/>\r\n"
      "--b\r\nContent-ID: <a@x>\r\nContent-Transfer-Encoding: Base64\r\n\r\nSGVs\r\nbG8s\r\nIHdvcmxkIQ==\r\n--b--";
  auto parsed = ParseMultipart(body, Related("b"));
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  Multipart m = *std::move(parsed);
  Multipart moved = std::move(m);
  EXPECT_EQ(moved.parts[1].body, "Hello, world!");
  EXPECT_TRUE(moved.parts[1].body.data() < body.data() || moved.parts[1].body.data() >= body.data() + body.size());
  EXPECT_EQ(moved.owned.size(), 1u);
}

TEST(MultipartTest, QuotedBoundaryWithSpecialCharacters) {
  auto ct = ParseContentType(
      "multipart/related; type=\"application/xop+xml\"; boundary=\"uuid:0f4a+7e=1?x\"; start=\"<r@x>\"");
  ASSERT_TRUE(ct.ok()) << ct.status();
  std::string body = "--uuid:0f4a+7e=1?x\r\nContent-ID: <r@x>\r\n\r\n<E/>\r\n--uuid:0f4a+7e=1?x--\r\n";
  auto m = ParseMultipart(body, *ct);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->parts[0].body, "<E/>");
}

TEST(MultipartTest, PreambleEpiloguePaddingAndBoundaryPrefixLines) {
  std::string body =
      "This is a preamble\r\n--bx not a delimiter\r\n"
      "--b \t \r\nContent-ID: <r@x>\r\n\r\nline1\r\n--bx\r\n--b-x\r\n--b \tjunk\r\nend\r\n"
      "--b--   \r\nepilogue --b\r\n";
  auto m = ParseMultipart(body, Related("b"));
  ASSERT_TRUE(m.ok()) << m.status();
  ASSERT_EQ(m->parts.size(), 1u);
  EXPECT_EQ(m->parts[0].body, "line1\r\n--bx\r\n--b-x\r\n--b \tjunk\r\nend");
}

TEST(MultipartTest, ToleratesBareLineFeeds) {
  std::string body = "--b\nContent-ID: <r@x>\n\n<E/>\n--b\r\nContent-ID: <a@x>\r\n\r\nA\r\r\n--b--";
  auto m = ParseMultipart(body, Related("b"));
  ASSERT_TRUE(m.ok()) << m.status();
  ASSERT_EQ(m->parts.size(), 2u);
  EXPECT_EQ(m->parts[0].body, "<E/>");
  EXPECT_EQ(m->parts[1].body, "A\r");  // only the CR right before LF belongs to the delimiter
}

TEST(MultipartTest, EmptyBodies) {
  std::string body = "--b\r\nContent-ID: <r@x>\r\n\r\n\r\n--b\r\nContent-ID: <a@x>\r\n\r\n--b--";
  auto m = ParseMultipart(body, Related("b"));
  ASSERT_TRUE(m.ok()) << m.status();
  ASSERT_EQ(m->parts.size(), 2u);
  EXPECT_EQ(m->parts[0].body, "");
  EXPECT_EQ(m->parts[1].body, "");  // headers ended by the delimiter's own CRLF
}

TEST(MultipartTest, BuildMtomRoundTripsBinaryData) {
  std::string binary;
  for (int i = 0; i < 256; ++i) binary.push_back(static_cast<char>(i));
  binary += "\r\n--\r\n--MIMEBoundary_\r\n--MIMEBoundary_00\r\n\r\n--";
  std::vector<Attachment> attachments = {
      {"doc1@example.org", "application/pdf", binary},
      {"doc 2@example.org", "", "\r\n"},
      {"empty@example.org", "text/plain", ""},
      {"cr@example.org", "text/plain", "ends with CR\r"},
  };
  std::string root = "<Envelope><Body/></Envelope>";
  std::string header;
  std::string body = BuildMtom(root, attachments, "urn:ihe:iti:2007:RetrieveDocumentSetResponse", &header);

  auto ct = ParseContentType(header);
  ASSERT_TRUE(ct.ok()) << ct.status() << " in " << header;
  EXPECT_EQ(ct->type, "multipart/related");
  EXPECT_EQ(ct->params.at("type"), "application/xop+xml");
  EXPECT_EQ(ct->params.at("start-info"), "application/soap+xml");
  EXPECT_EQ(ct->params.at("action"), "urn:ihe:iti:2007:RetrieveDocumentSetResponse");
  auto m = ParseMultipart(body, *ct);
  ASSERT_TRUE(m.ok()) << m.status();
  ASSERT_EQ(m->parts.size(), 5u);
  EXPECT_EQ(m->parts[m->root_index].body, root);
  EXPECT_EQ("<" + m->parts[m->root_index].content_id + ">", ct->params.at("start"));
  EXPECT_EQ(m->parts[m->root_index].headers.at("content-type"),
            "application/xop+xml; charset=UTF-8; type=\"application/soap+xml\"");
  for (const Attachment& a : attachments) {
    const Part* part = FindByCid(*m, CidHref(a.content_id));
    ASSERT_NE(part, nullptr) << a.content_id;
    EXPECT_EQ(part->body, a.data) << a.content_id;
    EXPECT_EQ(part->headers.at("content-type"), a.content_type.empty() ? "application/octet-stream" : a.content_type);
  }

  // Only the root part, no action (the ITI-41 response shape).
  std::string header2;
  std::string body2 = BuildMtom(root, {}, "", &header2);
  EXPECT_EQ(header2.find("action="), std::string::npos);
  auto ct2 = ParseContentType(header2);
  ASSERT_TRUE(ct2.ok());
  auto m2 = ParseMultipart(body2, *ct2);
  ASSERT_TRUE(m2.ok()) << m2.status();
  ASSERT_EQ(m2->parts.size(), 1u);
  EXPECT_EQ(m2->parts[0].body, root);
}

TEST(MultipartTest, BuildMtomKeepsCallerValuesOutOfHeaderSyntax) {
  std::string header;
  std::string body =
      BuildMtom("<E/>", {{"evil\r\nX-Injected: 1", "text/plain\r\nX-Injected: 2", "A"}}, "urn:\"quoted\"\r\n", &header);
  EXPECT_EQ(body.find("\r\nX-Injected"), std::string::npos);
  auto ct = ParseContentType(header);
  ASSERT_TRUE(ct.ok()) << ct.status();
  EXPECT_EQ(ct->params.at("action"), "urn:\"quoted\"");
  auto m = ParseMultipart(body, *ct);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->parts[1].content_id, "evilX-Injected: 1");
}

TEST(MultipartTest, LargeAttachmentIsAViewIntoTheInput) {
  std::string big(50 * 1024 * 1024, 'x');
  for (size_t i = 0; i < big.size(); i += 4096) big[i] = static_cast<char>(i / 4096);  // some structure
  std::string header;
  std::string body = BuildMtom("<E/>", {{"big@x", "application/octet-stream", big}}, "", &header);
  auto ct = ParseContentType(header);
  ASSERT_TRUE(ct.ok());
  auto m = ParseMultipart(body, *ct);
  ASSERT_TRUE(m.ok()) << m.status();
  const Part* part = FindByCid(*m, "cid:big@x");
  ASSERT_NE(part, nullptr);
  ASSERT_EQ(part->body.size(), big.size());
  EXPECT_GE(part->body.data(), body.data());
  EXPECT_LE(part->body.data() + part->body.size(), body.data() + body.size());
  EXPECT_TRUE(part->body == big);
  EXPECT_TRUE(m->owned.empty());
}

struct BadCase {
  const char* name;
  ContentType content_type;
  std::string body;
};

TEST(MultipartTest, MalformedInputsAreRejected) {
  ContentType no_boundary = Related("b");
  no_boundary.params.erase("boundary");
  ContentType not_multipart = Related("b");
  not_multipart.type = "application/soap+xml";
  const std::string ok_part = "--b\r\nContent-ID: <r@x>\r\n\r\nR\r\n";
  const BadCase cases[] = {
      {"no boundary parameter", no_boundary, ok_part + "--b--"},
      {"empty boundary", Related(""), ok_part + "--b--"},
      {"boundary too long", Related(std::string(71, 'b')), ok_part + "--b--"},
      {"not multipart", not_multipart, ok_part + "--b--"},
      {"no delimiter", Related("b"), "just some text"},
      {"empty body", Related("b"), ""},
      {"other boundary", Related("c"), ok_part + "--b--"},
      {"no closing delimiter", Related("b"), ok_part},
      {"truncated closing delimiter", Related("b"), ok_part + "--b-"},
      {"close delimiter only", Related("b"), "--b--\r\n"},
      {"headers without blank line", Related("b"), "--b\r\nContent-ID: <r@x>\r\n--b--"},
      {"body line read as header", Related("b"), "--b\r\nContent-ID: <r@x>\r\n<E/>\r\n--b--"},
      {"header without colon", Related("b"), "--b\r\nContent-ID <r@x>\r\n\r\nR\r\n--b--"},
      {"header with empty name", Related("b"), "--b\r\n: x\r\n\r\nR\r\n--b--"},
      {"header name with space", Related("b"), "--b\r\nContent ID: x\r\n\r\nR\r\n--b--"},
      {"continuation first", Related("b"), "--b\r\n folded: x\r\n\r\nR\r\n--b--"},
      {"control char in header", Related("b"), std::string("--b\r\nX: a\0b\r\n\r\nR\r\n--b--", 22)},
      {"duplicate header", Related("b"), "--b\r\nContent-ID: <a@x>\r\ncontent-id: <b@x>\r\n\r\nR\r\n--b--"},
      {"duplicate Content-ID", Related("b"), ok_part + ok_part + "--b--"},
      {"unmatched bracket", Related("b"), "--b\r\nContent-ID: <r@x\r\n\r\nR\r\n--b--"},
      {"nested brackets", Related("b"), "--b\r\nContent-ID: <<r@x>>\r\n\r\nR\r\n--b--"},
      {"start names no part", Related("b", "<nope@x>"), ok_part + "--b--"},
      {"empty start", Related("b", "<>"), "--b\r\n\r\nR\r\n--b--"},
      {"unknown encoding", Related("b"), "--b\r\nContent-Transfer-Encoding: x-gzip\r\n\r\nR\r\n--b--"},
      {"bad base64", Related("b"), "--b\r\nContent-Transfer-Encoding: base64\r\n\r\nnot base64!\r\n--b--"},
      {"oversized headers", Related("b"), "--b\r\nX-Big: " + std::string(20000, 'a') + "\r\n\r\nR\r\n--b--"},
      {"oversized unterminated headers", Related("b"), "--b\r\nX-Big: " + std::string(20000, 'a') + "\r\n--b--"},
  };
  for (const BadCase& c : cases) {
    auto m = ParseMultipart(c.body, c.content_type);
    EXPECT_FALSE(m.ok()) << c.name;
    if (!m.ok()) {
      EXPECT_EQ(m.status().code(), absl::StatusCode::kInvalidArgument) << c.name;
      EXPECT_FALSE(m.status().message().empty()) << c.name;
    }
  }
  auto qp = ParseMultipart("--b\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nR=3D\r\n--b--", Related("b"));
  ASSERT_FALSE(qp.ok());
  EXPECT_EQ(qp.status().code(), absl::StatusCode::kUnimplemented);
}

TEST(MultipartTest, Limits) {
  std::string body;
  for (int i = 0; i < 11; ++i) body += "--b\r\n\r\npart\r\n";
  body += "--b--";
  Limits limits;
  limits.max_parts = 10;
  EXPECT_FALSE(ParseMultipart(body, Related("b"), limits).ok());
  limits.max_parts = 11;
  auto m = ParseMultipart(body, Related("b"), limits);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->parts.size(), 11u);

  std::string headers = "--b\r\nX: 12345\r\n\r\nR\r\n--b--";  // header block: "X: 12345\r\n\r\n" = 12 bytes
  limits.max_header_bytes = 12;
  EXPECT_TRUE(ParseMultipart(headers, Related("b"), limits).ok());
  limits.max_header_bytes = 11;
  EXPECT_FALSE(ParseMultipart(headers, Related("b"), limits).ok());
}

TEST(MultipartTest, EveryPrefixOfAValidBodyIsHandled) {
  std::string body = SpecBody();
  auto ct = ParseContentType(kSpecContentType);
  ASSERT_TRUE(ct.ok());
  size_t complete = body.find("--MIMEBoundary_abc--") + 20;
  for (size_t n = 0; n <= body.size(); ++n) {
    std::string prefix = body.substr(0, n);  // own buffer so ASan sees reads past the end
    auto m = ParseMultipart(prefix, *ct);
    EXPECT_EQ(m.ok(), n >= complete) << "prefix length " << n;
  }
}

}  // namespace
}  // namespace xds::mime
