// What a transaction touched, as its audit event records it: the patients, documents and
// query of a request and its answer. One place, so that every way in (SOAP, gRPC, later
// XCA and MHD) describes the same transaction the same way.
#ifndef XDS_REGISTRY_SHARED_AUDIT_DESCRIBE_H_
#define XDS_REGISTRY_SHARED_AUDIT_DESCRIBE_H_

#include <string>
#include <string_view>

#include "proto/audit.pb.h"
#include "proto/registry_service.pb.h"
#include "proto/xds_metadata.pb.h"

namespace xds::audit {

// ITI-41/42: the submission set, its patient, every DocumentEntry's uniqueId and classCode.
void DescribeSubmission(const Submission& submission, AuditEvent* event);

// ITI-18: the query as asked, the patient it names ($XDSDocumentEntryPatientId, ...) and
// the patients and documents of a LeafClass answer.
void DescribeQuery(const StoredQueryRequest& request, const StoredQueryResponse& response, AuditEvent* event);

// Adds `patient_id` unless the event names it already.
void AddPatient(const std::string& patient_id, AuditEvent* event);

// Appends `text` to the event's detail ("; " between parts); nothing for empty text.
void AppendDetail(std::string_view text, AuditEvent* event);

}  // namespace xds::audit

#endif  // XDS_REGISTRY_SHARED_AUDIT_DESCRIBE_H_
