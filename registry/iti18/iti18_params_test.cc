// ITI-18 value coding (TF-2 3.18.4.1.2.3.4/5) and parameter checks (3.18.4.1.3).
#include "registry/iti18/iti18_params.h"

#include <gtest/gtest.h>

#include "registry/shared/ebrim/vocabulary.h"

namespace xds::iti18 {
namespace {

std::vector<std::string> Decode(const std::string& raw, bool* ok = nullptr) {
  std::vector<std::string> out;
  bool decoded = DecodeValue(raw, &out);
  if (ok) *ok = decoded;
  return out;
}

using Values = std::vector<std::string>;

TEST(DecodeValue, SingleValues) {
  EXPECT_EQ(Decode("200412252300"), Values{"200412252300"});
  EXPECT_EQ(Decode("'urn:oasis:names:tc:ebxml-regrep:StatusType:Approved'"),
            Values{"urn:oasis:names:tc:ebxml-regrep:StatusType:Approved"});
  EXPECT_EQ(Decode("'Children''s Hospital'"), Values{"Children's Hospital"});
  EXPECT_EQ(Decode("  'st3498702^^^&1.3.6&ISO'  "), Values{"st3498702^^^&1.3.6&ISO"});
  // Unquoted string (IHE sample) and double quotes (TF GetDocuments sample) are accepted.
  EXPECT_EQ(Decode("st3498702^^^&1.3.6&ISO"), Values{"st3498702^^^&1.3.6&ISO"});
  EXPECT_EQ(Decode("\"a b\""), Values{"a b"});
  EXPECT_EQ(Decode("''"), Values{""});
}

TEST(DecodeValue, Lists) {
  EXPECT_EQ(Decode("('a')"), Values{"a"});
  EXPECT_EQ(Decode("('a','b')"), (Values{"a", "b"}));
  EXPECT_EQ(Decode("( 'a' , 'b,c' ,'d''e')"), (Values{"a", "b,c", "d'e"}));
  EXPECT_EQ(Decode("(1, 2)"), (Values{"1", "2"}));
  EXPECT_EQ(Decode("()"), Values{});
  EXPECT_EQ(Decode(""), Values{});
}

TEST(DecodeValue, Malformed) {
  for (const char* bad : {"('a'", "'a", "('a',)", "('a',,'b')", "('a' 'b')", "'a'x", "('a'),('b')"}) {
    bool ok = true;
    Decode(bad, &ok);
    EXPECT_FALSE(ok) << bad;
  }
}

TEST(ParseCode, CodeAndScheme) {
  CodeRef c;
  ASSERT_TRUE(ParseCode("18842-5^^2.16.840.1.113883.6.1", &c));
  EXPECT_EQ(c.code, "18842-5");
  EXPECT_EQ(c.scheme, "2.16.840.1.113883.6.1");
  ASSERT_TRUE(ParseCode("N^normal^2.16.840.1.113883.5.25", &c));  // full CE: text ignored
  EXPECT_EQ(c.scheme, "2.16.840.1.113883.5.25");
  // Both components are required: a bare code is refused (NIST 11897/old_scheme).
  for (const char* bad : {"Emergency Department", "^^1.2", "code^^", "a^b", "a^^b^^c", ""}) {
    EXPECT_FALSE(ParseCode(bad, &c)) << bad;
  }
}

StoredQueryRequest Request(const char* query, std::vector<std::pair<std::string, std::vector<std::string>>> slots) {
  StoredQueryRequest r;
  r.set_query_id(query);
  for (auto& [name, values] : slots) {
    QueryParameter* p = r.add_parameters();
    p->set_name(name);
    for (auto& v : values) p->add_values(v);
  }
  return r;
}

std::vector<std::string> Codes(Params& p) {
  std::vector<std::string> codes;
  for (const RegistryError& e : p.errors()) codes.push_back(e.code());
  return codes;
}

TEST(DecodeParams, QueryIdWithSpacesIsFound) {
  ASSERT_NE(FindQuerySpec(" urn:uuid:14d4debf-8f97-4251-9a74-a90016b0af0d "), nullptr);
  EXPECT_EQ(FindQuerySpec("urn:uuid:00000000-0000-0000-0000-000000000000"), nullptr);
  EXPECT_EQ(QuerySpecs().size(), 14u);
}

TEST(DecodeParams, ListSplitOverValuesAndAndOrSlots) {
  const QuerySpec& spec = *FindQuerySpec(vocab::kQueryFindDocuments);
  Params p =
      DecodeParams(Request(vocab::kQueryFindDocuments, {{"$XDSDocumentEntryPatientId", {"'P^^^&1.2&ISO'"}},
                                                        {"$XDSDocumentEntryStatus",
                                                         {"('urn:oasis:names:tc:ebxml-regrep:StatusType:Approved')",
                                                          "('urn:oasis:names:tc:ebxml-regrep:StatusType:Deprecated')"}},
                                                        {"$XDSDocumentEntryEventCodeList", {"('a^^1','b^^1')"}},
                                                        {"$XDSDocumentEntryEventCodeList", {"('c^^1')"}}}),
                   spec);
  EXPECT_TRUE(p.errors().empty());
  EXPECT_EQ(p.Statuses("$XDSDocumentEntryStatus"), (std::vector<AvailabilityStatus>{APPROVED, DEPRECATED}));
  auto groups = p.AndOrCodes("$XDSDocumentEntryEventCodeList");
  ASSERT_EQ(groups.size(), 2u);
  EXPECT_EQ(groups[0].size(), 2u);
  EXPECT_EQ(groups[1][0].code, "c");
  EXPECT_EQ(p.Types(), std::vector<DocumentEntryType>{STABLE});
}

TEST(DecodeParams, Errors) {
  const QuerySpec& find = *FindQuerySpec(vocab::kQueryFindDocuments);
  Params missing = DecodeParams(Request(vocab::kQueryFindDocuments, {{"$XDSDocumentEntryPatientId", {"'P'"}}}), find);
  EXPECT_EQ(Codes(missing), Values{"XDSStoredQueryMissingParam"});
  // Several values for a single-valued parameter; a repeated Slot of a plain list.
  Params number =
      DecodeParams(Request(vocab::kQueryFindDocuments,
                           {{"$XDSDocumentEntryPatientId", {"'P'", "'Q'"}},
                            {"$XDSDocumentEntryStatus", {"('urn:oasis:names:tc:ebxml-regrep:StatusType:Approved')"}},
                            {"$XDSDocumentEntryClassCode", {"('a^^1')"}},
                            {"$XDSDocumentEntryClassCode", {"('b^^1')"}}}),
                   find);
  EXPECT_EQ(Codes(number), (Values{"XDSStoredQueryParamNumber", "XDSStoredQueryParamNumber"}));
  // Status values not understood: the required parameter counts as missing.
  Params unknown = DecodeParams(Request(vocab::kQueryFindDocuments, {{"$XDSDocumentEntryPatientId", {"'P'"}},
                                                                     {"$XDSDocumentEntryStatus", {"('Submitted')"}}}),
                                find);
  EXPECT_TRUE(unknown.errors().empty());
  EXPECT_TRUE(unknown.Statuses("$XDSDocumentEntryStatus").empty());
  EXPECT_EQ(Codes(unknown), Values{"XDSStoredQueryMissingParam"});
  // Not a StatusType (IHE's sample request spells it so): not understood either.
  Params response_status = DecodeParams(
      Request(vocab::kQueryFindDocuments,
              {{"$XDSDocumentEntryPatientId", {"'P'"}},
               {"$XDSDocumentEntryStatus", {"('urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Approved')"}}}),
      find);
  EXPECT_TRUE(response_status.Statuses("$XDSDocumentEntryStatus").empty());
  EXPECT_EQ(Codes(response_status), Values{"XDSStoredQueryMissingParam"});
  // Either/or.
  const QuerySpec& get = *FindQuerySpec(vocab::kQueryGetDocuments);
  Params both = DecodeParams(Request(vocab::kQueryGetDocuments, {{"$XDSDocumentEntryEntryUUID", {"('urn:uuid:1')"}},
                                                                 {"$XDSDocumentEntryUniqueId", {"('1.2')"}}}),
                             get);
  EXPECT_EQ(Codes(both), Values{"XDSStoredQueryParamNumber"});
  Params neither = DecodeParams(Request(vocab::kQueryGetDocuments, {}), get);
  EXPECT_EQ(Codes(neither), Values{"XDSStoredQueryMissingParam"});
  // Malformed value: the context names the parameter.
  Params bad = DecodeParams(Request(vocab::kQueryGetDocuments, {{"$XDSDocumentEntryUniqueId", {"('1.2'"}}}), get);
  ASSERT_EQ(Codes(bad), Values{"XDSRegistryError"});
  EXPECT_NE(bad.errors()[0].context().find("$XDSDocumentEntryUniqueId"), std::string::npos);
  // A malformed time and code.
  Params values =
      DecodeParams(Request(vocab::kQueryFindDocuments,
                           {{"$XDSDocumentEntryPatientId", {"'P'"}},
                            {"$XDSDocumentEntryStatus", {"('urn:oasis:names:tc:ebxml-regrep:StatusType:Approved')"}},
                            {"$XDSDocumentEntryCreationTimeFrom", {"2004122"}},
                            {"$XDSDocumentEntryClassCode", {"('a^^')"}}}),
                   find);
  EXPECT_TRUE(values.errors().empty());
  EXPECT_EQ(values.Time("$XDSDocumentEntryCreationTimeFrom"), "");
  EXPECT_TRUE(values.Codes("$XDSDocumentEntryClassCode").empty());
  ASSERT_EQ(Codes(values), (Values{"XDSRegistryError", "XDSRegistryError"}));
  EXPECT_NE(values.errors()[0].context().find("$XDSDocumentEntryCreationTimeFrom"), std::string::npos);
  EXPECT_NE(values.errors()[1].context().find("$XDSDocumentEntryClassCode"), std::string::npos);
}

TEST(DecodeParams, TimesNormaliseEveryPrecision) {
  const QuerySpec& find = *FindQuerySpec(vocab::kQueryFindDocuments);
  for (auto [given, normalised] :
       std::vector<std::pair<std::string, std::string>>{{"2004", "20040101000000"},
                                                        {"200412", "20041201000000"},
                                                        {"20041225", "20041225000000"},
                                                        {"2004122523", "20041225230000"},
                                                        {"200412252301", "20041225230100"},
                                                        {"20041225230159", "20041225230159"}}) {
    Params p = DecodeParams(Request(vocab::kQueryFindDocuments, {{"$XDSDocumentEntryCreationTimeTo", {given}}}), find);
    EXPECT_EQ(p.Time("$XDSDocumentEntryCreationTimeTo"), normalised) << given;
  }
}

}  // namespace
}  // namespace xds::iti18
