// Issue 16's property: random policies x random queries over several patients never answer
// an entry the policy denies (policy::Decide is the oracle), never another patient's entry
// where the query names one, never an association to a hidden entry, and the ITI-43
// access decision never permits a denied document. FindDocuments answers exactly what the
// oracle permits (the SQL filter neither leaks nor loses).
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "registry/policy/decide.h"
#include "registry/policy/policy_test_util.h"
#include "registry/registry.h"
#include "registry/shared/ebrim/vocabulary.h"
#include "registry/store/store_test_util.h"

namespace xds {
namespace {

namespace pt = policy::testing;

const char* const kOrganizations[] = {pt::kMidwife, pt::kHospital, pt::kHospital2, pt::kYouthHealth, pt::kUnlisted};
const char* const kProfessionals[] = {"", "prof-1", "prof-2"};
const char* const kPurposes[] = {"", "TREATMENT", "EMERGENCY"};
const char* const kCategories[] = {"*", "perinatal", "mental-health", "sensitive", "general"};

struct Stored {
  DocumentEntry entry;
  std::string submitter;
};

class AccessPropertyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    domain_ = std::make_shared<const policy::DomainPolicy>(pt::PerinatalDomain());
    SqliteOptions store_options;
    store_options.path = xds::testing::FreshDbPath("access_property");
    store_options.domain_policy = domain_.get();
    absl::StatusOr<std::unique_ptr<MetadataStore>> store = OpenSqliteMetadataStore(store_options);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = store->get();
    RegistryOptions options;
    options.domain_policy = domain_;
    registry_ = std::make_unique<Registry>(*std::move(store), options);
  }

  template <typename T>
  const T& Pick(const std::vector<T>& v) {
    return v[std::uniform_int_distribution<size_t>(0, v.size() - 1)(rng_)];
  }
  template <typename T, size_t N>
  const T& Pick(const T (&a)[N]) {
    return a[std::uniform_int_distribution<size_t>(0, N - 1)(rng_)];
  }
  bool Coin(double p = 0.5) { return std::bernoulli_distribution(p)(rng_); }

  policy::Subject RandomSubject(bool rule) {
    switch (std::uniform_int_distribution<int>(rule ? 0 : 1, rule ? 3 : 2)(rng_)) {
      case 0:
        return pt::AnySubject();
      case 1:
        return pt::OrgSubject(Pick(kOrganizations));
      case 2:
        return pt::ProfessionalSubject(Pick(std::vector<std::string>{"prof-1", "prof-2"}));
      default:
        return pt::CategorySubject(Pick(std::vector<std::string>{"midwifery", "hospital", "youth-health"}));
    }
  }

  // A window around now, or open, or already over.
  std::pair<int64_t, int64_t> RandomWindow() {
    switch (std::uniform_int_distribution<int>(0, 3)(rng_)) {
      case 0:
        return {0, 0};
      case 1:
        return {pt::kNowMs - pt::kDayMs, pt::kNowMs + pt::kDayMs};
      case 2:
        return {pt::kNowMs - 2 * pt::kDayMs, pt::kNowMs - pt::kDayMs};
      default:
        return {pt::kNowMs + pt::kDayMs, 0};
    }
  }

  static ConsentSubject ToProto(const policy::Subject& s) {
    ConsentSubject out;
    switch (s.kind) {
      case policy::Subject::Kind::kAny:
        out.set_kind(CONSENT_SUBJECT_ANY);
        break;
      case policy::Subject::Kind::kOrganization:
        out.set_kind(CONSENT_SUBJECT_ORGANIZATION);
        break;
      case policy::Subject::Kind::kCategory:
        out.set_kind(CONSENT_SUBJECT_CATEGORY);
        break;
      case policy::Subject::Kind::kProfessional:
        out.set_kind(CONSENT_SUBJECT_PROFESSIONAL);
        break;
    }
    out.set_id(s.id);
    return out;
  }

  // Through the registry's consent desk, as an administrator would (the one way in: it also
  // keeps the registry's policy cache right).
  void RandomPolicy(const std::string& patient) {
    const int changes = std::uniform_int_distribution<int>(0, 6)(rng_);
    for (int i = 0; i < changes; ++i) {
      CallContext desk;  // in-process: admitted
      auto [from, to] = RandomWindow();
      // Relationships and exclusions start when the desk records them.
      desk.received = absl::FromUnixMillis(from != 0 ? from : pt::kNowMs - 10 * pt::kDayMs);
      absl::Status s;
      switch (std::uniform_int_distribution<int>(0, 4)(rng_)) {
        case 0:
        case 1:
        case 2: {
          ConsentRuleRequest r;
          r.set_patient_id(patient);
          *r.mutable_subject() = ToProto(RandomSubject(true));
          r.set_data_category(Pick(kCategories));
          r.set_valid_from_ms(from);
          r.set_valid_to_ms(to);
          s = registry_->ConsentAddRule(desk, r, Coin(0.7) ? policy::Effect::kPermit : policy::Effect::kDeny).status();
          break;
        }
        default: {
          ConsentSubjectRequest r;
          r.set_patient_id(patient);
          *r.mutable_subject() = ToProto(RandomSubject(false));
          s = Coin() ? registry_->ConsentRelationship(desk, r, /*start=*/true).status()
                     : registry_->ConsentExclusion(desk, r, /*exclude=*/true).status();
          break;
        }
      }
      ASSERT_TRUE(s.ok() || absl::IsNotFound(s)) << s;
    }
  }

  void RandomSubmission(const std::string& patient, int n) {
    WritePlan plan;
    plan.submitting_organization = Pick(kOrganizations);
    const std::string prefix = "urn:uuid:" + std::to_string(n);
    *plan.submission.add_submission_sets() = xds::testing::MakeSs(prefix + "-ss", patient, "1.9." + std::to_string(n));
    const bool folder = Coin(0.3);
    if (folder) {
      *plan.submission.add_folders() = xds::testing::MakeFolder(prefix + "-fd", patient, "1.8." + std::to_string(n));
      *plan.submission.add_associations() =
          xds::testing::MakeAssoc(prefix + "-ssfd", vocab::kHasMember, prefix + "-ss", prefix + "-fd");
    }
    const int documents = std::uniform_int_distribution<int>(0, 3)(rng_);
    for (int d = 0; d < documents; ++d) {
      const std::string id = prefix + "-de" + std::to_string(d);
      DocumentEntry de = xds::testing::MakeDe(id, patient, "1.7." + std::to_string(n) + "." + std::to_string(d));
      *de.mutable_class_code() = xds::testing::MakeCode(Coin() ? "PREG" : "NOTE", "test");
      *de.mutable_type_code() = xds::testing::MakeCode(Coin(0.3) ? "PSY" : "T1", "test");
      // N normal, R restricted (HL7 scheme), V the "sensitive" data category (test scheme).
      const std::string confidentiality = Pick(std::vector<std::string>{"N", "N", "R", "V"});
      de.clear_confidentiality_codes();
      *de.add_confidentiality_codes() =
          xds::testing::MakeCode(confidentiality, confidentiality == "V" ? "test" : "2.16.840.1.113883.5.25");
      *plan.submission.add_document_entries() = de;
      *plan.submission.add_associations() = xds::testing::MakeAssoc(id + "-as", vocab::kHasMember, prefix + "-ss", id);
      if (folder && Coin()) {
        *plan.submission.add_associations() =
            xds::testing::MakeAssoc(id + "-fdas", vocab::kHasMember, prefix + "-fd", id);
      }
      if (d > 0 && Coin(0.3)) {
        *plan.submission.add_associations() = xds::testing::MakeAssoc(
            id + "-apnd", "urn:ihe:iti:2007:AssociationType:APND", id, prefix + "-de" + std::to_string(d - 1));
      }
      stored_[id] = Stored{de, plan.submitting_organization};
    }
    absl::StatusOr<std::vector<RegistryError>> r = store_->Submit(plan, xds::testing::AcceptAll());
    ASSERT_TRUE(r.ok() && r->empty()) << r.status();
  }

  CallContext RandomRequester() {
    CallContext context;
    context.transport = CallContext::Transport::kSoap;
    context.node.subject = "CN=test";
    context.node.organization_id = Pick(kOrganizations);
    context.node.roles = {tls::kRoleConsumer};
    context.claims.subject_id = Pick(kProfessionals);
    context.claims.purpose_of_use = Pick(kPurposes);
    context.received = pt::Now();
    return context;
  }

  bool Oracle(const CallContext& context, const std::string& uuid) {
    const Stored& s = stored_.at(uuid);
    absl::StatusOr<policy::PatientPolicy> patient = store_->PatientPolicyOf(s.entry.patient_id());
    EXPECT_TRUE(patient.ok()) << patient.status();
    policy::Requester r{context.node.organization_id, context.claims.subject_id, context.claims.purpose_of_use};
    return policy::Decide(*domain_, *patient, r, policy::FactsOf(s.entry, s.submitter), context.received).permit;
  }

  StoredQueryResponse Query(const CallContext& context, const std::string& id, ReturnType type,
                            const std::map<std::string, std::string>& params) {
    StoredQueryRequest request;
    request.set_query_id(id);
    request.set_return_type(type);
    for (const auto& [name, value] : params) {
      QueryParameter* p = request.add_parameters();
      p->set_name(name);
      p->add_values(value);
    }
    absl::StatusOr<StoredQueryResponse> response = registry_->StoredQuery(context, request);
    EXPECT_TRUE(response.ok()) << response.status();
    EXPECT_EQ(response->response().status(), SUCCESS) << request.DebugString() << response->DebugString();
    return *response;
  }

  // Every DocumentEntry in the answer is permitted; every association's ends are not
  // hidden DocumentEntries. Returns the DocumentEntry ids answered.
  std::set<std::string> CheckAnswer(const CallContext& context, const StoredQueryResponse& response,
                                    const std::string& only_patient) {
    std::set<std::string> ids;
    for (const DocumentEntry& de : response.document_entries()) ids.insert(de.header().entry_uuid());
    for (const std::string& ref : response.object_refs()) {
      if (stored_.count(ref)) ids.insert(ref);
    }
    for (const std::string& id : ids) {
      EXPECT_TRUE(Oracle(context, id)) << id << " answered though the policy denies it";
      if (!only_patient.empty()) {
        EXPECT_EQ(stored_.at(id).entry.patient_id(), only_patient) << id;
      }
    }
    for (const Association& as : response.associations()) {
      for (const std::string& end : {as.source(), as.target()}) {
        if (stored_.count(end)) {
          EXPECT_TRUE(Oracle(context, end)) << as.header().entry_uuid() << " names " << end;
        }
      }
    }
    return ids;
  }

  std::mt19937 rng_{20261207};
  std::shared_ptr<const policy::DomainPolicy> domain_;
  MetadataStore* store_ = nullptr;
  std::unique_ptr<Registry> registry_;
  std::map<std::string, Stored> stored_;
};

std::string Quoted(const std::string& s) { return "'" + s + "'"; }

TEST_F(AccessPropertyTest, NoQueryAnswersWhatThePolicyDenies) {
  const std::vector<std::string> patients = {"P1^^^&1.2.3&ISO", "P2^^^&1.2.3&ISO", "P3^^^&1.2.3&ISO"};
  int n = 0;
  int64_t answered = 0, denied_seen = 0;
  for (int round = 0; round < 12; ++round) {
    // Fresh data and policies each round, added to what is there.
    for (const std::string& p : patients) {
      ASSERT_TRUE(store_->AddPatient(p).ok());
      RandomPolicy(p);
      for (int s = 0; s < 3; ++s) RandomSubmission(p, n++);
    }
    std::vector<std::string> all_ids, all_uids;
    for (const auto& [id, s] : stored_) {
      all_ids.push_back(id);
      all_uids.push_back(s.entry.unique_id());
    }
    for (int q = 0; q < 25; ++q) {
      const CallContext context = RandomRequester();
      const std::string& patient = Pick(patients);
      const std::string approved = "('" + std::string(vocab::kStatusApproved) + "')";
      // FindDocuments: exactly the permitted entries of the patient.
      for (ReturnType type : {LEAF_CLASS, OBJECT_REF}) {
        StoredQueryResponse r =
            Query(context, vocab::kQueryFindDocuments, type,
                  {{"$XDSDocumentEntryPatientId", Quoted(patient)}, {"$XDSDocumentEntryStatus", approved}});
        std::set<std::string> expected;
        for (const auto& [id, s] : stored_) {
          if (s.entry.patient_id() != patient) continue;
          if (Oracle(context, id)) {
            expected.insert(id);
          } else {
            ++denied_seen;
          }
        }
        EXPECT_EQ(CheckAnswer(context, r, patient), expected);
        answered += static_cast<int64_t>(expected.size());
      }
      StoredQueryResponse all = Query(context, vocab::kQueryGetAll, LEAF_CLASS,
                                      {{"$patientId", Quoted(patient)},
                                       {"$XDSDocumentEntryStatus", approved},
                                       {"$XDSSubmissionSetStatus", approved},
                                       {"$XDSFolderStatus", approved}});
      CheckAnswer(context, all, patient);
      // By id, across patients (ObjectRef: LeafClass must be one patient).
      std::string list = "(";
      for (size_t i = 0; i < all_ids.size(); ++i) list += (i ? "," : "") + Quoted(all_ids[i]);
      list += ")";
      CheckAnswer(context,
                  Query(context, vocab::kQueryGetDocuments, OBJECT_REF, {{"$XDSDocumentEntryEntryUUID", list}}), "");
      CheckAnswer(context, Query(context, vocab::kQueryGetAssociations, OBJECT_REF, {{"$uuid", list}}), "");
      CheckAnswer(context,
                  Query(context, vocab::kQueryGetDocumentsAndAssociations, LEAF_CLASS,
                        {{"$XDSDocumentEntryEntryUUID", "(" + Quoted(Pick(all_ids)) + ")"}}),
                  "");
      const std::string ss = "urn:uuid:" + std::to_string(std::uniform_int_distribution<int>(0, n - 1)(rng_)) + "-ss";
      CheckAnswer(context,
                  Query(context, vocab::kQueryGetSubmissionSetAndContents, LEAF_CLASS,
                        {{"$XDSSubmissionSetEntryUUID", Quoted(ss)}}),
                  "");
      // ITI-43's decision: exactly the permitted uniqueIds.
      AccessDecisionRequest ask;
      ask.set_organization_id(context.node.organization_id);
      ask.set_professional_id(context.claims.subject_id);
      ask.set_purpose_of_use(context.claims.purpose_of_use);
      for (const std::string& uid : all_uids) ask.add_document_unique_ids(uid);
      CallContext repository = context;
      repository.node.roles = {tls::kRoleRepository};
      absl::StatusOr<AccessDecisionResponse> decided = registry_->AccessDecision(repository, ask);
      ASSERT_TRUE(decided.ok()) << decided.status();
      std::set<std::string> expected_uids;
      for (const auto& [id, s] : stored_) {
        if (Oracle(context, id)) expected_uids.insert(s.entry.unique_id());
      }
      EXPECT_EQ(std::set<std::string>(decided->permitted_unique_ids().begin(), decided->permitted_unique_ids().end()),
                expected_uids);
      if (HasFailure()) return;
    }
  }
  // The random policies must have exercised both answers.
  EXPECT_GT(answered, 50);
  EXPECT_GT(denied_seen, 50);
}

}  // namespace
}  // namespace xds
