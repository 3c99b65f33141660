// Fixed XDS.b / ebRIM 3.0 identifiers (ITI TF-3 4.2.5, TF-2 3.18.4.1.2.4). One place, so
// that codec, validator and stored queries never spell a UUID twice.
#ifndef XDS_REGISTRY_SHARED_EBRIM_VOCABULARY_H_
#define XDS_REGISTRY_SHARED_EBRIM_VOCABULARY_H_

namespace xds::vocab {

// Namespaces.
inline constexpr char kSoap12Ns[] = "http://www.w3.org/2003/05/soap-envelope";
inline constexpr char kWsaNs[] = "http://www.w3.org/2005/08/addressing";
inline constexpr char kXopNs[] = "http://www.w3.org/2004/08/xop/include";
inline constexpr char kXdsNs[] = "urn:ihe:iti:xds-b:2007";
inline constexpr char kRimNs[] = "urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0";
inline constexpr char kRsNs[] = "urn:oasis:names:tc:ebxml-regrep:xsd:rs:3.0";
inline constexpr char kLcmNs[] = "urn:oasis:names:tc:ebxml-regrep:xsd:lcm:3.0";
inline constexpr char kQueryNs[] = "urn:oasis:names:tc:ebxml-regrep:xsd:query:3.0";

// Statuses.
inline constexpr char kStatusApproved[] = "urn:oasis:names:tc:ebxml-regrep:StatusType:Approved";
inline constexpr char kStatusDeprecated[] = "urn:oasis:names:tc:ebxml-regrep:StatusType:Deprecated";
inline constexpr char kResponseSuccess[] = "urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Success";
inline constexpr char kResponseFailure[] = "urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Failure";
inline constexpr char kResponsePartialSuccess[] = "urn:ihe:iti:2007:ResponseStatusType:PartialSuccess";
inline constexpr char kSeverityError[] = "urn:oasis:names:tc:ebxml-regrep:ErrorSeverityType:Error";
inline constexpr char kSeverityWarning[] = "urn:oasis:names:tc:ebxml-regrep:ErrorSeverityType:Warning";

// ITI-18 query:ResponseOption/@returnType values.
inline constexpr char kReturnTypeLeafClass[] = "LeafClass";
inline constexpr char kReturnTypeObjectRef[] = "ObjectRef";

// Object types.
inline constexpr char kDocumentEntryStable[] = "urn:uuid:7edca82f-054d-47f2-a032-9b2a5b5186c1";
inline constexpr char kDocumentEntryOnDemand[] = "urn:uuid:34268e47-fdf5-41a6-ba33-82133c465248";
inline constexpr char kSubmissionSetNode[] = "urn:uuid:a54d6aa5-d40d-43f9-88c5-b4633d873bdd";
inline constexpr char kFolderNode[] = "urn:uuid:d9d542f3-6cc4-48b6-8870-ea235fbc94c2";
inline constexpr char kRegistryPackageType[] =
    "urn:oasis:names:tc:ebxml-regrep:ObjectType:RegistryObject:RegistryPackage";
inline constexpr char kAssociationType[] = "urn:oasis:names:tc:ebxml-regrep:ObjectType:RegistryObject:Association";
inline constexpr char kClassificationType[] =
    "urn:oasis:names:tc:ebxml-regrep:ObjectType:RegistryObject:Classification";
inline constexpr char kExternalIdentifierType[] =
    "urn:oasis:names:tc:ebxml-regrep:ObjectType:RegistryObject:ExternalIdentifier";
inline constexpr char kLimitedMetadataDocumentEntry[] = "urn:uuid:ab9b591b-83ab-4d03-8f5d-f93b1fb92e85";
inline constexpr char kLimitedMetadataSubmissionSet[] = "urn:uuid:5003a9db-8d8d-49e6-bf0c-990e34ac7707";
inline constexpr char kLimitedMetadataFolder[] = "urn:uuid:2c144a76-29a9-4b7c-af54-b25409fe7d03";

// DocumentEntry classification schemes.
inline constexpr char kDeAuthor[] = "urn:uuid:93606bcf-9494-43ec-9b4e-a7748d1a838d";
inline constexpr char kDeClassCode[] = "urn:uuid:41a5887f-8865-4c09-adf7-e362475b143a";
inline constexpr char kDeConfidentialityCode[] = "urn:uuid:f4f85eac-e6cb-4883-b524-f2705394840f";
inline constexpr char kDeEventCode[] = "urn:uuid:2c6b8cb7-8b2a-4051-b291-b1ae6a575ef4";
inline constexpr char kDeFormatCode[] = "urn:uuid:a09d5840-386c-46f2-b5ad-9c3699a4309d";
inline constexpr char kDeHealthcareFacilityTypeCode[] = "urn:uuid:f33fb8ac-18af-42cc-ae0e-ed0b0bdb91e1";
inline constexpr char kDePracticeSettingCode[] = "urn:uuid:cccf5598-8b07-4b77-a05e-ae952c785ead";
inline constexpr char kDeTypeCode[] = "urn:uuid:f0306f51-975f-434e-a61c-c59651d33983";
// DocumentEntry external identifiers.
inline constexpr char kDePatientId[] = "urn:uuid:58a6f841-87b3-4a3e-92fd-a8ffeff98427";
inline constexpr char kDeUniqueId[] = "urn:uuid:2e82c1f6-a085-4c72-9da3-8640a32e42ab";

// SubmissionSet.
inline constexpr char kSsAuthor[] = "urn:uuid:a7058bb9-b4e4-4307-ba5b-e3f0ab85e12d";
inline constexpr char kSsContentTypeCode[] = "urn:uuid:aa543740-bdda-424e-8c96-df4873be8500";
inline constexpr char kSsPatientId[] = "urn:uuid:6b5aea1a-874d-4603-a4bc-96a0a7b38446";
inline constexpr char kSsSourceId[] = "urn:uuid:554ac39e-e3fe-47fe-b233-965d2a147832";
inline constexpr char kSsUniqueId[] = "urn:uuid:96fdda7c-d067-4183-912e-bf5ee74998a8";

// Folder.
inline constexpr char kFdCodeList[] = "urn:uuid:1ba97051-7806-41a8-a48b-8fce7af683c5";
inline constexpr char kFdPatientId[] = "urn:uuid:f64ffdf0-4b97-4e06-b79f-a52b38ec2f8a";
inline constexpr char kFdUniqueId[] = "urn:uuid:75df8f67-9973-4fbe-a900-df66cefecc5a";

// Association documentation classification (not allowed on HasMember).
inline constexpr char kAssociationDocumentation[] = "urn:uuid:abd807a3-4432-4053-87b4-fd82c643d1f3";

// Association types (full URNs).
inline constexpr char kHasMember[] = "urn:oasis:names:tc:ebxml-regrep:AssociationType:HasMember";
inline constexpr char kRplc[] = "urn:ihe:iti:2007:AssociationType:RPLC";
inline constexpr char kApnd[] = "urn:ihe:iti:2007:AssociationType:APND";
inline constexpr char kXfrm[] = "urn:ihe:iti:2007:AssociationType:XFRM";
inline constexpr char kXfrmRplc[] = "urn:ihe:iti:2007:AssociationType:XFRM_RPLC";
inline constexpr char kSigns[] = "urn:ihe:iti:2007:AssociationType:signs";
inline constexpr char kIsSnapshotOf[] = "urn:ihe:iti:2010:AssociationType:IsSnapshotOf";
// ITI-57 Metadata Update only.
inline constexpr char kUpdateAvailabilityStatus[] = "urn:ihe:iti:2010:AssociationType:UpdateAvailabilityStatus";
inline constexpr char kSubmitAssociation[] = "urn:ihe:iti:2010:AssociationType:SubmitAssociation";

// Slot names with a model field (everything else is an extra slot).
inline constexpr char kReferenceIdListSlot[] = "urn:ihe:iti:xds:2013:referenceIdList";

// Stored query ids (ITI TF-2 3.18.4.1.2.4).
inline constexpr char kQueryFindDocuments[] = "urn:uuid:14d4debf-8f97-4251-9a74-a90016b0af0d";
inline constexpr char kQueryFindSubmissionSets[] = "urn:uuid:f26abbcb-ac74-4422-8a30-edb644bbc1a9";
inline constexpr char kQueryFindFolders[] = "urn:uuid:958f3006-baad-4929-a4de-ff1114824431";
inline constexpr char kQueryGetAll[] = "urn:uuid:10b545ea-725c-446d-9b95-8aeb444eddf3";
inline constexpr char kQueryGetDocuments[] = "urn:uuid:5c4f972b-d56b-40ac-a5fc-c8ca9b40b9d4";
inline constexpr char kQueryGetFolders[] = "urn:uuid:5737b14c-8a1a-4539-b659-e03a34a5e1e4";
inline constexpr char kQueryGetAssociations[] = "urn:uuid:a7ae438b-4bc2-4642-93e9-be891f7bb155";
inline constexpr char kQueryGetDocumentsAndAssociations[] = "urn:uuid:bab9529a-4a10-40b3-a01f-f68a615d247a";
inline constexpr char kQueryGetSubmissionSets[] = "urn:uuid:51224314-5390-4169-9b91-b1980040715a";
inline constexpr char kQueryGetSubmissionSetAndContents[] = "urn:uuid:e8e3cb2c-e39c-46b9-99e4-c12f57260b83";
inline constexpr char kQueryGetFolderAndContents[] = "urn:uuid:b909a503-523d-4517-8acf-8e5834dfc4c7";
inline constexpr char kQueryGetFoldersForDocument[] = "urn:uuid:10cae35a-c7f9-4cf5-b61e-fc3278ffb578";
inline constexpr char kQueryGetRelatedDocuments[] = "urn:uuid:d90e5407-b356-4d91-a89f-873917b4b0e6";
inline constexpr char kQueryFindDocumentsByReferenceId[] = "urn:uuid:12941a89-e02e-4be5-967c-ce4bfc8fe492";

// SOAP actions.
inline constexpr char kActionRegister[] = "urn:ihe:iti:2007:RegisterDocumentSet-b";
inline constexpr char kActionStoredQuery[] = "urn:ihe:iti:2007:RegistryStoredQuery";
inline constexpr char kActionProvideAndRegister[] = "urn:ihe:iti:2007:ProvideAndRegisterDocumentSet-b";
inline constexpr char kActionRetrieve[] = "urn:ihe:iti:2007:RetrieveDocumentSet";
inline constexpr char kActionProvideAndRegisterResponse[] = "urn:ihe:iti:2007:ProvideAndRegisterDocumentSet-bResponse";
// Lifecycle transactions (MU and RMD supplements; RMD_Document{Registry,Repository}.wsdl).
inline constexpr char kActionUpdateDocumentSet[] = "urn:ihe:iti:2010:UpdateDocumentSet";
inline constexpr char kActionUpdateDocumentSetResponse[] = "urn:ihe:iti:2010:UpdateDocumentSetResponse";
inline constexpr char kActionRemoveMetadata[] = "urn:ihe:iti:2010:DeleteDocumentSet";
inline constexpr char kActionRemoveMetadataResponse[] = "urn:ihe:iti:2010:DeleteDocumentSetResponse";
inline constexpr char kActionRemoveDocuments[] = "urn:ihe:iti:2017:RemoveDocuments";
inline constexpr char kActionRemoveDocumentsResponse[] = "urn:ihe:iti:2017:RemoveDocumentsResponse";
inline constexpr char kRmdNs[] = "urn:ihe:iti:rmd:2017";
inline constexpr char kActionRetrieveResponse[] = "urn:ihe:iti:2007:RetrieveDocumentSetResponse";

}  // namespace xds::vocab

#endif  // XDS_REGISTRY_SHARED_EBRIM_VOCABULARY_H_
